// @vitrine/web through its public API under node, against the module from the wasm build.
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import zlib from 'node:zlib';

import { fakeHttp as asyncHttpSync } from '../../tests/fake_server.mjs';
import { Vitrine } from '../vitrine.js';
import { FakeIndexedDB, FakeLocalStorage, FakeLocks, asyncHttp, baseOptions, resetServer, serum3,
  server, sleep, until } from './helpers.mjs';

test('bad input from JS returns clear errors, never throws, queues nothing', async () => {
  resetServer();
  const v = await Vitrine.open(baseOptions());
  const cases = [
    [() => v.track(42), /type must be a non-empty string/],
    [() => v.track(''), /type must be a non-empty string/],
    [() => v.track('page_viewed', [1]), /props must be an object/],
    [() => v.track('page_viewed', 'x'), /props must be an object/],
    [() => v.track('product_viewed', { products: [{ productId: 'a', sku: 's', price: '9.99', currency: 'EUR' }] }),
      /event.products\[0\].price must be a number/],
    [() => v.track('product_viewed', { products: [{ sku: 's', price: 1, currency: 'EUR' }] }), /product_id/],
    [() => v.track('product_viewed', { products: {} }), /event.products must be an array/],
    [() => v.track('product_viewed', { products: [null] }), /products\[0\] must be an object/],
    [() => v.track('order_completed', { order: { value: 1, currency: 'EUR', products: [] } }), /order/],
    [() => v.track('product_teleported'), /./],
    [() => v.track('page_viewed', { properties: { a: 1 } }), /event.properties.a must be a string/],
    [() => v.track('page_viewed', { checkoutStep: 1.5 }), /checkoutStep must be an integer/],
    [() => v.identify(5), /userId must be a string/],
    [() => v.identify('u', { email: 5 }), /traits.email must be a string/],
    [() => v.identify('u', 'traits'), /traits must be an object/],
    [() => v.setConsent('yes'), /granted must be a boolean/],
    [() => v.recommend(7), /placement must be a string/],
    [() => v.recommend('home', { limit: 'x' }), /limit must be a number/],
    [() => v.recommend('home', { limit: -1 }), /non-negative integer/],
    [() => v.recommend('home', 'x'), /options must be an object/],
    [() => v.recommend('home', { productId: 5 }), /context.productId must be a string/],
    [() => v.messageViewed(5), /messageId must be a string/],
  ];
  for (const [call, message] of cases) {
    let r;
    assert.doesNotThrow(() => { r = call(); }, String(call));
    assert.equal(r.ok, false, String(call));
    assert.equal(typeof r.code, 'string');
    assert.match(r.error, message, `${call}: ${JSON.stringify(r)}`);
  }
  assert.equal(v.stats().tracked, 0, 'bad input queued nothing');
  // The client still works after all that.
  assert.equal(v.track('page_viewed', { pageUrl: '/' }).ok, true);
  assert.equal(v.stats().tracked, 1);
  await v.close();
  assert.equal(v.track('page_viewed').code, 'shutdown');
  assert.equal(v.stats().code, 'shutdown');
  assert.equal(v.recommend('home').code, 'shutdown');
  assert.equal((await v.flush()).code, 'shutdown');
  await assert.rejects(Vitrine.open(null), /options must be an object/);
  await assert.rejects(Vitrine.open(baseOptions({ storage: 'disk' })), /options.storage/);
  await assert.rejects(Vitrine.open(baseOptions({ serverUrl: 'ftp://x' })), (e) => e.code === 'invalid_argument');
});

test('recommendations react locally before any sync; flush delivers exactly once through an async hook', async () => {
  resetServer();
  const v = await Vitrine.open(baseOptions());
  assert.ok(await until(() => v.stats().snapshotEtag === '"v1"'), 'snapshot through the Promise hook');
  const before = v.recommend('home', { limit: 3 });
  assert.deepEqual(before.items.map((i) => i.productId), ['shampoo-0', 'shampoo-1', 'shampoo-2']);

  server.down = true;
  assert.equal(v.track('product_viewed', { products: [serum3] }).ok, true);
  assert.equal(v.recommend('home', { limit: 3 }).items[0].productId, 'mask-1', 'changed before sync');
  const similar = v.recommend('product_page', { productId: 'serum-3', limit: 2 });
  assert.ok(similar.ok && !similar.items.some((i) => i.productId === 'serum-3'));
  const offline = await v.flush({ timeoutMs: 2000 });
  assert.equal(offline.ok, false);
  assert.equal(offline.code, 'unavailable', JSON.stringify(offline));
  assert.equal(server.received.size, 0);

  server.down = false;
  assert.deepEqual(v.identify('cust-1', { email: 'a@example.com' }), { ok: true });
  assert.ok(await until(() => v.stats().acked === 2, 5000), JSON.stringify(v.stats()));
  assert.equal((await v.flush()).ok, true);
  assert.equal(server.received.size, 2);
  for (const { count } of server.received.values()) assert.equal(count, 1, 'exactly once');
  await v.close();
});

test('track returns the id of the stored event, the one the server receives', async () => {
  resetServer();
  const v = await Vitrine.open(baseOptions());
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  const ids = [];
  for (let i = 0; i < 3; i++) {
    const r = v.track('page_viewed', { pageUrl: `/id${i}` });
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.match(r.eventId, uuid);
    ids.push(r.eventId);
  }
  assert.equal(new Set(ids).size, 3, 'distinct');
  // Refused or invalid events get no id; the error is the answer.
  const bad = v.track('product_viewed', { products: [{ productId: 'p' }] });
  assert.equal(bad.ok, false);
  assert.equal(bad.eventId, undefined);
  // Right after the tracks the events are still in the journal (not yet `queued`): flush waits
  // for them too.
  assert.equal(v.stats().journaled, 3);
  assert.equal((await v.flush()).ok, true);
  assert.equal(server.received.size, 3);
  assert.deepEqual([...server.received.keys()].sort(), ids.map((id) => id.replace(/-/g, '')).sort());
  v.setConsent(false);
  const denied = v.track('page_viewed', { pageUrl: '/x' });
  assert.equal(denied.code, 'consent_denied');
  assert.equal(denied.eventId, undefined);
  await v.close();
});

test('localStorage mirror: the queue and identity survive a reopen; delivered exactly once', async () => {
  resetServer();
  const localStorage = new FakeLocalStorage();
  const options = baseOptions({ storage: 'localstorage', namespace: 'ls-test',
    env: { events: null, localStorage } });
  server.down = true;
  const a = await Vitrine.open(options);
  assert.equal(a.storage, 'localstorage');
  const anonymousId = a.stats().anonymousId;
  for (let i = 0; i < 5; i++) assert.equal(a.track('product_viewed', { products: [serum3] }).ok, true);
  await sleep(60);  // > persistIntervalMs: written behind
  assert.ok([...localStorage.map.keys()].some((k) => k.startsWith('vitrine:ls-test:e/')));
  await a.close();

  const b = await Vitrine.open(options);
  assert.equal(b.stats().anonymousId, anonymousId, 'same shopper after reopen');
  assert.equal(b.stats().queued, 5, JSON.stringify(b.stats()));
  server.down = false;
  assert.equal((await b.flush()).ok, true);
  assert.equal(server.received.size, 5);
  for (const { count } of server.received.values()) assert.equal(count, 1);
  await sleep(60);
  await b.close();
  assert.ok(![...localStorage.map.keys()].some((k) => k.startsWith('vitrine:ls-test:e/')),
    'acked events are deleted from storage');
  const c = await Vitrine.open(options);
  assert.equal(c.stats().queued, 0);
  await c.close();
  assert.equal(server.received.size, 5, 'nothing sent twice');
});

test('IndexedDB mirror: the pagehide write survives a teardown that drops its transaction (localStorage journal)', async () => {
  resetServer();
  server.down = true;
  const localStorage = new FakeLocalStorage();
  const journalKey = 'vitrine:idb-journal:idb-journal';
  const data = new Map();  // what IndexedDB committed, seen by the next page load
  const idbA = new FakeIndexedDB(data);
  const events = new EventTarget();
  const document = { visibilityState: 'visible' };
  // No timer writes: only hidden / pagehide / close write, as in the last second before a close.
  const a = await Vitrine.open(baseOptions({ storage: 'indexeddb', namespace: 'idb-journal',
    persistIntervalMs: 600000, env: { events, document, indexedDB: idbA, localStorage } }));
  assert.equal(a.storage, 'indexeddb');
  const anonymousId = a.stats().anonymousId;
  for (let i = 0; i < 3; i++) assert.equal(a.track('product_viewed', { products: [serum3] }).ok, true);
  document.visibilityState = 'hidden';
  events.dispatchEvent(new Event('visibilitychange'));
  assert.notEqual(localStorage.getItem(journalKey), null, 'journaled synchronously while hidden');
  assert.ok(await until(() => localStorage.getItem(journalKey) === null),
    'the journal is removed once IndexedDB committed');
  assert.ok(data.size > 0);

  document.visibilityState = 'visible';
  for (let i = 0; i < 3; i++) assert.equal(a.track('page_viewed', { path: `/p/${i}` }).ok, true);
  idbA.dropWrites = true;  // the tab closes: nothing written from now on reaches IndexedDB
  events.dispatchEvent(new Event('pagehide'));
  assert.notEqual(localStorage.getItem(journalKey), null, 'journaled synchronously on pagehide');
  await a.close({ flushTimeoutMs: 0 });

  const b = await Vitrine.open(baseOptions({ storage: 'indexeddb', namespace: 'idb-journal',
    env: { events: null, indexedDB: new FakeIndexedDB(data), localStorage } }));
  assert.equal(b.stats().anonymousId, anonymousId);
  assert.equal(b.stats().queued, 6, JSON.stringify(b.stats()));
  assert.ok(await until(() => localStorage.getItem(journalKey) === null),
    'the next leader commits the journal to IndexedDB and removes it');
  server.down = false;
  assert.equal((await b.flush()).ok, true);
  assert.equal(server.received.size, 6);
  await b.close();
  const c = await Vitrine.open(baseOptions({ storage: 'indexeddb', namespace: 'idb-journal',
    env: { events: null, indexedDB: new FakeIndexedDB(data), localStorage } }));
  assert.equal(c.stats().queued, 0, 'the replayed journal and the acks reached IndexedDB');
  await c.close();
  assert.equal(server.received.size, 6);
  for (const { count } of server.received.values()) assert.equal(count, 1);
});

test('event ids never repeat across opens, even when the stored state is older than the last send', async () => {
  resetServer();
  const localStorage = new FakeLocalStorage();
  const options = baseOptions({ storage: 'localstorage', namespace: 'stale-ids',
    env: { events: null, localStorage } });
  const a = await Vitrine.open(options);
  const anonymousId = a.stats().anonymousId;
  const stale = new Map(localStorage.map);  // identity only: as if the later writes were lost
  for (let i = 0; i < 3; i++) assert.equal(a.track('product_viewed', { products: [serum3] }).ok, true);
  assert.equal((await a.flush()).ok, true);
  assert.equal(server.received.size, 3);
  await a.close();

  localStorage.map = stale;
  const b = await Vitrine.open(options);
  assert.equal(b.stats().anonymousId, anonymousId, 'same shopper');
  for (let i = 0; i < 3; i++) assert.equal(b.track('page_viewed', { path: `/p/${i}` }).ok, true);
  assert.equal((await b.flush()).ok, true);
  await b.close();
  assert.equal(server.received.size, 6, 'no new event reuses an id the server already holds');
  for (const { count } of server.received.values()) assert.equal(count, 1);
});

test('localStorage quota: writes over the cap are skipped, never thrown', async () => {
  resetServer();
  const localStorage = new FakeLocalStorage();
  const v = await Vitrine.open(baseOptions({ storage: 'localstorage', namespace: 'quota',
    localStorageQuota: 600, env: { events: null, localStorage } }));
  for (let i = 0; i < 20; i++) v.track('product_viewed', { products: [serum3] });
  await sleep(60);
  let used = 0;
  for (const [k, val] of localStorage.map) if (k.startsWith('vitrine:quota:')) used += val.length;
  assert.ok(used <= 600, `used ${used}`);
  assert.ok(v.stats().storageSkipped > 0);
  await v.close();
});

test('two tabs: one leader sends, the follower forwards; every event reaches the server once', async () => {
  resetServer();
  const localStorage = new FakeLocalStorage();
  const locks = new FakeLocks();
  const env = { events: null, localStorage, locks, BroadcastChannel };
  const options = baseOptions({ storage: 'localstorage', namespace: 'tabs', env });
  const tabA = await Vitrine.open(options);
  const tabB = await Vitrine.open(options);
  assert.equal(tabA.isLeader, true);
  assert.equal(tabB.isLeader, false);
  assert.equal(tabB.stats().anonymousId, tabA.stats().anonymousId, 'one shopper across tabs');

  for (let i = 0; i < 3; i++) assert.equal(tabA.track('page_viewed', { pageUrl: `/a${i}` }).ok, true);
  for (let i = 0; i < 4; i++) {
    // The leader assigns a forwarded event's id: the follower says it forwarded.
    assert.deepEqual(tabB.track('page_viewed', { pageUrl: `/b${i}` }), { ok: true, forwarded: true });
  }
  assert.ok(await until(() => tabB.stats().forwardsPending === 0), 'the leader acknowledged');
  assert.ok(await until(() => server.received.size === 7, 5000), `got ${server.received.size}`);
  assert.equal(tabB.stats().sendAttempts, 0, 'the follower never sent');
  await tabB.flush();

  // The leader's tab closes: the follower takes over and sends what it tracks from now on.
  await tabA.close();
  assert.ok(await until(() => tabB.isLeader, 3000), 'promoted');
  assert.ok(await until(() => tabB.stats().ok !== false), 'reopened');
  for (let i = 0; i < 2; i++) assert.equal(tabB.track('page_viewed', { pageUrl: `/c${i}` }).ok, true);
  assert.equal((await tabB.flush()).ok, true);
  assert.equal(server.received.size, 9);
  for (const { count } of server.received.values()) assert.equal(count, 1, 'no duplicate sends');
  await tabB.close();
});

test('a tab that opens while the leader is going away leads at once, with the stored shopper', async () => {
  resetServer();
  const env = { events: null, localStorage: new FakeLocalStorage(), locks: new FakeLocks(), BroadcastChannel };
  const options = baseOptions({ storage: 'localstorage', namespace: 'handover', env });
  const first = await Vitrine.open(options);
  const anonymousId = first.stats().anonymousId;
  first.track('product_added_to_cart', { products: [serum3] });
  const started = Date.now();
  const opening = Vitrine.open(options);  // the next page of the same tab
  await first.close();
  const next = await opening;
  assert.ok(await until(() => next.isLeader && next.stats().ok !== false, 2500), 'leads');
  assert.ok(Date.now() - started < 2500, `took ${Date.now() - started} ms`);
  assert.equal(next.stats().anonymousId, anonymousId);
  assert.equal((await next.flush()).ok, true);
  assert.equal(server.received.size, 1);
  for (const { count } of server.received.values()) assert.equal(count, 1);
  await next.close();
});

test('fetch executor: gzip via CompressionStream, keepalive flush on pagehide', async () => {
  resetServer();
  const seen = [];
  const srv = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      const gz = req.headers['content-encoding'] === 'gzip';
      if (gz) body = zlib.gunzipSync(body);
      seen.push({ url: req.url, gz, bytes: body.length });
      const headers = {};
      for (const [k, val] of Object.entries(req.headers)) {
        headers[k === 'authorization' ? 'Authorization' : k === 'if-none-match' ? 'If-None-Match' : k] = val;
      }
      const answer = asyncHttpSync({ method: req.method, url: req.url, headers,
        body: new Uint8Array(body) });
      res.writeHead(answer.status || 503, answer.headers || {});
      res.end(answer.body ? Buffer.from(answer.body) : undefined);
    });
  });
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${srv.address().port}`;
  const events = new EventTarget();
  const v = await Vitrine.open(baseOptions({ serverUrl: url, http: undefined, env: { events },
    flushIntervalMs: 60000 }));
  try {
    assert.ok(await until(() => v.stats().snapshotEtag === '"v1"'), JSON.stringify(v.stats()));
    const big = { productId: 'serum-3', sku: 'serum-3-sku', price: 9.99, currency: 'EUR',
      name: 'x'.repeat(300) };
    for (let i = 0; i < 6; i++) v.track('product_viewed', { products: [big] });
    assert.equal((await v.flush()).ok, true);
    const batch = seen.find((s) => s.url === '/v1/batch');
    assert.ok(batch && batch.gz && batch.bytes > 1024, JSON.stringify(seen));

    // pagehide: the send starts synchronously, with keepalive, before the handler returns.
    const realFetch = globalThis.fetch;
    const inits = [];
    globalThis.fetch = (u, init) => { inits.push(init); return realFetch(u, init); };
    try {
      v.track('product_added_to_cart', { products: [serum3] });
      events.dispatchEvent(new Event('pagehide'));
      await sleep(0);
      assert.ok(inits.some((i) => i.keepalive === true && i.method === 'POST'), JSON.stringify(inits));
    } finally {
      globalThis.fetch = realFetch;
    }
    assert.ok(await until(() => v.stats().queued === 0));
    assert.equal(server.received.size, 7);
  } finally {
    await v.close();
    srv.close();
  }
});

test('async HTTP edge: a rejected Promise is a transport failure; a late answer after close is ignored', async () => {
  resetServer();
  let mode = 'reject';
  const parked = [];
  const hook = (req) => {
    if (req.url.includes('/v1/snapshot')) return asyncHttp(req);
    if (mode === 'reject') return Promise.reject(new Error('network down (test)'));
    return new Promise((resolve) => parked.push(() => resolve(asyncHttpSync(req))));
  };
  const v = await Vitrine.open(baseOptions({ http: hook }));
  assert.equal(v.track('page_viewed', { pageUrl: '/x' }).ok, true);
  const failed = await v.flush({ timeoutMs: 2000 });
  assert.equal(failed.code, 'unavailable');
  assert.match(v.stats().lastError, /network down \(test\)/);
  assert.equal(v.stats().queued, 1, 'still queued');

  mode = 'park';
  const pending = v.flush({ timeoutMs: 300 });
  assert.ok(await until(() => parked.length > 0), 'a request is in flight');
  // While it is in flight, another flush does not send the same batch again.
  v.flush({ timeoutMs: 50 });
  await sleep(50);
  assert.equal(parked.length, 1, 'one request in flight at a time');
  assert.equal((await pending).code, 'deadline_exceeded');
  await v.close({ flushTimeoutMs: 0 });
  parked.forEach((answer) => answer());  // the answer arrives after close: ignored, no crash
  await sleep(20);
  assert.equal(server.received.size, 1);
  assert.equal(v.stats().code, 'shutdown');
});

// --- in-app messages: an abandoned-cart message from the snapshot comes due locally ----------
const enc = new TextEncoder();
function varint(n) {
  const out = [];
  let v = n;
  do {
    let b = v % 128;
    v = Math.floor(v / 128);
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
}
const lenField = (field, bytes) => [...varint((field << 3) | 2), ...varint(bytes.length), ...bytes];
const strField = (field, s) => lenField(field, [...enc.encode(s)]);
const intField = (field, n) => [...varint(field << 3), ...varint(n)];

// InAppMessage{1 id, 2 trigger{1 event_type, 3 absent_event_type, 4 absence_ms}, 5 priority,
// 9 content{1 title, 2 body, 5 cta_url, 6 product_ids, 7 layout}} as Snapshot field 11.
function abandonedCartMessage() {
  const trigger = [...strField(1, 'product_added_to_cart'), ...strField(3, 'checkout_started'),
    ...intField(4, 50)];
  const content = [...strField(1, 'Still thinking it over?'), ...strField(2, 'Your cart is waiting'),
    ...strField(5, '/cart'), ...strField(6, 'serum-3'), ...strField(7, 'banner')];
  const message = [...strField(1, 'abandoned-cart'), ...lenField(2, trigger), ...intField(5, 3),
    ...lenField(9, content)];
  return lenField(11, message);
}

test('in-app messages: an abandoned-cart message comes due locally and reaches onMessage once', async () => {
  resetServer();
  const hook = async (req) => {
    const answer = await asyncHttp(req);
    if (req.url.includes('/v1/snapshot') && answer.status === 200) {
      answer.body = new Uint8Array([...answer.body, ...abandonedCartMessage()]);
    }
    return answer;
  };
  const v = await Vitrine.open(baseOptions({ http: hook }));
  assert.ok(await until(() => v.stats().snapshotEtag === '"v1"'));
  assert.deepEqual(v.messages(), []);
  assert.equal(v.track('product_added_to_cart', { products: [serum3] }).ok, true);
  const shown = [];
  const off = v.onMessage((m) => shown.push(m));
  assert.ok(await until(() => shown.length > 0, 3000), 'the message came due');
  const m = shown[0];
  assert.equal(m.messageId, 'abandoned-cart');
  assert.equal(m.layout, 'banner');
  assert.equal(m.title, 'Still thinking it over?');
  assert.equal(m.ctaUrl, '/cart');
  assert.deepEqual(m.products.map((p) => p.productId), ['serum-3']);
  assert.equal(m.products[0].price, 9.99);
  assert.deepEqual(v.messageViewed(m.messageId), { ok: true });
  assert.deepEqual(v.messageDismissed(m.messageId), { ok: true });
  await sleep(100);
  assert.equal(shown.length, 1, 'once');
  off();
  await v.close();
});

// The package as the build ships it (vitrine.js + the MINIMAL_RUNTIME glue vitrine-core.js +
// vitrine.wasm, from <wasm build>/package; ctest sets VITRINE_PACKAGE_DIR): it opens and tracks
// under node too, and a module from another build is refused with a clear error instead of
// leaving open() pending forever (that runtime never settles a failed instantiation).
test('the built package loads its own module and refuses one from another build', async (t) => {
  const dir = process.env.VITRINE_PACKAGE_DIR;
  if (!dir) {
    t.skip('VITRINE_PACKAGE_DIR is not set (ctest sets it to the wasm build\'s package folder)');
    return;
  }
  const { readFileSync } = await import('node:fs');
  const { pathToFileURL } = await import('node:url');
  const shipped = await import(pathToFileURL(`${dir}/vitrine.js`).href);
  const own = readFileSync(`${dir}/vitrine.wasm`);
  resetServer();
  const options = (wasmBinary) => Object.assign(baseOptions({ wasmBinary }), { moduleFactory: undefined });
  const v = await shipped.Vitrine.open(options(own));
  const tracked = v.track('page_viewed', { pageUrl: '/' });
  assert.equal(tracked.ok, true, JSON.stringify(tracked));
  await v.close();

  const otherBuild = readFileSync(process.env.VITRINE_WASM_JS.replace(/\.js$/, '.wasm'));
  assert.notEqual(otherBuild.length, own.length);
  await assert.rejects(shipped.Vitrine.open(options(otherBuild)),
    /vitrine\.wasm \(\d+ bytes\) is not the build vitrine-core\.js expects/);
  await assert.rejects(shipped.Vitrine.open(options(new Uint8Array([60, 104, 116, 109, 108]))),
    /not a WebAssembly module/);
});
