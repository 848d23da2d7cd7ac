// Report pages: each chart drawn by ECharts from the JSON block beside it (the page's
// Content-Security-Policy allows no inline script), and tables sorted by a click on a header.
(function () {
  "use strict";

  function percent(value) {
    return value === null || value === undefined ? "—" : Number(value).toFixed(1) + "%";
  }

  function hasValues(data) {
    return data.series.some(function (line) {
      return line.data.some(function (v) { return v !== null; });
    });
  }

  function drawCharts() {
    if (typeof window.echarts === "undefined") { return; }
    document.querySelectorAll("script[type='application/json'][data-chart]").forEach(function (block) {
      var target = document.getElementById(block.dataset.chart);
      if (!target) { return; }
      var data = JSON.parse(block.textContent);
      if (!hasValues(data)) {
        target.classList.add("chart-empty");
        target.textContent = data.empty;
        return;
      }
      var bar = data.kind === "bar";
      var chart = window.echarts.init(target, null, {
        locale: block.dataset.locale || "EN",
        renderer: "canvas"
      });
      chart.setOption({
        animation: false,
        // Rich-text tooltips are drawn on the canvas: HTML ones would need inline styles.
        tooltip: { trigger: "axis", renderMode: "richText", valueFormatter: percent },
        legend: { show: data.series.length > 1, bottom: 0 },
        grid: { left: 16, right: 24, top: 40, bottom: data.series.length > 1 ? 40 : 16, containLabel: true },
        xAxis: {
          type: "category",
          data: data.categories,
          axisLabel: { rotate: bar && data.categories.length > 6 ? 30 : 0, hideOverlap: true }
        },
        yAxis: { type: "value", name: data.axis, min: 0, max: 100 },
        series: data.series.map(function (line) {
          return {
            name: line.name,
            type: data.kind,
            data: line.data,
            showSymbol: true,
            connectNulls: false,
            barMaxWidth: 48,
            label: { show: bar && data.categories.length <= 12, position: "top", formatter: function (p) { return percent(p.value); } }
          };
        })
      });
      window.addEventListener("resize", function () { chart.resize(); });
      target.dataset.rendered = "true";
    });
  }

  function cellValue(row, index, numeric) {
    var cell = row.cells[index];
    var raw = cell ? cell.dataset.value : "";
    if (raw === undefined || raw === "") { return null; }
    if (!numeric) { return raw; }
    var number = parseFloat(raw);
    return isNaN(number) ? null : number;
  }

  function sortBy(table, head) {
    var heads = Array.prototype.slice.call(head.parentNode.children);
    var index = heads.indexOf(head);
    var numeric = head.hasAttribute("data-numeric");
    var ascending = head.getAttribute("aria-sort") !== "ascending";
    heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
    head.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var body = table.tBodies[0];
    var collator = new Intl.Collator(document.documentElement.lang, { numeric: true });
    var rows = Array.prototype.slice.call(body.rows).filter(function (r) {
      return !r.hasAttribute("data-empty");
    });
    rows.sort(function (a, b) {
      var x = cellValue(a, index, numeric);
      var y = cellValue(b, index, numeric);
      // Rows without a value (nothing counted) stay at the end whichever the direction.
      if (x === null || y === null) { return (x === null) - (y === null); }
      var order = numeric ? x - y : collator.compare(x, y);
      return ascending ? order : -order;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }

  document.querySelectorAll("table[data-sortable]").forEach(function (table) {
    table.querySelectorAll("thead th").forEach(function (head) {
      var button = head.querySelector("button.sort");
      if (button) { button.addEventListener("click", function () { sortBy(table, head); }); }
    });
  });

  drawCharts();
})();
