/* The warning board's trend chart (Apache ECharts, vendor/echarts/echarts.min.js).
   Data: the JSON of <script id="trend-data"> (Django's json_script), built by
   kefu/parcels/views.py _trend_chart. Without JavaScript the table below stays. */
(function () {
  "use strict";

  function init() {
    var box = document.getElementById("trend-chart");
    var source = document.getElementById("trend-data");
    if (!box || !source || typeof window.echarts === "undefined") return;
    var data = JSON.parse(source.textContent);
    var t = data.labels;
    box.hidden = false;
    var zh = (document.documentElement.lang || "").toLowerCase().indexOf("zh") === 0;
    var chart = window.echarts.init(box, null, { renderer: "canvas", locale: zh ? "ZH" : "EN" });
    chart.setOption({
      animation: false,
      color: ["#5470c6", "#2e9e5b", "#c0392b", "#e6a23c"],
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 48, right: 56, top: 40, bottom: 32 },
      xAxis: { type: "category", data: data.days },
      yAxis: [
        { type: "value", name: t.count, minInterval: 1 },
        { type: "value", name: t.percent, min: 0, max: 100, axisLabel: { formatter: "{value}%" },
          splitLine: { show: false } }
      ],
      series: [
        { name: t.raised, type: "bar", data: data.raised },
        { name: t.saved, type: "bar", data: data.saved },
        { name: t.missed, type: "bar", data: data.missed },
        { name: t.rate, type: "line", yAxisIndex: 1, data: data.rate, connectNulls: false,
          tooltip: { valueFormatter: function (v) { return v == null ? "—" : v + "%"; } } }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
