// The preview's web server: serves the page (infra/dashboard), the dashboards
// (infra/grafana/dashboards/*.json), uPlot from the install under .stack/dashboard, and proxies
// Prometheus' read-only query API, so the page makes same-origin requests only.
//
// Run alone to look at the preview in a browser:
//   node infra/dashboard/server.mjs --prometheus http://127.0.0.1:9090 [--port 9099]
// and open the printed URL (add ?from=…&to=…&scrape=… to pick the range). --dashboards DIR
// serves the dashboards of another folder.

import { createServer } from 'node:http';
import { readFile, readdir } from 'node:fs/promises';
import { dirname, extname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '..', '..');
const DASHBOARDS = join(REPO, 'infra', 'grafana', 'dashboards');
const VENDOR = join(REPO, '.stack', 'dashboard', 'node_modules', 'uplot', 'dist');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
};

// Only these files of infra/dashboard are served: the page, never the scripts around it.
const PAGE_FILES = new Set(['preview.html', 'preview.js', 'preview-lib.mjs', 'preview.css']);
const VENDOR_FILES = new Set(['uPlot.iife.min.js', 'uPlot.min.css']);
// Prometheus endpoints the page may call; everything else (admin, write) is refused.
const PROMETHEUS_PATHS = new Set(['/api/v1/query', '/api/v1/query_range', '/api/v1/series', '/api/v1/labels']);

// Starts the server on 127.0.0.1 (`port` 0 picks a free one); resolves to { url, close }.
// `dashboards` is the folder of dashboard JSON files (default: the provisioned ones).
export async function startServer({ prometheus, port = 0, dashboards = DASHBOARDS }) {
  const server = createServer((request, response) => {
    handle(request, response, prometheus, dashboards).catch((error) => {
      send(response, 500, 'text/plain', `preview server: ${error.message}`);
    });
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', ok);
  });
  const url = `http://127.0.0.1:${server.address().port}`;
  return { url, close: () => new Promise((ok) => server.close(ok)) };
}

async function handle(request, response, prometheus, dashboards) {
  const url = new URL(request.url, 'http://preview');
  if (request.method !== 'GET') return send(response, 405, 'text/plain', 'GET only');
  const path = url.pathname;
  if (path === '/' || path === '/index.html') return sendFile(response, join(HERE, 'preview.html'));
  if (PAGE_FILES.has(path.slice(1))) return sendFile(response, join(HERE, path.slice(1)));
  if (path.startsWith('/vendor/') && VENDOR_FILES.has(path.slice(8))) {
    return sendFile(response, join(VENDOR, path.slice(8)));
  }
  if (path === '/dashboards/index.json') {
    const files = (await readdir(dashboards)).filter((f) => f.endsWith('.json')).sort();
    return send(response, 200, TYPES['.json'], JSON.stringify({ files, prometheus, folder: relative(REPO, dashboards) }));
  }
  const dashboard = path.match(/^\/dashboards\/([A-Za-z0-9._-]+\.json)$/);
  if (dashboard) return sendFile(response, join(dashboards, dashboard[1]));
  if (PROMETHEUS_PATHS.has(path)) return proxy(response, `${prometheus}${path}${url.search}`);
  return send(response, 404, 'text/plain', 'not found');
}

async function proxy(response, target) {
  let answer;
  try {
    answer = await fetch(target, { signal: AbortSignal.timeout(30_000) });
  } catch (error) {
    const body = { status: 'error', error: `Prometheus unreachable: ${error.message}` };
    return send(response, 502, TYPES['.json'], JSON.stringify(body));
  }
  send(response, answer.status, answer.headers.get('content-type') ?? TYPES['.json'], Buffer.from(await answer.arrayBuffer()));
}

async function sendFile(response, file) {
  let body;
  try {
    body = await readFile(file);
  } catch {
    return send(response, 404, 'text/plain', `missing: ${file}`);
  }
  send(response, 200, TYPES[extname(file)] ?? 'application/octet-stream', body);
}

function send(response, status, type, body) {
  response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  response.end(body);
}

function flag(args, name, fallback) {
  const at = args.indexOf(name);
  return at >= 0 && at + 1 < args.length ? args[at + 1] : fallback;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const prometheus = flag(args, '--prometheus', 'http://127.0.0.1:9090');
  const dashboards = resolve(flag(args, '--dashboards', DASHBOARDS));
  const { url } = await startServer({ prometheus, dashboards, port: Number(flag(args, '--port', 9099)) });
  console.log(`dashboard preview: ${url}/  (Prometheus ${prometheus}; Ctrl-C stops)`);
}
