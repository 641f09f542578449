// Tests of the preview renderer's pure helpers, and of the provisioned dashboard against them:
//   node --test infra/dashboard/
// No network, no browser, no dependencies beyond Node.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  alignSeries,
  builtins,
  flattenPanels,
  formatValue,
  gridArea,
  interpolate,
  legendName,
  reduce,
  templateValues,
  thresholdColour,
  timing,
} from './preview-lib.mjs';

const DASHBOARDS = join(dirname(fileURLToPath(import.meta.url)), '..', 'grafana', 'dashboards');

test('rate interval is four scrapes for short ranges and one step plus a scrape for long ones', () => {
  assert.deepEqual(timing({ fromSec: 0, toSec: 300, scrapeSec: 5 }), { range: 300, step: 5, rateInterval: 20 });
  const day = timing({ fromSec: 0, toSec: 86_400, scrapeSec: 15 });
  assert.equal(day.step, 144);
  assert.equal(day.rateInterval, 159);
});

test('variables are replaced in every syntax and the longest name wins', () => {
  const values = { svc: 'command-api', ...builtins({ range: 600, step: 5, rateInterval: 20 }) };
  assert.equal(
    interpolate('rate(x{service=~"$svc"}[$__rate_interval]) + increase(y[${__range}]) / $__range_s / [[svc]]', values),
    'rate(x{service=~"command-api"}[20s]) + increase(y[600s]) / 600 / command-api',
  );
  assert.equal(interpolate('$svcx', values), '$svcx');
});

test('multi-value and All variables become regex alternations', () => {
  const dashboard = (value) => ({
    templating: {
      list: [
        {
          name: 'v',
          allValue: 'a|b',
          current: { value },
          options: [{ value: '$__all' }, { value: 'a' }, { value: 'b' }],
        },
      ],
    },
  });
  assert.deepEqual(templateValues(dashboard(['a'])), { v: 'a' });
  assert.deepEqual(templateValues(dashboard(['a', 'b'])), { v: '(a|b)' });
  assert.deepEqual(templateValues(dashboard(['$__all'])), { v: 'a|b' });
  assert.deepEqual(templateValues(dashboard('b')), { v: 'b' });
});

test('legends fill labels and fall back to the selector or the expression', () => {
  assert.equal(legendName('p95 {{route}}', { route: '/checkout' }, 'e'), 'p95 /checkout');
  assert.equal(legendName('{{missing}} x', {}, 'e'), 'x');
  assert.equal(legendName('', { __name__: 'up', job: 'saga' }, 'e'), 'up{job="saga"}');
  assert.equal(legendName('', {}, 'sum(rate(x[1m]))'), 'sum(rate(x[1m]))');
});

test('matrix values land on the shared axis with NaN and gaps as null', () => {
  const aligned = alignSeries([[100, '1'], [110, 'NaN'], [120, '+Inf'], [130, '4']], 100, 10, 5);
  assert.deepEqual(aligned, [1, null, null, 4, null]);
});

test('reducers skip nulls, and lastNotNull is the default', () => {
  const data = [1, null, 5, 2, null];
  assert.equal(reduce(data, 'max'), 5);
  assert.equal(reduce(data, 'mean'), 8 / 3);
  assert.equal(reduce(data, 'lastNotNull'), 2);
  assert.equal(reduce(data, 'unknown'), 2);
  assert.equal(reduce(data, 'last'), null);
  assert.equal(reduce([null], 'max'), null);
});

test('threshold colour is the highest step reached', () => {
  const thresholds = { steps: [{ color: 'green', value: null }, { color: 'yellow', value: 10 }, { color: 'red', value: 60 }] };
  assert.equal(thresholdColour(thresholds, 3), '#73bf69');
  assert.equal(thresholdColour(thresholds, 10), '#fade2a');
  assert.equal(thresholdColour(thresholds, 600), '#f2495c');
  assert.equal(thresholdColour(thresholds, null), '#73bf69');
});

test('values are written in the panel unit', () => {
  assert.equal(formatValue(0.0042, 's'), '4.2 ms');
  assert.equal(formatValue(0.00005, 's'), '50 µs');
  assert.equal(formatValue(75, 's'), '1.3 min');
  assert.equal(formatValue(0.125, 'percentunit', 1), '12.5%');
  assert.equal(formatValue(12.345, 'ops', 1), '12.3 ops/s');
  assert.equal(formatValue(2500, 'short'), '2.5 K');
  assert.equal(formatValue(null, 's'), 'No data');
});

test('grid placement follows gridPos', () => {
  assert.equal(gridArea({ x: 12, y: 6, w: 12, h: 8 }), '7 / 13 / span 8 / span 12');
});

test('every provisioned panel has a place on the grid and queries the renderer understands', () => {
  const files = readdirSync(DASHBOARDS).filter((f) => f.endsWith('.json'));
  assert.ok(files.length > 0, 'no dashboard in infra/grafana/dashboards');
  for (const file of files) {
    const dashboard = JSON.parse(readFileSync(join(DASHBOARDS, file), 'utf8'));
    const values = { ...templateValues(dashboard), ...builtins({ range: 600, step: 5, rateInterval: 20 }) };
    const panels = flattenPanels(dashboard);
    assert.ok(panels.length > 0, `${file} has no panels`);
    for (const panel of panels) {
      const { x, y, w, h } = panel.gridPos ?? {};
      assert.ok(x >= 0 && w > 0 && x + w <= 24 && y >= 0 && h > 0, `${file} panel ${panel.id}: gridPos`);
      if (panel.type === 'row') continue;
      assert.ok(panel.targets?.length, `${file} panel ${panel.id} has no targets`);
      for (const target of panel.targets) {
        const expr = interpolate(target.expr, values);
        assert.doesNotMatch(expr, /\$|\[\[/, `${file} panel ${panel.id}: unresolved variable in ${expr}`);
      }
    }
  }
});
