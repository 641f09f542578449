// Takes the dashboard screenshot: starts the preview server, opens the page in Debian's headless
// Chromium through playwright-core, waits until every panel has been queried and drawn, saves a
// full-page PNG and prints one line per panel (series drawn, or "No data", or the query error).
//
//   node infra/dashboard/shoot.mjs --prometheus URL --from UNIX --to UNIX --scrape SECONDS \
//     --out docs/dashboard.png [--width 1600] [--dashboards DIR]
//
// Exit codes: 0 screenshot saved; 1 the page failed or a query errored; 3 saved, but some
// panels had no data (listed), so a caller can tell a half-empty picture from a good one.

import { createRequire } from 'node:module';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

import { startServer } from './server.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '..', '..');
// playwright-core is installed under .stack/dashboard by render.sh, never committed.
const require = createRequire(join(REPO, '.stack', 'dashboard', 'package.json'));
const { chromium } = require('playwright-core');

// Without the background-networking flags Chromium keeps trying hosts this machine cannot reach.
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

function flag(args, name, fallback) {
  const at = args.indexOf(name);
  if (at >= 0 && at + 1 < args.length) return args[at + 1];
  if (fallback === undefined) throw new Error(`missing ${name}`);
  return fallback;
}

async function main() {
  const args = process.argv.slice(2);
  const prometheus = flag(args, '--prometheus');
  const from = Number(flag(args, '--from'));
  const to = Number(flag(args, '--to'));
  const scrape = Number(flag(args, '--scrape', '15'));
  const out = resolve(flag(args, '--out', join(REPO, 'docs', 'dashboard.png')));
  const width = Number(flag(args, '--width', '1600'));
  const executablePath = flag(args, '--chromium', process.env.CHROMIUM ?? '/usr/bin/chromium');

  const dashboards = flag(args, '--dashboards', '');
  const server = await startServer({ prometheus, ...(dashboards ? { dashboards: resolve(dashboards) } : {}) });
  const browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage({ viewport: { width, height: 900 }, deviceScaleFactor: 1 });
    const pageErrors = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${server.url}/?from=${from}&to=${to}&scrape=${scrape}`);
    await page.waitForSelector('body[data-state="done"], body[data-state="failed"]', { timeout: 120_000 });
    const { state, report, failure } = await page.evaluate(() => ({
      state: document.body.dataset.state,
      report: window.previewReport ?? [],
      failure: window.previewError ?? null,
    }));
    await page.screenshot({ path: out, fullPage: true });
    console.log(`saved ${out}`);
    for (const panel of report) {
      const what = panel.errors.length ? `error: ${panel.errors.join('; ')}` : panel.empty ? 'No data' : `${panel.series} series`;
      console.log(`  ${String(panel.id).padStart(3)} ${panel.type.padEnd(10)} ${panel.title.padEnd(40)} ${what}`);
    }
    if (state !== 'done' || pageErrors.length || report.some((p) => p.errors.length)) {
      console.error(`preview failed: ${failure || pageErrors.join('; ') || 'query errors above'}`);
      return 1;
    }
    const empty = report.filter((p) => p.empty);
    if (empty.length) {
      console.error(`${empty.length} of ${report.length} panels had no data: ${empty.map((p) => p.title).join(', ')}`);
      return 3;
    }
    console.log(`all ${report.length} panels have data`);
    return 0;
  } finally {
    await browser.close();
    await server.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`shoot: ${error.message}`);
    process.exit(1);
  },
);
