// Draw every chart on the page: each .echart element carries its ECharts option as JSON.
// data-drawn="yes" is set once a chart has finished drawing (animations included).
// JSON carries no functions, so two formatters are made here: a series with a "unit" (e.g.
// "%") shows it after its values in the tooltip; a label with "digits" rounds the value it
// shows (a heatmap cell's value is its third coordinate).
(function () {
  const withUnits = (option) => {
    for (const s of option.series || []) {
      if (s.unit) {
        s.tooltip = { ...s.tooltip, valueFormatter: (v) => (v == null ? "—" : v + s.unit) };
      }
      if (s.label && s.label.digits != null) {
        const digits = s.label.digits;
        s.label.formatter = (p) => {
          const v = Array.isArray(p.value) ? p.value[p.value.length - 1] : p.value;
          return v == null ? "" : Number(v).toFixed(digits);
        };
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
