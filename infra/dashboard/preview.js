// The dashboard preview page: loads every provisioned Grafana dashboard, queries Prometheus for
// each panel's targets over the requested range and draws the panels on Grafana's grid.
// Parameters (query string): from, to (unix seconds), scrape (the scrape interval, seconds).
// When done it sets body[data-state="done"] and window.previewReport (one entry per panel), which
// infra/dashboard/shoot.mjs waits for before taking the screenshot.

import {
  CALC_LABELS,
  SERIES_COLOURS,
  alignSeries,
  builtins,
  flattenPanels,
  formatValue,
  gridArea,
  interpolate,
  legendName,
  panelHeightPx,
  reduce,
  templateValues,
  thresholdColour,
  timing,
} from './preview-lib.mjs';

const params = new URLSearchParams(location.search);
const now = Math.floor(Date.now() / 1000);
const toSec = Number(params.get('to') ?? now);
const fromSec = Number(params.get('from') ?? toSec - 3600);
const scrapeSec = Number(params.get('scrape') ?? 15);
const window_ = timing({ fromSec, toSec, scrapeSec });
const points = Math.floor((toSec - fromSec) / window_.step) + 1;
const xs = Array.from({ length: points }, (_, i) => fromSec + i * window_.step);

const report = [];

async function main() {
  const index = await getJson('/dashboards/index.json');
  banner(index);
  for (const file of index.files) {
    const dashboard = await getJson(`/dashboards/${encodeURIComponent(file)}`);
    await renderDashboard(file, dashboard);
  }
}

function banner(index) {
  const iso = (s) => new Date(s * 1000).toISOString().replace('T', ' ').replace('.000Z', ' UTC');
  const minutes = ((toSec - fromSec) / 60).toFixed(1);
  document.getElementById('banner').innerHTML = `
    <h1>Agora: the Grafana dashboard's panels, rendered by Agora's preview renderer (not Grafana)</h1>
    <p>Panels, grid layout and PromQL read from <strong>${index.files
      .map((f) => escapeHtml(`${index.folder}/${f}`))
      .join(', ')}</strong>; data queried live from Prometheus (<strong>${escapeHtml(index.prometheus)}</strong>)
      scraping the running local services.</p>
    <p>Time range: <strong>${iso(fromSec)} → ${iso(toSec)}</strong> (${minutes} min),
      step ${window_.step} s, scrape interval ${scrapeSec} s, $__rate_interval = ${window_.rateInterval} s.
      Rendered by infra/dashboard (uPlot); the real dashboard is served by Grafana in infra/compose.yaml.</p>`;
}

async function renderDashboard(file, dashboard) {
  const section = document.createElement('section');
  section.className = 'dashboard';
  const variables = templateValues(dashboard);
  const shownVars = Object.entries(variables)
    .map(([k, v]) => `${k} = ${v}`)
    .join(', ');
  section.innerHTML = `<h2>${escapeHtml(dashboard.title ?? file)}${
    shownVars ? ` <small>(variables: ${escapeHtml(shownVars)})</small>` : ''
  }</h2>`;
  const grid = document.createElement('div');
  grid.className = 'grid';
  section.append(grid);
  document.getElementById('dashboards').append(section);

  const values = { ...variables, ...builtins(window_) };
  const panels = flattenPanels(dashboard);
  const work = [];
  for (const panel of panels) {
    if (panel.type === 'row') {
      const row = document.createElement('div');
      row.className = 'row-title';
      row.style.gridArea = gridArea(panel.gridPos);
      row.textContent = interpolate(panel.title ?? '', variables);
      grid.append(row);
      continue;
    }
    const element = document.createElement('div');
    element.className = 'panel';
    element.style.gridArea = gridArea(panel.gridPos);
    const title = interpolate(panel.title ?? '', variables);
    element.innerHTML = `<div class="panel-title" title="${escapeHtml(title)}">${escapeHtml(title)}</div><div class="panel-body"></div>`;
    grid.append(element);
    work.push(() => renderPanel(file, panel, title, element, values));
  }
  await runLimited(work, 4);
}

async function renderPanel(file, panel, title, element, values) {
  const body = element.querySelector('.panel-body');
  const entry = { dashboard: file, id: panel.id, title, type: panel.type, series: 0, empty: true, errors: [] };
  report.push(entry);
  let series = [];
  for (const target of panel.targets ?? []) {
    if (target.hide || !target.expr) continue;
    const expr = interpolate(target.expr, values);
    try {
      const answer = await queryRange(expr);
      // Grafana lists series in target order; within a target, by name.
      const named = answer.map((result) => ({ result, name: legendName(target.legendFormat, result.metric, expr) }));
      named.sort((a, b) => a.name.localeCompare(b.name));
      for (const { result, name } of named) {
        series.push({ name, data: alignSeries(result.values, fromSec, window_.step, points) });
      }
    } catch (error) {
      entry.errors.push(`${target.refId ?? ''}: ${error.message}`);
    }
  }
  series = series.filter((s) => s.data.some((v) => v != null));
  entry.series = series.length;
  entry.empty = series.length === 0;
  if (entry.errors.length) {
    body.innerHTML = `<div class="panel-error">${escapeHtml(entry.errors.join('; '))}</div>`;
    return;
  }
  if (entry.empty) {
    body.innerHTML = '<div class="no-data">No data</div>';
    return;
  }
  if (panel.type === 'stat') drawStat(panel, body, series);
  else drawTimeseries(panel, element, body, series);
}

function drawStat(panel, body, series) {
  const defaults = panel.fieldConfig?.defaults ?? {};
  const calc = panel.options?.reduceOptions?.calcs?.[0] ?? 'lastNotNull';
  const data = series[0].data;
  const value = reduce(data, calc);
  const colour = thresholdColour(defaults.thresholds, value);
  const background = panel.options?.colorMode !== 'value';
  const stat = document.createElement('div');
  stat.className = 'stat';
  stat.style.background = background ? colour : 'transparent';
  if (!background) stat.style.color = colour;
  if (panel.options?.graphMode !== 'none') stat.append(sparkline(data));
  const text = document.createElement('span');
  text.textContent = formatValue(value, defaults.unit, defaults.decimals);
  stat.append(text);
  body.append(stat);
}

function sparkline(data) {
  const present = data.filter((v) => v != null);
  const max = Math.max(...present);
  const min = Math.min(0, ...present);
  const span = max - min || 1;
  const coords = data
    .map((v, i) => (v == null ? null : `${(i / (data.length - 1 || 1)) * 100},${100 - ((v - min) / span) * 100}`))
    .filter(Boolean);
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 100 100');
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.innerHTML = `<polygon points="0,100 ${coords.join(' ')} 100,100" fill="rgba(255,255,255,0.18)" />`;
  return svg;
}

function drawTimeseries(panel, element, body, series) {
  const defaults = panel.fieldConfig?.defaults ?? {};
  const custom = defaults.custom ?? {};
  const legend = panel.options?.legend ?? { displayMode: 'list', calcs: [] };
  const stacked = custom.stacking?.mode === 'normal';
  const legendBox = document.createElement('div');
  legendBox.className = 'legend-box';
  if (legend.displayMode !== 'hidden' && legend.showLegend !== false) {
    legendBox.append(legendElement(series, legend, defaults));
  }
  const chart = document.createElement('div');
  body.append(chart);
  element.append(legendBox);

  const total = panelHeightPx(panel.gridPos?.h ?? 8) - 26;
  const legendHeight = Math.min(legendBox.scrollHeight, Math.floor(total * 0.45));
  legendBox.style.height = `${legendHeight}px`;
  const height = total - legendHeight;
  const width = body.clientWidth;

  const plotted = stacked ? stack(series.map((s) => s.data)) : series.map((s) => s.data);
  const fill = (custom.fillOpacity ?? 0) / 100;
  const fmt = (v) => formatValue(v, defaults.unit, undefined);
  const options = {
    width,
    height,
    legend: { show: false },
    cursor: { show: false },
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    scales: {
      y: {
        range: (_, min, max) => {
          const low = defaults.min ?? Math.min(0, min);
          const high = max > low ? max + (max - low) * 0.08 : low + 1;
          return [low, high];
        },
      },
    },
    axes: [
      axisStyle({ space: 70, values: (_, ticks) => ticks.map((t, i) => clock(t, i, ticks)) }),
      axisStyle({ size: labelWidth, values: (_, ticks) => ticks.map(fmt) }),
    ],
    series: [
      {},
      ...series.map((s, i) => ({
        label: s.name,
        stroke: SERIES_COLOURS[i % SERIES_COLOURS.length],
        fill: fill > 0 ? hexAlpha(SERIES_COLOURS[i % SERIES_COLOURS.length], fill) : undefined,
        width: custom.lineWidth ?? 1,
        spanGaps: custom.spanNulls === true,
        points: { show: false },
      })),
    ],
  };
  new uPlot(options, [xs, ...plotted], chart);
}

function legendElement(series, legend, defaults) {
  const calcs = legend.calcs ?? [];
  if (legend.displayMode !== 'table') {
    const list = document.createElement('div');
    list.className = 'legend-list';
    list.innerHTML = series
      .map((s, i) => `<span><i class="swatch" style="background:${SERIES_COLOURS[i % SERIES_COLOURS.length]}"></i>${escapeHtml(s.name)}</span>`)
      .join('');
    return list;
  }
  const table = document.createElement('table');
  table.className = 'legend';
  const head = `<tr><th>Name</th>${calcs.map((c) => `<th>${CALC_LABELS[c] ?? c}</th>`).join('')}</tr>`;
  const rows = series
    .map((s, i) => {
      const cells = calcs
        .map((c) => `<td>${escapeHtml(formatValue(reduce(s.data, c), defaults.unit, defaults.decimals))}</td>`)
        .join('');
      const swatch = `<i class="swatch" style="background:${SERIES_COLOURS[i % SERIES_COLOURS.length]}"></i>`;
      return `<tr><td title="${escapeHtml(s.name)}">${swatch}${escapeHtml(s.name || ' ')}</td>${cells}</tr>`;
    })
    .join('');
  table.innerHTML = head + rows;
  return table;
}

// Grafana's "normal" stacking: each series drawn on top of the ones before it.
function stack(columns) {
  const sums = new Array(points).fill(0);
  return columns.map((column) =>
    column.map((v, i) => {
      if (v == null) return null;
      sums[i] += v;
      return sums[i];
    }),
  );
}

// Tick labels in UTC, like the header's range: hh:mm, with seconds when ticks are closer.
function clock(ts, i, ticks) {
  const text = new Date(ts * 1000).toISOString();
  const close = ticks && ticks.length > 1 && ticks[1] - ticks[0] < 60;
  return close ? text.slice(11, 19) : text.slice(11, 16);
}

// Room for the widest y tick label (uPlot calls this with the labels it is about to draw).
function labelWidth(_, labels) {
  const longest = Math.max(0, ...(labels ?? []).map((l) => String(l).length));
  return 18 + longest * 7.2;
}

function axisStyle(extra) {
  return {
    stroke: '#8e8e9e',
    grid: { stroke: 'rgba(204,204,220,0.08)', width: 1 },
    ticks: { stroke: 'rgba(204,204,220,0.15)', width: 1 },
    font: '11px Inter, Arial, sans-serif',
    ...extra,
  };
}

function hexAlpha(hex, alpha) {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${alpha})`;
}

async function queryRange(expr) {
  const query = new URLSearchParams({ query: expr, start: fromSec, end: toSec, step: window_.step });
  const answer = await getJson(`/api/v1/query_range?${query}`);
  if (answer.status !== 'success') throw new Error(answer.error ?? 'query failed');
  return answer.data.result;
}

async function getJson(url) {
  const response = await fetch(url);
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new Error(body?.error ?? `${url}: HTTP ${response.status}`);
  return body;
}

async function runLimited(tasks, limit) {
  const queue = [...tasks];
  const workers = Array.from({ length: limit }, async () => {
    while (queue.length) await queue.shift()();
  });
  await Promise.all(workers);
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

main()
  .then(() => {
    window.previewReport = report;
    document.body.dataset.state = 'done';
  })
  .catch((error) => {
    window.previewReport = report;
    window.previewError = error.message;
    document.body.dataset.state = 'failed';
    document.getElementById('banner').append(`Preview failed: ${error.message}`);
  });
