// Draw every chart on the page: each .echart element carries its ECharts option as JSON.
// data-drawn="yes" is set once a chart has finished drawing (animations included).
// A series with a "unit" (e.g. "%") shows it after its values in the tooltip: JSON carries
// no functions, so the formatter is made here.
(function () {
  const withUnits = (option) => {
    for (const s of option.series || []) {
      if (s.unit) {
        s.tooltip = { ...s.tooltip, valueFormatter: (v) => (v == null ? "—" : v + s.unit) };
      }
    }
    return option;
  };
  const charts = [];
  for (const el of document.querySelectorAll(".echart[data-option]")) {
    const chart = echarts.init(el, null, { renderer: "canvas" });
    chart.on("finished", () => { el.dataset.drawn = "yes"; });
    chart.setOption({ animationDuration: 400, ...withUnits(JSON.parse(el.dataset.option)) });
    charts.push(chart);
  }
  window.addEventListener("resize", () => charts.forEach((c) => c.resize()));
})();
