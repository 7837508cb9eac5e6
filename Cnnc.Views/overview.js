// CNNC overview (paper section 5.1): draws the figures embedded in the fragment and links them in the browser.
// Clicking a model in A1, or a line in A2, pins that model (A3, A4 and B update; D shows that model's explanations
// when they were computed for every model, else says how to get them); clicking a root (a point of a line, a root name
// on the radar, or a root selector) pins that root (A4 updates). Everything comes from the JSON embedded in the
// fragment: no kernel round trip. Called with the fragment's root element id.
(function (rootId) {
  window.__cnncMount(rootId, function (root, d) {
    var state = { model: d.pin.model, root: d.pin.root };
    var el = {};
    var config = { responsive: true, displaylogo: false, scrollZoom: false };
    ['a1', 'a2', 'b', 'a3', 'a4', 'range', 'average'].forEach(function (k) {
      el[k] = root.querySelector('[data-chart="' + k + '"]');
      var f = d.figures[k];
      Plotly.newPlot(el[k], f.data, f.layout, config);
    });

    // Resize once the page has settled (a scrollbar appearing after the first draw narrows the cells).
    setTimeout(function () {
      Object.keys(el).forEach(function (k) { try { Plotly.Plots.resize(el[k]); } catch (e) { } });
    }, 0);

    function pct(v) { return v === null ? 'n/a' : (v * 100).toFixed(1) + '%'; }

    function bars(classes, title, base) {
      var acc = d.accuracy[state.model], cor = d.correct[state.model], tot = d.total[state.model];
      var trace = Object.assign({}, base.data[0], {
        x: classes.map(function (c) { return d.classes[c]; }),
        y: classes.map(function (c) { return acc[c]; }),
        text: classes.map(function (c) {
          return d.classes[c] + ' (' + d.roots[d.classRoot[c]] + ')<br>' + pct(acc[c]) + ' (' + cor[c] + '/' + tot[c] + ')';
        }),
        name: d.models[state.model],
        marker: {
          color: classes.map(function (c) { return d.rootColors[d.classRoot[c]]; }),
          line: { color: '#111111', width: classes.map(function (c) { return c === d.highlight ? 3 : 0; }) }
        }
      });
      var layout = JSON.parse(JSON.stringify(base.layout));
      layout.title.text = title;
      return { data: [trace], layout: layout };
    }

    // B: the pinned model's distribution graph, one trace per root (the figure's traces give the style).
    function distribution() {
      var m = state.model, X = d.distribution.x[m], Y = d.distribution.y[m], acc = d.accuracy[m], cor = d.correct[m], tot = d.total[m];
      var base = d.figures.b;
      var data = base.data.map(function (t, r) {
        var cls = X ? d.distribution.rootClasses[r] : [];
        return Object.assign({}, t, {
          x: cls.map(function (c) { return X[c]; }),
          y: cls.map(function (c) { return Y[c]; }),
          customdata: cls,
          text: cls.map(function (c) {
            return d.classes[c] + ' (' + d.roots[d.classRoot[c]] + ')<br>' + pct(acc[c]) + ' (' + cor[c] + '/' + tot[c] + ')';
          }),
          marker: Object.assign({}, t.marker, {
            size: cls.map(function (c) { return c === d.highlight ? 15 : 9; }),
            line: { color: '#111111', width: cls.map(function (c) { return c === d.highlight ? 2 : 0; }) }
          })
        });
      });
      var layout = JSON.parse(JSON.stringify(base.layout));
      if (X) layout.title.text = d.titles.b.replace('{model}', d.models[m]);
      layout.uirevision = d.models[m];
      return { data: data, layout: layout };
    }

    // D: the pinned model's explanations where they were computed; otherwise say whose are shown and how to get more.
    function explanations() {
      var name = d.models[state.model];
      var blocks = root.querySelectorAll('.cnnc-d-model');
      var has = d.explain.models.indexOf(name) >= 0;
      for (var i = 0; i < blocks.length; i++) {
        var own = blocks[i].getAttribute('data-model');
        blocks[i].style.display = (has ? own === name : i === 0) ? '' : 'none';
      }
      var follow = root.querySelector('.cnnc-d-follow');
      if (!follow) return;
      follow.textContent = (has || d.explain.models.length === 0) ? '' :
        d.explain.follow.split('{shown}').join(d.explain.models[0]).split('{model}').join(name);
    }

    function render() {
      var ranking = d.ranking[state.model];
      var a3 = bars(ranking, d.titles.a3.replace('{model}', d.models[state.model]), d.figures.a3);
      Plotly.react(el.a3, a3.data, a3.layout, config);
      var inRoot = ranking.filter(function (c) { return d.classRoot[c] === state.root; });
      var a4 = bars(inRoot, d.titles.a4.replace('{root}', d.roots[state.root]).replace('{model}', d.models[state.model]), d.figures.a4);
      Plotly.react(el.a4, a4.data, a4.layout, config);
      var b = distribution();
      Plotly.react(el.b, b.data, b.layout, config);
      explanations();
      root.querySelector('.cnnc-pinned-model').textContent = d.models[state.model];
      root.querySelector('.cnnc-pinned-root').textContent = d.roots[state.root];
      var ms = root.querySelector('select.cnnc-pin-model'); if (ms) ms.value = String(state.model);
      var rs = root.querySelector('select.cnnc-pin-root'); if (rs) rs.value = String(state.root);
      // Mark the pinned model in A1 (bigger marker) and in A2 (thicker line).
      Plotly.restyle(el.a1, { 'marker.size': d.models.map(function (_, i) { return i === state.model ? 20 : 12; }) });
      var a2 = { 'line.width': d.models.map(function (_, i) { return i === state.model ? 4 : 1.5; }) };
      // Many models: every line but the pinned one faint, so the pinned one reads against the crowd.
      if (d.crowded) a2.opacity = d.models.map(function (_, i) { return i === state.model ? 1 : d.faint; });
      Plotly.restyle(el.a2, a2);
      root.setAttribute('data-cnnc-pinned-model', d.models[state.model]);
      root.setAttribute('data-cnnc-pinned-root', d.roots[state.root]);
    }

    function pinModel(name) {
      var i = d.models.indexOf(name);
      if (i >= 0) { state.model = i; render(); }
    }
    function pinRoot(name) {
      var i = d.roots.indexOf(name);
      if (i >= 0) { state.root = i; render(); }
    }

    el.a1.on('plotly_click', function (ev) {
      // customdata holds the model (a crowded overview names its traces by architecture).
      if (ev && ev.points && ev.points.length) pinModel(ev.points[0].customdata);
    });
    el.a2.on('plotly_click', function (ev) {
      if (!ev || !ev.points || !ev.points.length) return;
      var p = ev.points[0];
      var i = d.models.indexOf(p.customdata);
      if (i >= 0) state.model = i;
      var r = d.roots.indexOf(p.theta);
      if (r >= 0) state.root = r;
      render();
    });
    // Root names on the radar: clickable too.
    function hookRootLabels() {
      var texts = el.a2.querySelectorAll('.polarlayer text');
      for (var i = 0; i < texts.length; i++) {
        (function (t) {
          var name = t.textContent;
          if (d.roots.indexOf(name) < 0 || t.getAttribute('data-cnnc-root')) return;
          t.setAttribute('data-cnnc-root', name);
          t.style.cursor = 'pointer';
          t.style.pointerEvents = 'all';
          t.addEventListener('click', function () { pinRoot(name); });
        })(texts[i]);
      }
    }
    el.a2.on('plotly_afterplot', hookRootLabels);
    hookRootLabels();

    var ms = root.querySelector('select.cnnc-pin-model');
    if (ms) ms.addEventListener('change', function () { state.model = parseInt(ms.value, 10); render(); });
    var rs = root.querySelector('select.cnnc-pin-root');
    if (rs) rs.addEventListener('change', function () { state.root = parseInt(rs.value, 10); render(); });
    render();
  });
})
