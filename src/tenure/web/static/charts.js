// Draw every chart on the page: each .echart element carries its ECharts option as JSON.
// data-drawn="yes" is set once a chart has finished drawing (animations included).
(function () {
  const charts = [];
  for (const el of document.querySelectorAll(".echart[data-option]")) {
    const chart = echarts.init(el, null, { renderer: "canvas" });
    chart.on("finished", () => { el.dataset.drawn = "yes"; });
    chart.setOption({ animationDuration: 400, ...JSON.parse(el.dataset.option) });
    charts.push(chart);
  }
  window.addEventListener("resize", () => charts.forEach((c) => c.resize()));
})();
