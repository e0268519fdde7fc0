// Node smoke test of the embind module: plain values in and out, errors as values for bad
// input, local recommendations that react to a view before any sync, and every event delivered
// exactly once to a fake sync server once it is reachable.
//
// Usage: node --no-experimental-fetch wasm/tests/smoke_test.mjs <path to vitrine_wasm.js>
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const jsPath = path.resolve(process.argv[2] ?? 'build/wasm/vitrine_wasm.js');
const createVitrine = createRequire(import.meta.url)(jsPath);
const wasmBinary = readFileSync(jsPath.replace(/\.js$/, '.wasm'));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// --- just enough protobuf wire format for the fake server -------------------------------------
const enc = new TextEncoder();
const dec = new TextDecoder();
function varint(n) {
  const out = [];
  let v = BigInt(n);
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
}
const tag = (field, wire) => varint((field << 3) | wire);
const bytesField = (field, bytes) => [...tag(field, 2), ...varint(bytes.length), ...bytes];
const strField = (field, s) => bytesField(field, enc.encode(s));
const intField = (field, n) => [...tag(field, 0), ...varint(n)];
function floatField(field, f) {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setFloat32(0, f, true);
  return [...tag(field, 5), ...b];
}
// Top-level fields of a message: [{field, wire, value}] (value: Uint8Array or BigInt).
function parse(buf) {
  const fields = [];
  let i = 0;
  const readVarint = () => {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[i++];
      v |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const key = Number(readVarint());
    const field = key >> 3;
    const wire = key & 7;
    if (wire === 0) fields.push({ field, wire, value: readVarint() });
    else if (wire === 2) {
      const len = Number(readVarint());
      fields.push({ field, wire, value: buf.subarray(i, i + len) });
      i += len;
    } else if (wire === 5) i += 4;
    else if (wire === 1) i += 8;
    else throw new Error(`wire type ${wire}`);
  }
  return fields;
}

// snapshot.proto: CatalogItem{1 id, 2 title, 3 price_micros, 4 currency, 7 category, 9 stock},
// ScoredItem{1 id, 2 score}, Neighbours{1 id, 2 items}; Snapshot{4 ttl, 6 popular,
// 7 neighbours, 8 catalog}.
function demoSnapshot() {
  const out = [...intField(4, 900)];
  const ids = [];
  for (let i = 0; i < 5; i++) ids.push(`serum-${i}`, `mask-${i}`, `shampoo-${i}`);
  for (const id of ids) {
    const category = id.startsWith('shampoo') ? 'Hair Care/Shampoo' : 'Skin Care';
    out.push(...bytesField(8, [...strField(1, id), ...strField(2, `Item ${id}`),
      ...intField(3, 9_990_000), ...strField(4, 'EUR'), ...strField(7, category),
      ...intField(9, 5)]));
  }
  for (let i = 0; i < 5; i++) {
    out.push(...bytesField(6, [...strField(1, `shampoo-${i}`), ...floatField(2, 100 - i)]));
  }
  const neighbours = [...strField(1, 'serum-3')];
  ['mask-1', 'mask-2', 'mask-3'].forEach((id, k) => {
    neighbours.push(...bytesField(2, [...strField(1, id), ...floatField(2, 1 - k * 0.2)]));
  });
  out.push(...bytesField(7, neighbours));
  return new Uint8Array(out);
}

// Acks /v1/batch (events are Batch field 3; Event.event_id 1, Event.type 2; BatchAck field 1)
// and serves the snapshot with an ETag.
const server = { down: false, received: new Map(), requests: 0, throwOnce: false };
function fakeHttp(req) {
  server.requests++;
  if (server.throwOnce) {
    server.throwOnce = false;
    throw new Error('hook failure (test)');
  }
  if (server.down) return { status: 0, error: 'connection refused (test)' };
  assert.ok(req.body instanceof Uint8Array);
  assert.equal(req.headers.Authorization, 'Bearer wk_test');
  if (req.url.endsWith('/v1/batch')) {
    const ack = [];
    for (const f of parse(req.body)) {
      if (f.field !== 3) continue;
      const event = parse(f.value);
      const id = event.find((e) => e.field === 1).value;
      const type = dec.decode(event.find((e) => e.field === 2).value);
      const key = Buffer.from(id).toString('hex');
      const seen = server.received.get(key);
      server.received.set(key, { type, count: (seen?.count ?? 0) + 1 });
      ack.push(...bytesField(1, id));
    }
    return { status: 200, headers: {}, body: new Uint8Array(ack) };
  }
  if (req.url.includes('/v1/snapshot')) {
    if (req.headers['If-None-Match'] === '"v1"') return { status: 304, headers: {} };
    return { status: 200, headers: { ETag: '"v1"' }, body: demoSnapshot() };
  }
  return { status: 404, headers: {} };
}

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
assert.deepEqual(m.track({ type: 'page_viewed', pageUrl: '/p/serum-3' }), { ok: true });
assert.deepEqual(m.track({ type: 'product_viewed', products: [serum3] }), { ok: true });
const after = m.recommend('home', null, 3);
assert.ok(after.ok);
assert.equal(after.items[0].productId, 'mask-1', JSON.stringify(after.items));
const fbt = m.recommend('product_page', { productId: 'serum-3' }, 2);
assert.ok(fbt.ok && !fbt.items.some((i) => i.productId === 'serum-3'));
await sleep(100);
assert.equal(server.received.size, 0);
assert.ok(m.stats().sendFailures > 0, 'sends were tried and failed');

// Back online (after one hook exception, which is a transport failure, not a crash).
assert.deepEqual(m.track({ type: 'product_added_to_cart', products: [serum3] }), { ok: true });
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
assert.deepEqual([...server.received.values()].map((e) => e.type).sort(),
  ['identify', 'page_viewed', 'product_added_to_cart', 'product_viewed']);

assert.deepEqual(m.setConsent(false), { ok: true });
assert.equal(m.track({ type: 'page_viewed' }).code, 'consent_denied');
assert.deepEqual(m.close(), { ok: true });
assert.equal(m.stats().code, 'shutdown');
console.log('wasm smoke test: OK');
