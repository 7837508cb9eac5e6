// CNNC compare / inspect (paper section 5.3): a sortable, searchable table, "sort by CIH distance to this row", and the
// view-E charts. Self-contained (no libraries; plotly.js only for the charts, from the page). Called with the
// fragment's root element id. Everything comes from the fragment itself: no kernel round trip.
(function (rootId) {
  var root = document.getElementById(rootId);
  if (!root || root.getAttribute('data-cnnc-table') === '1') return;
  root.setAttribute('data-cnnc-table', '1');
  var d = JSON.parse(root.querySelector('script.cnnc-data').textContent);
  var table = root.querySelector('table.cnnc-sortable');
  var tbody = table.tBodies[0];
  var headers = table.tHead.rows[0].cells;
  var search = root.querySelector('input.cnnc-search');
  var count = root.querySelector('.cnnc-count');
  var total = tbody.rows.length;

  function rows() { return Array.prototype.slice.call(tbody.rows); }
  rows().forEach(function (r, i) { r.setAttribute('data-order', String(i)); });

  function value(row, col, type) {
    var cell = row.cells[col];
    var v = cell.hasAttribute('data-v') ? cell.getAttribute('data-v') : cell.textContent;
    if (type === 'num') { var x = parseFloat(v); return isNaN(x) ? null : x; }
    return (v || '').toLowerCase();
  }

  function mark(col, dir) {
    for (var i = 0; i < headers.length; i++) {
      var h = headers[i];
      var arrow = h.querySelector('.cnnc-arrow');
      if (i === col) { h.setAttribute('aria-sort', dir > 0 ? 'ascending' : 'descending'); if (arrow) arrow.textContent = dir > 0 ? ' ▲' : ' ▼'; }
      else { h.removeAttribute('aria-sort'); if (arrow) arrow.textContent = ''; }
    }
  }

  // Sorts by column col (dir 1 ascending, -1 descending); empty values last either way; ties keep the current order.
  function sortBy(col, dir) {
    var type = headers[col].getAttribute('data-type');
    var rs = rows();
    var keyed = rs.map(function (r, i) { return { r: r, v: value(r, col, type), i: i }; });
    keyed.sort(function (a, b) {
      if (a.v === null || b.v === null || a.v === '' || b.v === '') {
        var ea = a.v === null || a.v === '', eb = b.v === null || b.v === '';
        if (ea !== eb) return ea ? 1 : -1;
        return a.i - b.i;
      }
      if (a.v < b.v) return -dir;
      if (a.v > b.v) return dir;
      return a.i - b.i;
    });
    keyed.forEach(function (k) { tbody.appendChild(k.r); });
    mark(col, dir);
    root.setAttribute('data-cnnc-sort', col + ':' + (dir > 0 ? 'asc' : 'desc'));
  }

  for (var c = 0; c < headers.length; c++) {
    (function (col) {
      var h = headers[col];
      if (!h.getAttribute('data-type')) return;
      h.style.cursor = 'pointer';
      h.title = (h.title ? h.title + ' · ' : '') + 'click to sort';
      h.addEventListener('click', function () {
        var dir = h.getAttribute('aria-sort') === 'ascending' ? -1 : 1;
        sortBy(col, dir);
      });
    })(c);
  }

  function filter() {
    var terms = (search ? search.value : '').toLowerCase().split(/\s+/).filter(function (t) { return t.length > 0; });
    var shown = 0;
    rows().forEach(function (r) {
      var text = (r.getAttribute('data-search') || r.textContent).toLowerCase();
      var ok = terms.every(function (t) { return text.indexOf(t) >= 0; });
      r.style.display = ok ? '' : 'none';
      if (ok) shown++;
    });
    if (count) count.textContent = shown + ' of ' + total + ' rows';
    root.setAttribute('data-cnnc-shown', String(shown));
  }
  if (search) search.addEventListener('input', filter);
  filter();

  // CIH distances, exactly as the engine's ColorHistogram.DistanceTo (same operations in the same order).
  function distance(a, b, kind) {
    if (a.n === 0 || b.n === 0) return a.n === b.n ? 0 : 1;
    var total = 0;
    for (var c = 0; c < a.h.length; c++) {
      var s = 0;
      for (var k = 0; k < a.h[c].length; k++) {
        var x = a.h[c][k] / a.n, y = b.h[c][k] / b.n;
        if (kind === 'Intersection') s += Math.min(x, y);
        else if (x + y > 0) s += (x - y) * (x - y) / (x + y);
      }
      total += kind === 'Intersection' ? 1 - s : s / 2;
    }
    return total / a.h.length;
  }

  function sortByCih(index) {
    var cih = d.cih, ref = cih.rows[String(index)];
    if (!ref) return;
    var col = -1;
    for (var i = 0; i < headers.length; i++) if (headers[i].classList.contains('cnnc-cih-d')) col = i;
    var keyed = rows().map(function (r) {
      var i = parseInt(r.getAttribute('data-index'), 10);
      var dist = distance(cih.rows[String(i)], ref, cih.distance);
      var cell = r.cells[col];
      cell.setAttribute('data-v', String(dist));
      cell.textContent = dist.toFixed(4);
      r.classList.toggle('cnnc-cih-ref', i === index);
      return { r: r, i: i, v: dist };
    });
    keyed.sort(function (a, b) {
      var ra = a.i === index ? 0 : 1, rb = b.i === index ? 0 : 1;
      if (ra !== rb) return ra - rb;
      if (a.v !== b.v) return a.v - b.v;
      return a.i - b.i;
    });
    keyed.forEach(function (k) { tbody.appendChild(k.r); });
    mark(col, 1);
    root.setAttribute('data-cnnc-sort', col + ':asc');
    root.setAttribute('data-cnnc-cih-ref', String(index));
  }
  Array.prototype.forEach.call(root.querySelectorAll('button.cnnc-cih-sort'), function (b) {
    b.addEventListener('click', function () { sortByCih(parseInt(b.getAttribute('data-index'), 10)); });
  });

  // View E: plotly charts, once plotly.js is on the page (it may arrive later in the notebook).
  var charts = Array.prototype.slice.call(root.querySelectorAll('[data-chart]'));
  if (!charts.length) return;
  function draw() {
    if (root.getAttribute('data-cnnc-mounted') === '1') return;
    root.setAttribute('data-cnnc-mounted', '1');
    var config = { responsive: true, displaylogo: false, scrollZoom: false };
    // Sized to their cells explicitly: plotly's autosize can measure a flex item before the row settles.
    charts.forEach(function (el) {
      var f = d.figures[el.getAttribute('data-chart')];
      if (!f) return;
      var layout = Object.assign({}, f.layout);
      if (el.clientWidth > 0) layout.width = el.clientWidth;
      Plotly.newPlot(el, f.data, layout, config);
    });
    setTimeout(function () {
      charts.forEach(function (el) {
        try { if (el.layout && el.clientWidth > 0 && el.layout.width !== el.clientWidth) Plotly.relayout(el, { width: el.clientWidth }); } catch (e) { }
      });
    }, 0);
  }
  window.__cnncWhenPlotly(root, draw);
})
