// Node smoke test of the module (C ABI + post.js): plain values in and out, errors as values for bad
// input, local recommendations that react to a view before any sync, and every event delivered
// exactly once to a fake sync server once it is reachable.
//
// Usage: node --no-experimental-fetch wasm/tests/smoke_test.mjs <path to vitrine_wasm.js>
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

import { fakeHttp, server } from './fake_server.mjs';

const jsPath = path.resolve(process.argv[2] ?? 'build/wasm/vitrine_wasm.js');
const createVitrine = createRequire(import.meta.url)(jsPath);
const wasmBinary = readFileSync(jsPath.replace(/\.js$/, '.wasm'));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const m = await createVitrine({ wasmBinary });
const exported = Object.keys(m).filter((k) =>
  ['open', 'close', 'track', 'identify', 'setConsent', 'recommend', 'flush', 'stats'].includes(k));
assert.equal(exported.length, 8, 'the explicit export list');

// Before open: an error value, not an exception.
assert.deepEqual(m.track({ type: 'page_viewed' }).ok, false);
assert.equal(m.track({ type: 'page_viewed' }).code, 'shutdown');

assert.equal(m.open({ writeKey: 'wk_test' }).code, 'invalid_argument', 'serverUrl is required');
assert.equal(m.open(null).code, 'invalid_argument');
assert.match(m.open({ serverUrl: 'http://x', writeKey: 'k', http: 'nope' }).error, /http/);
const opened = m.open({ serverUrl: 'http://vitrine.test', writeKey: 'wk_test', http: fakeHttp,
  flushIntervalMs: 20, randomSeed: 7 });
assert.deepEqual(opened, { ok: true });

// Wrong types and missing required properties: clear errors, nothing queued.
const bad = [
  [42, /event must be an object/],
  [{}, /event.type is required/],
  [{ type: 'product_viewed', products: [{ productId: 'a', price: '9.99', currency: 'EUR' }] },
    /event.products\[0\].price must be a number/],
  [{ type: 'product_viewed', products: {} }, /event.products must be an array/],
  [{ type: 'product_viewed', products: [{ productId: 'a', price: 1, currency: 'EUR',
    quantity: 1.5 }] }, /quantity must be an integer/],
  [{ type: 'product_viewed', products: [{ price: 1, currency: 'EUR', sku: 's' }] },
    /product_id/],
  [{ type: 'product_teleported' }, /./],
  [{ type: 'page_viewed', properties: { a: 1 } }, /event.properties.a must be a string/],
];
for (const [event, message] of bad) {
  const r = m.track(event);
  assert.equal(r.ok, false, JSON.stringify(event));
  assert.match(r.error, message, JSON.stringify(r));
}
assert.match(m.recommend('home', null, 'x').error, /n must be a number/);
assert.match(m.recommend(7, null, 3).error, /placement must be a string/);
assert.equal(m.recommend('home', null, 1000).ok, false);
// Values JSON cannot carry, on their way through the C ABI: still type errors, never throws.
assert.match(m.track({ type: 'product_viewed', products: [{ productId: 'a', price: NaN,
  currency: 'EUR' }] }).error, /event.products\[0\].price must be a number/);
assert.match(m.track({ type: 'checkout_step_completed', checkoutStep: 2n }).error,
  /event.checkoutStep must be a number/);
const cyclic = { type: 'page_viewed' };
cyclic.self = cyclic;
assert.equal(m.track(cyclic).code, 'invalid_argument');
// The raw ABI given text that is not a JSON array answers an error value too.
for (const text of ['{"type":"page_viewed"}', '[{"type":"page_viewed"', '[1e999999]x', '\u0000']) {
  const raw = new TextEncoder().encode(text);
  const p = m._vt_alloc(raw.length);
  m.HEAPU8.set(raw, p);
  const out = m._vt_track(p, raw.length);
  m._vt_free(p);
  const n = new DataView(m.HEAPU8.buffer).getUint32(out, true);
  const r = JSON.parse(new TextDecoder().decode(m.HEAPU8.slice(out + 4, out + 4 + n)));
  m._vt_free(out);
  assert.equal(r.ok, false, text);
  assert.match(r.error, /JSON array|event must be an object/, text);
}
assert.equal(m.stats().tracked, 0, 'bad input queued nothing');

// The snapshot arrives through the event-loop scheduler.
await sleep(50);
assert.equal(m.stats().snapshotEtag, '"v1"');
const before = m.recommend('home', null, 3);
assert.ok(before.ok);
assert.deepEqual(before.items.map((i) => i.productId), ['shampoo-0', 'shampoo-1', 'shampoo-2']);
assert.equal(before.items[0].price, 9.99);

// Offline: a view changes "for you" locally, before any sync.
server.down = true;
const serum3 = { productId: 'serum-3', sku: 'serum-3-sku', price: 9.99, currency: 'EUR' };
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ids = [m.track({ type: 'page_viewed', pageUrl: '/p/serum-3' }),
  m.track({ type: 'product_viewed', products: [serum3] })].map((r) => {
  assert.equal(r.ok, true, JSON.stringify(r));
  assert.match(r.eventId, uuid, 'track answers the id it assigned');
  return r.eventId.replace(/-/g, '');
});
const after = m.recommend('home', null, 3);
assert.ok(after.ok);
assert.equal(after.items[0].productId, 'mask-1', JSON.stringify(after.items));
const fbt = m.recommend('product_page', { productId: 'serum-3' }, 2);
assert.ok(fbt.ok && !fbt.items.some((i) => i.productId === 'serum-3'));
await sleep(100);
assert.equal(server.received.size, 0);
assert.ok(m.stats().sendFailures > 0, 'sends were tried and failed');

// Back online (after one hook exception, which is a transport failure, not a crash).
assert.equal(m.track({ type: 'product_added_to_cart', products: [serum3] }).ok, true);
assert.deepEqual(m.identify('cust-1', { email: 'a@example.com' }), { ok: true });
assert.equal(m.identify('cust-1', { email: 5 }).ok, false);
server.down = false;
server.throwOnce = true;
for (let i = 0; i < 100 && m.stats().acked < 4; i++) {
  m.flush();
  await sleep(50);
}
const stats = m.stats();
assert.equal(stats.acked, 4, JSON.stringify(stats));
assert.equal(stats.queued, 0);
assert.equal(server.received.size, 4);
for (const { count } of server.received.values()) assert.equal(count, 1, 'exactly once');
for (const id of ids) assert.ok(server.received.has(id), `the server got event ${id}`);
assert.deepEqual([...server.received.values()].map((e) => e.type).sort(),
  ['identify', 'page_viewed', 'product_added_to_cart', 'product_viewed']);

assert.deepEqual(m.setConsent(false), { ok: true });
assert.equal(m.track({ type: 'page_viewed' }).code, 'consent_denied');
assert.deepEqual(m.close(), { ok: true });
assert.equal(m.stats().code, 'shutdown');
console.log('wasm smoke test: OK');
