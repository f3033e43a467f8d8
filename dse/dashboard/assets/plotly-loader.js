/* dse dashboard: Plotly from dse's own bundle (assets/plotly/, built by dashboards/plotly-bundle/):
   the core with the 2-D traces the dashboard draws, 1.5 MB instead of Dash's full 4.8 MB plotly.js,
   which the browser spends most of a cold page load parsing. dcc.Graph uses window.Plotly when it is
   set (and waits on it when it is a promise), so window.Plotly is at once a promise of the bundle,
   then Plotly itself. The 3-D trace (0.55 MB more) is loaded, into the same Plotly, only when a
   3-objective view is drawn: window.dash_clientside.dse.draw3d holds its figure back until then. */
(function () {
  var here = document.currentScript.src.split('?')[0];
  var base = here.slice(0, here.lastIndexOf('/') + 1) + 'plotly/';
  var plotly = import(base + 'plotly-2d.js').then(function (m) { window.Plotly = m.default; return m.default; });
  var threeD = null;
  window.Plotly = plotly;
  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.dse = {
    /* page-version, once the Pareto plot is drawn (or after 5 s): the trial table and the slower
       sections are asked for, and rendered, after the plot instead of competing with it */
    afterParetoDrawn: function (version) {
      return new Promise(function (resolve) {
        var start = performance.now();
        (function poll() {
          var g = document.querySelector('#pareto-graph .js-plotly-plot');
          if ((g && g._fullLayout) || performance.now() - start > 5000) {
            requestAnimationFrame(function () { resolve(version); });
          } else {
            requestAnimationFrame(poll);
          }
        })();
      });
    },
    draw3d: function (figure) {
      if (!figure) { return window.dash_clientside.no_update; }
      if (!threeD) {
        threeD = plotly.then(function (P) {
          return import(base + 'plotly-3d.js').then(function (m) { P.register(m.default); });
        });
      }
      return threeD.then(function () { return figure; });
    }
  };
})();
