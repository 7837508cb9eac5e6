// A single CNNC chart (e.g. one model's distribution graph): draws the plotly figures embedded in the fragment once
// plotly.js is on the page. Called with the fragment's root element id.
(function (rootId) {
  var root = document.getElementById(rootId);
  if (!root || root.getAttribute('data-cnnc-mounted') === '1') return;

  function start() {
    if (root.getAttribute('data-cnnc-mounted') === '1') return;
    root.setAttribute('data-cnnc-mounted', '1');
    var d = JSON.parse(root.querySelector('script.cnnc-data').textContent);
    Object.keys(d.figures).forEach(function (k) {
      var el = root.querySelector('[data-chart="' + k + '"]');
      if (el) Plotly.newPlot(el, d.figures[k].data, d.figures[k].layout, { responsive: true, displaylogo: false });
    });
  }

  if (typeof window.Plotly !== 'undefined') {
    start();
  } else {
    (window.__cnncPlotlyQueue = window.__cnncPlotlyQueue || []).push(start);
    setTimeout(function () {
      if (typeof window.Plotly === 'undefined') {
        var m = root.querySelector('.cnnc-missing-plotly');
        if (m) m.style.display = 'block';
      }
    }, 8000);
  }
})
