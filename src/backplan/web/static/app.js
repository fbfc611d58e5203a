// backplan's page scripts: plain JavaScript, no build step.
// The pages work without it; it adds the funnel chart and live what-ifs.
"use strict";

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

function formatNumber(x) {
  if (x === null || x === undefined) return "–";
  return Number.isInteger(x) ? x.toLocaleString("en-US")
    : x.toLocaleString("en-US", { maximumFractionDigits: 1, minimumFractionDigits: 1 });
}

// A different funnel needs different rates: start the form afresh for it.
function setUpFunnelSelect() {
  const select = document.querySelector("[data-funnel-select]");
  if (!select) return;
  select.addEventListener("change", () => {
    window.location.assign("/plan?funnel=" + encodeURIComponent(select.value));
  });
}

function volumeTraces(plan, whatIf) {
  // Stages run from the top of the funnel down; volumes span orders of
  // magnitude (1,200 dials, 4 SQLs), hence bars on a log axis.
  const labels = plan.stages.map((s) => s.label).reverse();
  const trace = (p, name, color) => {
    const values = p.stages.map((s) => s.per_period).reverse();
    return {
      type: "bar", orientation: "h", name, y: labels, x: values,
      text: values.map(formatNumber), textposition: "outside", cliponaxis: false,
      marker: { color }, hovertemplate: "%{y}: %{x:,}<extra>" + name + "</extra>",
    };
  };
  const traces = [trace(plan, "Plan", "#0f6e6e")];
  if (whatIf) traces.push(trace(whatIf, "What-if", "#7fb8b3"));
  return traces;
}

function drawChart(plan, whatIf) {
  const chart = document.getElementById("plan-chart");
  if (!chart || !window.Plotly) return;
  const layout = {
    margin: { l: 130, r: 50, t: 10, b: 40 }, height: 300, barmode: "group",
    xaxis: { type: "log", title: { text: "per period (log scale)" }, gridcolor: "#e6e9ee" },
    showlegend: Boolean(whatIf), legend: { orientation: "h", y: -0.25 },
    paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
    font: { family: "system-ui, sans-serif", color: "#1d2430" },
  };
  window.Plotly.react(chart, volumeTraces(plan, whatIf), layout, { displayModeBar: false, responsive: true });
  chart.dataset.drawn = "true";
}

// The what-if in the rep's daily number first ("3.6 conversations a working day instead
// of 4.2"), the raw volume at the top of the funnel second.
function whatIfSummary(plan, result) {
  const focusOf = (p) => p.stages.find((s) => s.focus) || p.stages[p.stages.length - 1];
  const focus = focusOf(plan);
  const next = result.stages.find((s) => s.key === focus.key) || focusOf(result);
  const top = plan.stages[0], newTop = result.stages[0];
  const diff = top.per_period - newTop.per_period;
  const label = focus.label.toLowerCase();
  if (next.per_working_day === focus.per_working_day && diff === 0) return "Same daily number as your plan.";
  let text = `${formatNumber(next.per_working_day)} ${label} a working day instead of ${formatNumber(focus.per_working_day)}`;
  if (top.key !== focus.key && diff !== 0) {
    text += `; ${formatNumber(Math.abs(diff))} ${diff > 0 ? "fewer" : "more"} ${top.label.toLowerCase()} over the period`;
  }
  return text + ".";
}

// A rate as every page shows it: a percentage to one decimal, none when whole (12.5%, 7%).
function formatPercent(rate) {
  return `${(100 * rate).toFixed(1).replace(/\.0$/, "")}%`;
}

function setUpPlanPage() {
  const dataNode = document.getElementById("plan-data");
  if (!dataNode) return;
  const { plan, input } = JSON.parse(dataNode.textContent);
  drawChart(plan, null);

  const sliders = Array.from(document.querySelectorAll("input[type=range][data-conversion]"));
  const summary = document.getElementById("what-if-summary");
  const useButton = document.getElementById("use-what-if");
  let whatIfRates = null;
  let timer = null;

  function currentRates() {
    const rates = Object.assign({}, input.rates);
    for (const slider of sliders) {
      const base = Number(slider.dataset.rate);
      const factor = 1 + Number(slider.value) / 100;
      const rate = Math.min(base * factor, 1);
      // An untouched rate stays exactly as typed (1/7 is not 0.142857).
      if (Number(slider.value) !== 0) rates[slider.dataset.conversion] = rate.toPrecision(12);
      const out = document.querySelector(`[data-output-for="${slider.dataset.conversion}"]`);
      if (out) out.textContent = formatPercent(rate);
    }
    return rates;
  }

  async function update() {
    const rates = currentRates();
    const body = Object.assign({}, input, { rates });
    for (const key of Object.keys(body)) if (body[key] === null) delete body[key];
    const response = await fetch("/api/plan", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrfToken() },
      body: JSON.stringify(body),
      credentials: "same-origin",
    });
    const result = await response.json();
    if (!response.ok) {
      summary.textContent = result.error || "These rates cannot be planned.";
      useButton.disabled = true;
      return;
    }
    whatIfRates = rates;
    for (const stage of result.stages) {
      const cell = document.querySelector(`[data-what-if="${stage.key}"]`);
      if (cell) cell.textContent = formatNumber(stage.per_period);
    }
    summary.textContent = whatIfSummary(plan, result);
    useButton.disabled = false;
    drawChart(plan, result);
  }

  for (const slider of sliders) {
    slider.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(update, 150);
    });
  }
  if (useButton) {
    useButton.addEventListener("click", () => {
      if (!whatIfRates) return;
      const form = document.getElementById("plan-form");
      for (const [key, value] of Object.entries(whatIfRates)) {
        const field = form.querySelector(`[name="${CSS.escape(key)}"]`);
        if (field) field.value = value;
      }
      form.submit();
    });
  }
}

// An import page follows its job until it finishes, then shows the summary.
function setUpJobPage() {
  const job = document.getElementById("job");
  if (!job || !["queued", "running"].includes(job.dataset.status)) return;
  const bar = document.getElementById("job-progress");
  const stage = document.getElementById("job-stage");
  async function poll() {
    const response = await fetch(`/api/imports/jobs/${job.dataset.jobId}`, {
      headers: { Accept: "application/json" }, credentials: "same-origin",
    });
    if (!response.ok) return;
    const data = await response.json();
    stage.textContent = data.stage;
    if (data.fraction !== null) bar.value = data.fraction;
    if (data.status === "done" || data.status === "failed") {
      window.location.reload();
      return;
    }
    setTimeout(poll, 400);
  }
  setTimeout(poll, 300);
}

// A rep's rates: each estimate with its range, and the team's rate beside it.
function setUpRatesChart() {
  const node = document.getElementById("rates-data");
  const chart = document.getElementById("rates-chart");
  if (!node || !chart || !window.Plotly) return;
  const rows = JSON.parse(node.textContent).filter((r) => r.estimate !== null);
  const labels = rows.map((r) => `${r.from} → ${r.to}`);
  const estimate = {
    type: "scatter", mode: "markers", name: "Estimate (range)", x: labels, y: rows.map((r) => r.estimate),
    marker: { color: "#0f6e6e", size: 10 },
    error_y: {
      type: "data", symmetric: false, color: "#0f6e6e",
      array: rows.map((r) => (r.high ?? r.estimate) - r.estimate),
      arrayminus: rows.map((r) => r.estimate - (r.low ?? r.estimate)),
    },
  };
  const team = {
    type: "scatter", mode: "markers", name: "Team", x: labels, y: rows.map((r) => r.team_rate),
    marker: { color: "#b0b7c3", size: 10, symbol: "line-ew-open", line: { width: 3 } },
  };
  const layout = {
    margin: { l: 50, r: 20, t: 10, b: 60 }, height: 300, yaxis: { type: "log", title: { text: "rate" } },
    legend: { orientation: "h", y: -0.3 }, paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
    font: { family: "system-ui, sans-serif", color: "#1d2430" },
  };
  window.Plotly.react(chart, [estimate, team], layout, { displayModeBar: false, responsive: true });
  chart.dataset.drawn = "true";
}

// A team: reps down, conversions across, shaded by P(below the team's rate).
function setUpTeamHeatmap() {
  const node = document.getElementById("team-data");
  const chart = document.getElementById("team-heatmap");
  if (!node || !chart || !window.Plotly) return;
  const rows = JSON.parse(node.textContent);
  const reps = [...new Set(rows.map((r) => r.name || r.rep))];
  const conversions = [...new Set(rows.map((r) => `${r.from} → ${r.to}`))];
  const cell = (rep, conv) => rows.find((r) => (r.name || r.rep) === rep && `${r.from} → ${r.to}` === conv);
  const z = reps.map((rep) => conversions.map((c) => cell(rep, c)?.p_below_team ?? null));
  const text = reps.map((rep) => conversions.map((c) => {
    const r = cell(rep, c);
    return r && r.estimate !== null ? Number(r.estimate.toPrecision(2)).toString() : "";
  }));
  const trace = {
    type: "heatmap", x: conversions, y: reps, z, text, texttemplate: "%{text}", zmin: 0, zmax: 1,
    colorscale: [[0, "#f4faf9"], [0.5, "#cfe7e4"], [0.9, "#e8a39b"], [1, "#b42318"]],
    colorbar: { title: { text: "P(below team)" } },
    hovertemplate: "%{y}, %{x}: %{text}<br>P(below team) %{z:.0%}<extra></extra>",
  };
  const layout = {
    margin: { l: 130, r: 20, t: 10, b: 60 }, height: Math.max(260, 36 * reps.length + 90),
    paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
    font: { family: "system-ui, sans-serif", color: "#1d2430" },
  };
  window.Plotly.react(chart, [trace], layout, { displayModeBar: false, responsive: true });
  chart.dataset.drawn = "true";
}

// Forecast page: each team's 80% range around its median forecast, against its target.
function setUpForecastChart() {
  const chart = document.getElementById("forecast-chart");
  const source = document.getElementById("forecast-data");
  if (!chart || !source || !window.Plotly) return;
  const rows = JSON.parse(source.textContent).filter((r) => r.forecast);
  if (!rows.length) return;
  const names = rows.map((r) => r.team || "Organisation");
  const range = {
    type: "scatter", mode: "markers", name: "Forecast (80% range)", x: names,
    y: rows.map((r) => r.forecast.expected), marker: { color: "#0f6e6e", size: 10 },
    error_y: {
      type: "data", symmetric: false,
      array: rows.map((r) => r.forecast.high - r.forecast.expected),
      arrayminus: rows.map((r) => r.forecast.expected - r.forecast.low),
    },
  };
  const target = {
    type: "scatter", mode: "markers", name: "Target", x: names, y: rows.map((r) => r.target),
    marker: { symbol: "line-ew-open", size: 24, color: "#b5482f" },
  };
  Plotly.newPlot(chart, [range, target], {
    margin: { l: 50, r: 20, t: 10, b: 40 }, height: 280, legend: { orientation: "h", y: -0.2 },
    paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
  }, { displayModeBar: false, responsive: true });
}

// Calibration page: the reliability diagram (P said against the share that hit), sized by count.
function setUpCalibrationChart() {
  const chart = document.getElementById("calibration-chart");
  const source = document.getElementById("calibration-data");
  if (!chart || !source || !window.Plotly) return;
  const bins = JSON.parse(source.textContent);
  if (!bins.length) return;
  const diagonal = {
    type: "scatter", mode: "lines", name: "Perfectly calibrated", x: [0, 1], y: [0, 1],
    line: { color: "#b5482f", dash: "dash" },
  };
  const observed = {
    type: "scatter", mode: "lines+markers", name: "Our forecasts",
    x: bins.map((b) => b.predicted), y: bins.map((b) => b.observed),
    text: bins.map((b) => `${b.n} forecasts`), hoverinfo: "x+y+text",
    marker: { color: "#0f6e6e", size: bins.map((b) => 6 + Math.sqrt(b.n) * 2) },
  };
  window.Plotly.react(chart, [diagonal, observed], {
    ...CHART_LAYOUT, margin: { l: 50, r: 20, t: 10, b: 50 }, height: 320,
    xaxis: { title: { text: "P(hit) said" }, range: [0, 1], tickformat: ".0%" },
    yaxis: { title: { text: "share that hit" }, range: [0, 1], tickformat: ".0%" },
    legend: { orientation: "h", y: -0.3 },
  }, { displayModeBar: false, responsive: true });
  chart.dataset.drawn = "true";
}

const CHART_LAYOUT = {
  paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
  font: { family: "system-ui, sans-serif", color: "#1d2430" },
};

// Conversions month by month (months without trials are gaps, not zeros): a rep's on their
// page, each team's on the forecast page.
function setUpTrendChart(dataId = "trend-data", chartId = "trend-chart") {
  const node = document.getElementById(dataId);
  const chart = document.getElementById(chartId);
  if (!node || !chart || !window.Plotly) return;
  const traces = JSON.parse(node.textContent).map((t) => ({
    type: "scatter", mode: "lines+markers", x: t.months,
    name: t.team === undefined ? t.conversion : `${t.team || "Organisation"}: ${t.conversion}`,
    y: t.successes.map((hit, i) => (t.trials[i] ? hit / t.trials[i] : null)),
  }));
  const layout = {
    ...CHART_LAYOUT, margin: { l: 50, r: 20, t: 10, b: 40 }, height: 280,
    yaxis: { title: { text: "rate" }, tickformat: ".0%", rangemode: "tozero" },
    legend: { orientation: "h", y: -0.25 },
  };
  window.Plotly.react(chart, traces, layout, { displayModeBar: false, responsive: true });
  chart.dataset.drawn = "true";
}

// Forecast page: what each lead source brought at the objective's stage.
function setUpSourcesChart() {
  const node = document.getElementById("sources-data");
  const chart = document.getElementById("sources-chart");
  if (!node || !chart || !window.Plotly) return;
  const { sources, stage } = JSON.parse(node.textContent);
  if (!sources.length) return;
  const rows = [...sources].reverse();
  const bars = {
    type: "bar", orientation: "h", name: stage, y: rows.map((r) => r.source),
    x: rows.map((r) => r.counts[stage] || 0), marker: { color: "#0f6e6e" },
  };
  const layout = {
    ...CHART_LAYOUT, margin: { l: 120, r: 20, t: 10, b: 40 }, height: 60 + 28 * rows.length,
    xaxis: { title: { text: stage }, rangemode: "tozero" },
  };
  window.Plotly.react(chart, [bars], layout, { displayModeBar: false, responsive: true });
  chart.dataset.drawn = "true";
}

// Response rate on each attempt with its range, against the rate worth another attempt.
function setUpCadenceChart() {
  const node = document.getElementById("cadence-data");
  const chart = document.getElementById("cadence-chart");
  if (!node || !chart || !window.Plotly) return;
  const { by_attempt: rows, threshold } = JSON.parse(node.textContent);
  const attempts = rows.map((r) => r.attempt);
  const rate = {
    type: "bar", name: "Responded on this attempt", x: attempts, y: rows.map((r) => r.rate),
    marker: { color: "#0f6e6e" },
    error_y: {
      type: "data", symmetric: false, color: "#1d2430",
      array: rows.map((r) => r.high - r.rate), arrayminus: rows.map((r) => r.rate - r.low),
    },
  };
  const bar = {
    type: "scatter", mode: "lines", name: "Worth another attempt above", x: attempts,
    y: attempts.map(() => threshold), line: { color: "#b5482f", dash: "dash" },
  };
  const layout = {
    ...CHART_LAYOUT, margin: { l: 50, r: 20, t: 10, b: 40 }, height: 260,
    xaxis: { title: { text: "attempt" }, dtick: 1 }, yaxis: { tickformat: ".0%" },
    legend: { orientation: "h", y: -0.3 },
  };
  window.Plotly.react(chart, [rate, bar], layout, { displayModeBar: false, responsive: true });
  chart.dataset.drawn = "true";
}

document.addEventListener("DOMContentLoaded", () => {
  setUpTrendChart();
  setUpTrendChart("trends-data", "trends-chart");
  setUpSourcesChart();
  setUpCadenceChart();
  setUpForecastChart();
  setUpCalibrationChart();
  setUpTeamHeatmap();
  setUpRatesChart();
  setUpFunnelSelect();
  setUpPlanPage();
  setUpJobPage();
});
