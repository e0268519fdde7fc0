// Shared test doubles for the package tests under node: the module factory from the wasm build,
// an asynchronous fake sync server, localStorage, Web Locks.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { fakeHttp, server } from '../../tests/fake_server.mjs';

export { server };

const here = path.dirname(fileURLToPath(import.meta.url));
// The node build of the module (CommonJS glue); wasm/scripts/test.sh sets VITRINE_WASM_JS.
export const wasmJs = path.resolve(process.env.VITRINE_WASM_JS ||
  path.join(here, '../../../build/wasm/vitrine_wasm.js'));
const nodeFactory = createRequire(import.meta.url)(wasmJs);
// vitrine.js hands the bytes over as `wasm` (the package's glue is on MINIMAL_RUNTIME); the node
// build's classic glue reads them as `wasmBinary`.
const factory = (args) => nodeFactory(Object.assign({ wasmBinary: args.wasm }, args));
export const wasmBinary = readFileSync(wasmJs.replace(/\.js$/, '.wasm'));

export function resetServer() {
  server.down = false;
  server.received = new Map();
  server.requests = 0;
  server.throwOnce = false;
}

// The fake server answering through a Promise, as fetch() does.
export function asyncHttp(req) {
  return new Promise((resolve) => setTimeout(() => {
    try {
      resolve(fakeHttp(req));
    } catch (e) {
      resolve({ status: 0, error: String(e.message) });
    }
  }, 1));
}

export function baseOptions(extra = {}) {
  return Object.assign({ serverUrl: 'http://vitrine.test', writeKey: 'wk_test', http: asyncHttp,
    moduleFactory: factory, wasmBinary, storage: 'memory', flushIntervalMs: 20,
    persistIntervalMs: 20, env: { events: null } }, extra);
}

export class FakeLocalStorage {
  constructor() { this.map = new Map(); }
  get length() { return this.map.size; }
  key(i) { return [...this.map.keys()][i] ?? null; }
  getItem(k) { return this.map.has(k) ? this.map.get(k) : null; }
  setItem(k, v) { this.map.set(k, String(v)); }
  removeItem(k) { this.map.delete(k); }
}

// Web Locks: exclusive locks, ifAvailable, FIFO waiters, release when the callback's promise
// settles.
export class FakeLocks {
  constructor() { this.held = new Set(); this.waiting = new Map(); }
  request(name, opts, cb) {
    if (typeof opts === 'function') { cb = opts; opts = {}; }
    if (!this.held.has(name)) return this.grant(name, cb);
    if (opts.ifAvailable) return Promise.resolve(cb(null));
    return new Promise((resolve) => {
      if (!this.waiting.has(name)) this.waiting.set(name, []);
      this.waiting.get(name).push({ cb, resolve });
    });
  }
  grant(name, cb) {
    this.held.add(name);
    const p = Promise.resolve(cb({ name }));
    p.finally(() => {
      this.held.delete(name);
      const next = (this.waiting.get(name) || []).shift();
      if (next) next.resolve(this.grant(name, next.cb));
    });
    return p;
  }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export async function until(predicate, ms = 3000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (predicate()) return true;
    await sleep(10);
  }
  return predicate();
}

export const serum3 = { productId: 'serum-3', sku: 'serum-3-sku', price: 9.99, currency: 'EUR' };

// IndexedDB, just what the package's mirror uses. `data` (key -> Uint8Array) is the committed
// state and can be shared by a later instance (the next page load). With `dropWrites` set, a
// readwrite transaction is aborted instead of committed, as a browser drops a transaction still
// in flight when the page is torn down.
export class FakeIndexedDB {
  constructor(data = new Map()) { this.data = data; this.dropWrites = false; }
  open() {
    const req = {};
    const fake = this;
    const db = {
      createObjectStore() {},
      close() {},
      transaction(_name, mode) {
        const ops = [];
        const tx = {
          objectStore: () => ({
            getAllKeys: () => fake.request(() => [...fake.data.keys()]),
            getAll: () => fake.request(() => [...fake.data.values()]),
            put: (value, key) => { assert(mode === 'readwrite'); ops.push([key, value]); },
            delete: (key) => { assert(mode === 'readwrite'); ops.push([key, null]); },
          }),
        };
        if (mode === 'readwrite') {
          setTimeout(() => {
            if (fake.dropWrites) {
              if (tx.onabort) tx.onabort();
              return;
            }
            for (const [key, value] of ops) {
              if (value) fake.data.set(key, new Uint8Array(value));
              else fake.data.delete(key);
            }
            if (tx.oncomplete) tx.oncomplete();
          }, 1);
        }
        return tx;
      },
    };
    setTimeout(() => {
      req.result = db;
      if (req.onupgradeneeded) req.onupgradeneeded();
      req.onsuccess();
    }, 0);
    return req;
  }
  request(fn) {
    const req = {};
    setTimeout(() => { req.result = fn(); req.onsuccess(); }, 0);
    return req;
  }
}
