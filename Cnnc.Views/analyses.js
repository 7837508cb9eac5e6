// CNNC analysis views (confusion, significance, calibration, agreement): draws the embedded plotly figures, sorts the
// tables by any column, and — in the confusion view — lists the images of a clicked cell. Everything comes from the
// fragment itself: no kernel round trip. Called with the fragment's root element id.
(function (rootId) {
  function sortable(table) {
    var tbody = table.tBodies[0], headers = table.tHead.rows[0].cells;
    function value(row, col, type) {
      var cell = row.cells[col];
      var v = cell.hasAttribute('data-v') ? cell.getAttribute('data-v') : cell.textContent;
      if (type === 'num') { var x = parseFloat(v); return isNaN(x) ? null : x; }
      return (v || '').toLowerCase();
    }
    Array.prototype.forEach.call(headers, function (h, col) {
      var type = h.getAttribute('data-type');
      if (!type) return;
      h.addEventListener('click', function () {
        var dir = h.getAttribute('aria-sort') === 'ascending' ? -1 : 1;
        var keyed = Array.prototype.map.call(tbody.rows, function (r, i) { return { r: r, v: value(r, col, type), i: i }; });
        keyed.sort(function (a, b) {
          var ea = a.v === null || a.v === '', eb = b.v === null || b.v === '';
          if (ea || eb) return ea === eb ? a.i - b.i : (ea ? 1 : -1);
          return a.v < b.v ? -dir : a.v > b.v ? dir : a.i - b.i;
        });
        keyed.forEach(function (k) { tbody.appendChild(k.r); });
        Array.prototype.forEach.call(headers, function (o) {
          var arrow = o.querySelector('.cnnc-arrow');
          if (o === h) { o.setAttribute('aria-sort', dir > 0 ? 'ascending' : 'descending'); if (arrow) arrow.textContent = dir > 0 ? ' ▲' : ' ▼'; }
          else { o.removeAttribute('aria-sort'); if (arrow) arrow.textContent = ''; }
        });
      });
    });
  }

  function text(tag, content, cls) {
    var el = document.createElement(tag);
    if (cls) el.className = cls;
    el.textContent = content;
    return el;
  }

  // The images of cell (row, column) of the confusion matrix, below the chart.
  function showCell(root, d, row, col) {
    var box = root.querySelector('.cnnc-cell-strip');
    var cell = d.cells[row + ',' + col];
    var count = d.counts[row][col];
    box.innerHTML = '';
    box.setAttribute('data-row', String(row));
    box.setAttribute('data-column', String(col));
    var head = text('div', 'true ' + d.rows[row] + ' → predicted ' + d.columns[col] + ': ' + count + ' image' + (count === 1 ? '' : 's'));
    box.appendChild(head);
    if (!cell) return;
    var shown = cell.images.length;
    if (shown < count) box.appendChild(text('small', 'the first ' + shown + ' of ' + count + ' (dataset indices)'));
    if (!cell.thumbnails) box.appendChild(text('small', (shown < count ? '; ' : '') + 'thumbnails are embedded for the largest off-diagonal cells only'));
    var strip = document.createElement('div');
    strip.className = 'cnnc-strip';
    cell.images.forEach(function (im) {
      var fig = document.createElement('figure');
      fig.setAttribute('data-index', String(im.i));
      if (im.png) {
        var img = document.createElement('img');
        img.src = im.png;
        img.alt = 'image ' + im.i;
        img.width = 56; img.height = 56;
        fig.appendChild(img);
      }
      var cap = document.createElement('figcaption');
      cap.appendChild(text('div', im.i + ' · ' + im.t + ' → ' + im.p));
      cap.appendChild(text('code', im.command, 'cnnc-command')); // the report's command is cnnc report's
      fig.appendChild(cap);
      strip.appendChild(fig);
    });
    box.appendChild(strip);
  }

  window.__cnncMount(rootId, function (root, d) {
    Array.prototype.forEach.call(root.querySelectorAll('table.cnnc-sortable'), sortable);
    var config = { responsive: true, displaylogo: false };
    Object.keys(d.figures).forEach(function (k) {
      var el = root.querySelector('[data-chart="' + k + '"]');
      if (!el) return;
      Plotly.newPlot(el, d.figures[k].data, d.figures[k].layout, config);
      if (k === 'confusion') {
        el.on('plotly_click', function (e) {
          var p = e.points[0];
          var row = d.rows.indexOf(String(p.y)), col = d.columns.indexOf(String(p.x));
          if (row >= 0 && col >= 0) showCell(root, d, row, col);
        });
      }
    });
  });
})
