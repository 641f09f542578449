// Traffic for the dashboard screenshot: shoppers checking out through the command API (paying,
// paying with declined or failing cards, cancelling, or never paying), staff adjusting stock
// (some adjustments are refused for lack of stock), and GraphQL readers, against the demo
// catalog that `infra/stack demo` loads. Bounded in time and in requests; local services only.
//
//   node infra/dashboard/load.mjs --seconds 180 [--shoppers 4] [--command-api URL] [--query-api URL]
//
// Needs a staff token for stock commands: STAFF_TOKEN, as printed by
// `agora-command-api mint-token --role staff` (render.sh mints it). Prints a tally at the end.

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 && at + 1 < args.length ? args[at + 1] : fallback;
};
const SECONDS = Number(flag('--seconds', '180'));
const SHOPPERS = Number(flag('--shoppers', '4'));
const COMMAND_API = flag('--command-api', 'http://127.0.0.1:8080');
const QUERY_API = flag('--query-api', 'http://127.0.0.1:8090');
const STAFF_TOKEN = process.env.STAFF_TOKEN ?? '';
// A hard ceiling besides the clock, so a fast machine cannot turn this into a flood.
const MAX_REQUESTS = 200_000;
// The demo catalog: product n has 1 + n % 3 sizes, and every tenth product is unpublished.
const DEMO_PRODUCTS = Number(flag('--products', '1000'));
const SIZES = ['S', 'M', 'L'];
const CARDS = { approve: '4242424242424242', decline: '4000000000000002', fail: '4000000000000119' };

const deadline = Date.now() + SECONDS * 1000;
const run = Date.now().toString(36);
const tally = new Map();
let requests = 0;

const live = () => Date.now() < deadline && requests < MAX_REQUESTS;
const count = (what) => tally.set(what, (tally.get(what) ?? 0) + 1);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const pick = (list) => list[Math.floor(Math.random() * list.length)];

function randomSku() {
  for (;;) {
    const n = Math.floor(Math.random() * DEMO_PRODUCTS);
    if (n % 10 === 9) continue;
    const size = SIZES[Math.floor(Math.random() * (1 + (n % 3)))];
    return `DEMO-${String(n).padStart(5, '0')}-${size}`;
  }
}

async function call(base, path, { token, body, key, consistency, method = 'POST' } = {}) {
  requests += 1;
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (key) headers['idempotency-key'] = key;
  if (consistency) headers['x-consistency-token'] = consistency;
  try {
    const response = await fetch(`${base}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    const json = await response.json().catch(() => null);
    return { status: response.status, body: json };
  } catch (error) {
    return { status: 0, body: { error: { code: error.name } } };
  }
}

// One shopper: registers once, then fills carts and checks out until the time is up.
async function shopper(id) {
  const email = `dashboard.${run}.${id}@agora.example`;
  let token;
  // A 202 (the processors are busy taking partitions over) or an error is retried with the same
  // idempotency key, which answers with the first registration's outcome.
  while (!token && live()) {
    const registered = await call(COMMAND_API, '/auth/register', {
      key: `dashboard-register-${run}-${id}`,
      body: { email, password: 'correct horse battery', display_name: `Dashboard shopper ${id}` },
    });
    token = registered.body?.access_token;
    if (!token) {
      count(`register retried (${registered.status})`);
      await sleep(1000);
    }
  }
  let round = 0;
  while (live()) {
    round += 1;
    await checkout(token, `${run}-${id}-${round}`);
    await sleep(300 + Math.random() * 700);
  }
}

async function checkout(token, key) {
  const cart = await call(COMMAND_API, '/carts/mine', { token, body: {} });
  const cartId = cart.body?.cart_id;
  if (!cartId) return count(`cart failed (${cart.status})`);
  let consistency;
  const lines = 1 + Math.floor(Math.random() * 2);
  for (let line = 0; line < lines; line += 1) {
    // Now and then a quantity no SKU of the demo has in stock: the saga rejects the order.
    const quantity = Math.random() < 0.08 ? 500 : 1 + Math.floor(Math.random() * 2);
    const added = await call(COMMAND_API, `/carts/${cartId}/lines`, {
      token,
      key: `${key}-line-${line}`,
      body: { sku: randomSku(), quantity },
    });
    if (added.status >= 300) count(`add line ${added.status} ${added.body?.error?.code ?? ''}`.trim());
    consistency = added.body?.consistency_token ?? consistency;
  }
  const placed = await call(COMMAND_API, '/checkout', {
    token,
    key: `${key}-checkout`,
    consistency,
    body: {
      shipping_address: { recipient: 'Dashboard Shopper', line1: '1 Market Street', city: 'Lisbon', postal_code: '1100-148', country: 'PT' },
    },
  });
  const orderId = placed.body?.order_id;
  count(`checkout ${placed.status} ${placed.body?.status ?? placed.body?.error?.code ?? ''}`.trim());
  if (!orderId || placed.body?.status !== 'confirmed') return;
  const roll = Math.random();
  const pay = (card, suffix) =>
    call(COMMAND_API, `/orders/${orderId}/payments`, {
      token,
      key: `${key}-pay-${suffix}`,
      consistency: placed.body?.consistency_token,
      body: { instrument_token: card },
    });
  if (roll < 0.6) {
    count(`pay approve ${(await pay(CARDS.approve, 'a')).status}`);
  } else if (roll < 0.72) {
    count(`pay decline ${(await pay(CARDS.decline, 'd')).status}`);
    count(`pay approve after decline ${(await pay(CARDS.approve, 'a')).status}`);
  } else if (roll < 0.8) {
    count(`pay failing card ${(await pay(CARDS.fail, 'f')).status}`);
  } else if (roll < 0.9) {
    const cancelled = await call(COMMAND_API, `/orders/${orderId}/cancel`, { token, key: `${key}-cancel`, body: {} });
    count(`cancel ${cancelled.status}`);
  } else {
    count('left unpaid (expires after AGORA_RESERVATION_TTL_MS)');
  }
}

// Staff: stock counts and damage write-offs; one in five asks for more than is on hand.
async function staff() {
  if (!STAFF_TOKEN) {
    count('staff skipped (no STAFF_TOKEN)');
    return;
  }
  let n = 0;
  while (live()) {
    n += 1;
    const sku = randomSku();
    const refused = n % 5 === 0;
    const body = refused ? { delta: -1_000_000, reason: 'damage write-off' } : { delta: 5, reason: 'stock count' };
    const answer = await call(COMMAND_API, `/inventory/${sku}/adjust`, { token: STAFF_TOKEN, key: `${run}-adjust-${n}`, body });
    count(`adjust ${answer.status} ${answer.body?.error?.code ?? ''}`.trim());
    await sleep(250);
  }
}

const QUERIES = [
  () => ({ query: '{ products(first: 10) { edges { node { name priceRange { min { formatted } } } } } }' }),
  () => ({
    query: 'query($s: String) { products(first: 5, filter: { search: $s }) { totalCount edges { node { slug variants { sku availability { available } } } } } }',
    variables: { s: pick(['wool', 'navy', 'socks', 'leather', 'Fjord']) },
  }),
  () => ({ query: '{ categories { name } }' }),
  // A query the schema refuses, as broken clients send: it shows on the errors panel.
  () => ({ query: '{ product { name } }' }),
];

async function reader() {
  while (live()) {
    const body = Math.random() < 0.1 ? QUERIES[3]() : pick(QUERIES.slice(0, 3))();
    const answer = await call(QUERY_API, '/graphql', { body });
    count(`graphql ${answer.status}${answer.body?.errors ? ' with errors' : ''}`);
    await sleep(100);
  }
}

const started = Date.now();
await Promise.all([
  ...Array.from({ length: SHOPPERS }, (_, i) => shopper(i)),
  staff(),
  reader(),
  reader(),
]);
const elapsed = (Date.now() - started) / 1000;
console.log(`load: ${requests} requests in ${elapsed.toFixed(0)} s (${(requests / elapsed).toFixed(1)}/s)`);
for (const [what, n] of [...tally].sort()) console.log(`  ${String(n).padStart(6)}  ${what}`);
