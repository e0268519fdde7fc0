// The Web Pixel's forwarding: Shopify standard events (shapes from Shopify's Web Pixels docs)
// through the web SDK's own fromShopify mapping onto the sync server's wire format. With
// VITRINE_SERVER_BIN set, the batches are also posted to a real vitrine-server, which must accept
// every one and store them under the customer's profile.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { createForwarder } from '../src/forward.js';

const here = path.dirname(fileURLToPath(import.meta.url));
// The repository's @vitrine/web (what the Shopify CLI bundles from the package dependency).
const { fromShopify } = await import(path.join(here, '../../../../wasm/package/mappings.js'));

const variant = {
  id: 'gid://shopify/ProductVariant/44610569208040', sku: 'PANTS-M', title: 'M',
  image: { src: 'https://cdn.shopify.com/s/files/1/pants.jpg' },
  price: { amount: 100.0, currencyCode: 'CAD' },
  product: { id: 'gid://shopify/Product/8266836345064', title: 'PANTS!!!', vendor: 'Acme',
    type: 'Bottoms', url: '/products/pants' },
};
const context = { document: { location: { href: 'https://shop.example/products/pants' },
  referrer: 'https://shop.example/' } };
const cartLine = { cost: { totalAmount: { amount: 200.0, currencyCode: 'CAD' } },
  merchandise: variant, quantity: 2 };
const checkout = {
  currencyCode: 'CAD', token: 'ct_abc', email: 'a@example.com',
  lineItems: [{ id: 'li1', quantity: 2, title: 'PANTS!!!', variant,
    finalLinePrice: { amount: 200.0, currencyCode: 'CAD' } }],
  order: { id: 'gid://shopify/Order/5551234' },
  totalPrice: { amount: 231.5, currencyCode: 'CAD' },
  totalTax: { amount: 26.0, currencyCode: 'CAD' },
  shippingLine: { price: { amount: 5.5, currencyCode: 'CAD' } },
  discountApplications: [{ title: 'WELCOME10', type: 'DISCOUNT_CODE' }],
};
const base = { clientId: 'c-0a1b', timestamp: '2024-06-01T10:00:00.000Z', context, type: 'standard' };
const events = [
  { ...base, id: 'sh-1', name: 'page_viewed', data: {} },
  { ...base, id: 'sh-2', name: 'product_viewed', data: { productVariant: variant } },
  { ...base, id: 'sh-3', name: 'collection_viewed',
    data: { collection: { id: 'c1', title: 'Bottoms', productVariants: [variant] } } },
  { ...base, id: 'sh-4', name: 'search_submitted',
    data: { searchResult: { query: 'pants', productVariants: [variant] } } },
  { ...base, id: 'sh-5', name: 'product_added_to_cart', data: { cartLine } },
  { ...base, id: 'sh-6', name: 'cart_viewed', data: { cart: { id: 'cart1',
    cost: { totalAmount: { amount: 200, currencyCode: 'CAD' } }, lines: [cartLine] } } },
  { ...base, id: 'sh-7', name: 'checkout_started', data: { checkout } },
  { ...base, id: 'sh-8', name: 'payment_info_submitted', data: { checkout } },
  { ...base, id: 'sh-9', name: 'checkout_completed', data: { checkout } },
];

function forwarder(posted, extra = {}) {
  return createForwarder({
    serverUrl: 'https://vitrine.example/', writeKey: 'wk_test', map: fromShopify,
    fetch: async (url, options) => { posted.push({ url, options }); return { ok: true }; },
    customerId: 'gid://shopify/Customer/207119551', now: () => 1_700_000_000_000, ...extra,
  });
}

test('standard events go to /v1/batch as Vitrine events', async () => {
  const posted = [];
  const forward = forwarder(posted);
  for (const e of events) assert.ok(await forward(e), e.name);
  assert.equal(posted.length, events.length);
  for (const { url, options } of posted) {
    assert.equal(url, 'https://vitrine.example/v1/batch');
    assert.equal(options.method, 'POST');
    assert.equal(options.headers.Authorization, 'Bearer wk_test');
    assert.equal(options.headers['Content-Type'], 'application/json');
  }
  const wire = posted.map((p) => JSON.parse(p.options.body).events[0]);
  assert.deepEqual(wire.map((w) => w.type), ['page_viewed', 'product_viewed',
    'product_list_viewed', 'search_submitted', 'product_added_to_cart', 'cart_viewed',
    'checkout_started', 'checkout_step_completed', 'order_completed']);
  for (const w of wire) {
    assert.equal(Buffer.from(w.eventId, 'base64').length, 16);
    assert.equal(w.occurredAtMs, String(Date.parse('2024-06-01T10:00:00.000Z')));
    assert.equal(w.anonymousId, 'shopify-client:c-0a1b');
    assert.equal(w.userId, '207119551');  // the decimal id the webhooks use
  }
  assert.equal(new Set(wire.map((w) => w.eventId)).size, wire.length);

  const viewed = wire[1];
  assert.equal(viewed.pageUrl, 'https://shop.example/products/pants');
  assert.deepEqual(viewed.products, [{ productId: '8266836345064', variantId: '44610569208040',
    sku: 'PANTS-M', priceMicros: '100000000', currency: 'CAD', name: 'PANTS!!!', brand: 'Acme',
    category: 'Bottoms', url: '/products/pants',
    imageUrl: 'https://cdn.shopify.com/s/files/1/pants.jpg' }]);
  assert.equal(wire[3].query, 'pants');
  assert.equal(wire[4].products[0].quantity, 2);
  assert.equal(wire[7].checkoutStep, 4);

  const order = wire[8];
  assert.deepEqual(order.order, { orderId: '5551234', valueMicros: '231500000', currency: 'CAD',
    taxMicros: '26000000', shippingMicros: '5500000', coupon: 'WELCOME10' });
  assert.equal(order.products.length, 1);
  assert.equal(order.products[0].priceMicros, '100000000');
});

test('the same Shopify event gets the same event id; unmapped events send nothing', async () => {
  const posted = [];
  const forward = forwarder(posted, { customerId: undefined });
  await forward(events[1]);
  await forward(events[1]);
  const [a, b] = posted.map((p) => JSON.parse(p.options.body).events[0]);
  assert.equal(a.eventId, b.eventId);
  assert.equal(a.userId, undefined);  // a visitor who is not logged in
  assert.equal(await forward({ ...base, id: 'sh-x', name: 'clicked', data: {} }), null);
  assert.equal(await forward({ ...base, id: 'sh-y', name: 'ui_extension_errored', data: {} }), null);
  assert.equal(posted.length, 2);
  // Not configured yet (settings empty): nothing is sent.
  const idle = createForwarder({ serverUrl: '', writeKey: '', map: fromShopify,
    fetch: () => assert.fail('sent without settings') });
  assert.equal(await idle(events[1]), null);
});

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

async function until(check, what, ms = 20_000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const serverBin = process.env.VITRINE_SERVER_BIN;
test('a real vitrine-server accepts every batch', { skip: !serverBin || !existsSync(serverBin)
  ? 'VITRINE_SERVER_BIN not set to a built vitrine-server' : false }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vitrine-pixel-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const ready = path.join(dir, 'ready');
  const child = spawn(serverBin, ['serve', '--listen', url, '--db', path.join(dir, 'v.db'),
    '--write-key', 'wk_test', '--admin-key', 'ak_test', '--ready-file', ready,
    '--access-log', 'false'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  try {
    await until(() => existsSync(ready) || child.exitCode !== null, 'the server');
    assert.equal(child.exitCode, null, stderr);
    const replies = [];
    const forward = createForwarder({ serverUrl: url, writeKey: 'wk_test', map: fromShopify,
      fetch: async (u, o) => { const r = await fetch(u, o); replies.push([r.status, await r.text()]); return r; },
      customerId: 'gid://shopify/Customer/207119551' });
    for (const e of events) await forward(e);
    for (const [status, body] of replies) assert.equal(status, 200, body);
    const auth = { headers: { Authorization: 'Bearer ak_test' } };
    const profile = await (await fetch(`${url}/v1/admin/profiles?user_id=207119551`, auth)).json();
    assert.equal(profile.event_count ?? profile.eventCount, events.length, JSON.stringify(profile));
    const stats = await (await fetch(`${url}/v1/admin/stats`, auth)).json();
    assert.equal(stats.orders, 1);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
    rmSync(dir, { recursive: true, force: true });
  }
});
