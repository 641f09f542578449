// Pure helpers of the dashboard preview renderer: they turn a Grafana dashboard model and
// Prometheus answers into what the page draws. No DOM and no network here, so the browser page
// (preview.js) and the Node tests (preview-lib.test.mjs) use the very same code.

// Grafana lays panels on a 24-column grid whose rows are 30 px high with 8 px gaps.
export const GRID_ROW_PX = 30;
export const GRID_GAP_PX = 8;

// Grafana's palette names used in thresholds and overrides, as the colours it draws them with.
const NAMED_COLOURS = {
  green: '#73bf69',
  'dark-green': '#37872d',
  red: '#f2495c',
  'dark-red': '#c4162a',
  yellow: '#fade2a',
  'dark-yellow': '#e0b400',
  orange: '#ff9830',
  'dark-orange': '#fa6400',
  blue: '#5794f2',
  'dark-blue': '#1f60c4',
  purple: '#b877d9',
  'dark-purple': '#8f3bb8',
  text: '#ccccdc',
  transparent: 'transparent',
};

// Series colours in Grafana's classic order, so the preview reads like the real thing.
export const SERIES_COLOURS = [
  '#7eb26d', '#eab839', '#6ed0e0', '#ef843c', '#e24d42', '#1f78c1', '#ba43a9', '#705da0',
  '#508642', '#cca300', '#447ebc', '#c15c17', '#890f02', '#0a437c', '#6d1f62', '#584477',
];

export function colourOf(name) {
  if (!name) return NAMED_COLOURS.text;
  return NAMED_COLOURS[name] ?? name;
}

// Every panel in drawing order with the row it sits under; panels of collapsed rows are kept
// (Grafana nests them in the row) and flagged, so nothing in the JSON goes unrendered.
export function flattenPanels(dashboard) {
  const out = [];
  for (const panel of dashboard.panels ?? []) {
    out.push({ ...panel, collapsedRow: false });
    if (panel.type === 'row' && panel.collapsed) {
      for (const nested of panel.panels ?? []) out.push({ ...nested, collapsedRow: true });
    }
  }
  return out;
}

// Values of the dashboard's template variables as Grafana would put them into a Prometheus
// query: one value as is, several as a regex alternation, "All" as the variable's allValue.
export function templateValues(dashboard) {
  const values = {};
  for (const variable of dashboard.templating?.list ?? []) {
    const current = variable.current?.value;
    const list = Array.isArray(current) ? current : current == null ? [] : [current];
    if (list.length === 1 && list[0] === '$__all') {
      const all = (variable.options ?? [])
        .map((o) => o.value)
        .filter((v) => v !== '$__all');
      values[variable.name] = variable.allValue ?? `(${all.join('|')})`;
    } else if (list.length > 1) {
      values[variable.name] = `(${list.join('|')})`;
    } else {
      values[variable.name] = list[0] ?? '';
    }
  }
  return values;
}

// Step and `$__rate_interval` the way Grafana's Prometheus data source picks them: the step is
// the range spread over the panel's pixels but never below the scrape interval; the rate window
// is at least four scrapes, and one step plus one scrape.
export function timing({ fromSec, toSec, scrapeSec, maxPoints = 600 }) {
  const range = Math.max(1, toSec - fromSec);
  const step = Math.max(scrapeSec, Math.ceil(range / maxPoints));
  const rateInterval = Math.max(step + scrapeSec, 4 * scrapeSec);
  return { range, step, rateInterval };
}

// Replaces `$name`, `${name}` and `[[name]]` by their values; longer names first, so
// `$__range_s` is not read as `$__range` followed by `_s`.
export function interpolate(expr, values) {
  const names = Object.keys(values).sort((a, b) => b.length - a.length);
  let out = expr;
  for (const name of names) {
    const value = String(values[name]);
    out = out
      .split(`\${${name}}`).join(value)
      .split(`[[${name}]]`).join(value)
      .replace(new RegExp(`\\$${escapeRegExp(name)}(?![A-Za-z0-9_])`, 'g'), () => value);
  }
  return out;
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// The built-in variables of a query over [fromSec, toSec].
export function builtins({ range, step, rateInterval }) {
  return {
    __rate_interval: `${rateInterval}s`,
    __interval: `${step}s`,
    __interval_ms: String(step * 1000),
    __range: `${range}s`,
    __range_s: String(range),
    __range_ms: String(range * 1000),
  };
}

// A series' legend: `{{label}}` filled from its labels; with no format, the selector text
// Grafana shows (`{a="b"}`), or the expression when the series has no labels at all.
export function legendName(format, metric, expr) {
  if (format && format !== '__auto') {
    return format.replace(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g, (_, label) => metric[label] ?? '').trim();
  }
  const { __name__: name = '', ...labels } = metric;
  const pairs = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  if (!name && pairs.length === 0) return expr;
  return `${name}{${pairs.join(', ')}}`;
}

// Prometheus matrix values (`[[t, "v"], …]`) on the shared time axis; gaps and NaN are null.
export function alignSeries(values, fromSec, step, length) {
  const out = new Array(length).fill(null);
  for (const [t, raw] of values) {
    const index = Math.round((t - fromSec) / step);
    const value = Number(raw);
    if (index >= 0 && index < length && Number.isFinite(value)) out[index] = value;
  }
  return out;
}

// The reducers Grafana offers in `reduceOptions.calcs` and legend `calcs` that this preview
// supports; an unknown one falls back to lastNotNull.
export function reduce(values, calc) {
  const present = values.filter((v) => v != null && Number.isFinite(v));
  if (present.length === 0) return null;
  switch (calc) {
    case 'max':
      return Math.max(...present);
    case 'min':
      return Math.min(...present);
    case 'mean':
      return present.reduce((a, b) => a + b, 0) / present.length;
    case 'sum':
      return present.reduce((a, b) => a + b, 0);
    case 'last':
      return values[values.length - 1] ?? null;
    default:
      return present[present.length - 1];
  }
}

export const CALC_LABELS = { lastNotNull: 'Last *', last: 'Last', max: 'Max', min: 'Min', mean: 'Mean', sum: 'Total' };

// The colour of the highest threshold step at or below `value` (the base step has value null).
export function thresholdColour(thresholds, value) {
  const steps = thresholds?.steps ?? [];
  let colour = steps[0]?.color ?? 'green';
  for (const step of steps) {
    if (step.value == null || (value != null && value >= step.value)) colour = step.color;
  }
  return colourOf(colour);
}

// `value` in a Grafana unit, with `decimals` when the panel fixes them.
export function formatValue(value, unit, decimals) {
  if (value == null || !Number.isFinite(value)) return 'No data';
  const fixed = (v, d) => trimZeros(v.toFixed(d ?? autoDecimals(v)));
  switch (unit) {
    case 's':
      return formatSeconds(value, decimals);
    case 'ms':
      return formatSeconds(value / 1000, decimals);
    case 'percentunit':
      return `${fixed(value * 100, decimals)}%`;
    case 'percent':
      return `${fixed(value, decimals)}%`;
    case 'ops':
      return `${scaled(value, decimals)} ops/s`;
    case 'reqps':
      return `${scaled(value, decimals)} req/s`;
    default:
      return scaled(value, decimals);
  }
}

function formatSeconds(value, decimals) {
  const abs = Math.abs(value);
  if (abs === 0) return '0 s';
  if (abs < 1e-3) return `${trimZeros((value * 1e6).toFixed(decimals ?? autoDecimals(value * 1e6)))} µs`;
  if (abs < 1) return `${trimZeros((value * 1e3).toFixed(decimals ?? autoDecimals(value * 1e3)))} ms`;
  if (abs < 60) return `${trimZeros(value.toFixed(decimals ?? autoDecimals(value)))} s`;
  if (abs < 3600) return `${trimZeros((value / 60).toFixed(decimals ?? 1))} min`;
  return `${trimZeros((value / 3600).toFixed(decimals ?? 1))} hour`;
}

function scaled(value, decimals) {
  const abs = Math.abs(value);
  for (const [limit, suffix] of [[1e9, ' Bil'], [1e6, ' Mil'], [1e3, ' K']]) {
    if (abs >= limit) return `${trimZeros((value / limit).toFixed(decimals ?? 2))}${suffix}`;
  }
  return trimZeros(value.toFixed(decimals ?? autoDecimals(value)));
}

function autoDecimals(value) {
  const abs = Math.abs(value);
  if (abs === 0 || abs >= 100) return 0;
  if (abs >= 10) return 1;
  if (abs >= 1) return 2;
  return 3;
}

function trimZeros(text) {
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

// CSS grid placement of a panel from its gridPos (1-based lines, spans).
export function gridArea(gridPos) {
  const { x = 0, y = 0, w = 12, h = 8 } = gridPos ?? {};
  return `${y + 1} / ${x + 1} / span ${h} / span ${w}`;
}

// Pixel height of a panel of `h` grid rows.
export function panelHeightPx(h) {
  return h * GRID_ROW_PX + (h - 1) * GRID_GAP_PX;
}
