// Shared by every CNNC view, defined once per page. __cnncWhenPlotly runs a function once plotly.js is on the page:
// plotly.js may arrive later (the notebook output that carries it can come after, or be cleared), so the view queues
// itself on window.__cnncPlotlyQueue, which the inlined plotly.js drains, and after 8 s without it shows the view's
// .cnnc-missing-plotly note. __cnncMount runs a chart view's start(root, data) once, then, for the fragment whose root
// element has that id, with the JSON the fragment embeds.
if (typeof window.__cnncMount === 'undefined') {
  window.__cnncWhenPlotly = function (root, start) {
    if (typeof window.Plotly !== 'undefined') { start(); return; }
    (window.__cnncPlotlyQueue = window.__cnncPlotlyQueue || []).push(start);
    setTimeout(function () {
      if (typeof window.Plotly === 'undefined') {
        var m = root.querySelector('.cnnc-missing-plotly');
        if (m) m.style.display = 'block';
      }
    }, 8000);
  };
  window.__cnncMount = function (rootId, start) {
    var root = document.getElementById(rootId);
    if (!root || root.getAttribute('data-cnnc-mounted') === '1') return;
    window.__cnncWhenPlotly(root, function () {
      if (root.getAttribute('data-cnnc-mounted') === '1') return;
      root.setAttribute('data-cnnc-mounted', '1');
      start(root, JSON.parse(root.querySelector('script.cnnc-data').textContent));
    });
  };
}
