/* Farmgate reports: draw the charts whose figures the page carries as JSON
   (#report-charts, written by json_script). Every chart's numbers are also in the
   table under it, so the page says everything without JavaScript. */
(function () {
  "use strict";
  var source = document.getElementById("report-charts");
  if (!source || !window.Chart) return;
  var data = JSON.parse(source.textContent);
  var palette = ["#2e7d32", "#c62828", "#1565c0", "#ef6c00", "#6a1b9a", "#00838f"];
  var reduce = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  var lang = document.documentElement.lang || "zh-hans";
  var rtl = document.documentElement.dir === "rtl";

  data.charts.forEach(function (chart) {
    var canvas = document.querySelector('canvas[data-chart="' + chart.id + '"]');
    if (!canvas || !chart.labels.length) {
      if (canvas) canvas.parentNode.hidden = true;
      return;
    }
    var horizontal = chart.type === "hbar";
    if (horizontal) {
      canvas.parentNode.style.height = Math.max(160, 28 * chart.labels.length + 60) + "px";
    }
    var format = new Intl.NumberFormat(lang, chart.money
      ? { minimumFractionDigits: 2, maximumFractionDigits: 2 }
      : { maximumFractionDigits: 1 });
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: chart.labels,
        datasets: chart.series.map(function (series, i) {
          return {
            label: series.label,
            data: series.data.map(Number),
            backgroundColor: palette[i % palette.length],
            borderRadius: 2
          };
        })
      },
      options: {
        indexAxis: horizontal ? "y" : "x",
        maintainAspectRatio: false,
        animation: reduce ? false : { duration: 300 },
        locale: lang,
        plugins: {
          legend: { display: chart.series.length > 1, rtl: rtl },
          tooltip: {
            rtl: rtl,
            callbacks: {
              label: function (item) {
                return item.dataset.label + ": " + (chart.money ? "¥" : "") + format.format(item.raw);
              }
            }
          }
        },
        scales: {
          x: { reverse: rtl && !horizontal, ticks: horizontal ? { callback: function (v) { return format.format(v); } } : { maxRotation: 60 } },
          y: { position: rtl ? "right" : "left", ticks: horizontal ? {} : { callback: function (v) { return format.format(v); } } }
        }
      }
    });
  });
})();
