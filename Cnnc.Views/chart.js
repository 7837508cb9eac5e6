// A single CNNC chart (e.g. one model's distribution graph): draws the plotly figures embedded in the fragment once
// plotly.js is on the page. Called with the fragment's root element id.
(function (rootId) {
  window.__cnncMount(rootId, function (root, d) {
    Object.keys(d.figures).forEach(function (k) {
      var el = root.querySelector('[data-chart="' + k + '"]');
      if (el) Plotly.newPlot(el, d.figures[k].data, d.figures[k].layout, { responsive: true, displaylogo: false });
    });
  });
})
