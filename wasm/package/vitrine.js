// @vitrine/web: the Vitrine SDK core (WebAssembly) behind a small JS API.
//
//   import { Vitrine } from '@vitrine/web';
//   const v = await Vitrine.open({ serverUrl, writeKey });
//   v.track('product_viewed', { products: [{ productId, sku, price: 12.5, currency: 'EUR' }] });
//   v.recommend('home', { limit: 8 }).items;
//
// Errors are values: track/identify/setConsent/recommend return {ok: false, code, error} and never
// throw, whatever they are given. Only open() rejects (bad options, no module).
//
// Storage (option `storage`): the core's storage contract is synchronous, so the module keeps
// its queue and state in memory and this file mirrors every change write-behind to IndexedDB
// (or localStorage, capped at `localStorageQuota` bytes) every `persistIntervalMs` (1 s) and on
// pagehide / visibilitychange=hidden. State is loaded before the client opens. Durability
// window: an event tracked less than `persistIntervalMs` before the browser is killed (crash,
// not a normal close) can be lost. A normal tab close or reload writes on pagehide; since the
// browser drops an IndexedDB transaction still in flight at teardown, that last write also goes
// synchronously to a localStorage journal (StorageJournal), merged at the next load.
//
// Several tabs: one leader per origin and namespace, elected with the Web Locks API
// (navigator.locks). The leader alone writes browser storage and talks to the sync server. Other
// tabs (followers) load the stored state read-only (same shopper identity, snapshot and
// history, so their recommendations are local too), track into their own in-memory client for
// local recommendations, and forward each event over a BroadcastChannel to the leader, which
// tracks it durably and acknowledges it; unacknowledged forwards are re-sent when a new leader
// announces itself. On pagehide the leader hands the lock over at once (after its keepalive send
// and storage write); a waiting follower takes it, reloads the stored state and becomes the
// leader. Without Web Locks or BroadcastChannel (browsers before
// 2022) every tab acts as a leader on the shared store: nothing is lost, and an event two tabs
// both send is stored once by the server, which deduplicates by event id.

const DATA_DIR = '/vitrine';
const MIRROR_STORE = 'mirror';

function errorValue(code, error) {
  return { ok: false, code, error };
}

function isPlainObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function toBase64(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

function fromBase64(text) {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function requestPromise(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

// --- storage backends: load() -> [[key, Uint8Array]], write(changes) -------------------------

class MemoryBackend {
  constructor() { this.kind = 'memory'; }
  async load() { return []; }
  write() { return Promise.resolve(); }
}

// The write-ahead journal of an IndexedDB mirror, in localStorage under one key: a JSON object
// {key: base64 | null} holding every change not yet known to be committed to IndexedDB. Why:
// browsers drop an IndexedDB transaction still in flight when the page is torn down (a tab close
// or reload right after pagehide), so the last write-behind batch, and with it up to
// `persistIntervalMs` of tracked events and the stored next event sequence, would be lost; a
// localStorage write is synchronous and visible to the next page load at once. The journal is
// written only when the page is being hidden or closed (save()), kept current while it exists,
// merged over the IndexedDB entries at load, and removed once IndexedDB has committed them.
class StorageJournal {
  constructor(localStorage, key) {
    this.ls = localStorage;
    this.key = key;
    this.pending = new Map();  // key -> Uint8Array | null, written to IndexedDB, not committed
    this.saved = false;  // a journal exists in localStorage and must follow `pending`
    this.active = true;  // false once this page handed the lead over: another tab owns it now
  }

  // The journal left by an earlier page: [[key, Uint8Array | null]] (empty when none).
  read() {
    let text = null;
    try {
      text = this.ls.getItem(this.key);
    } catch (e) {
      return [];
    }
    if (!text) return [];
    try {
      const obj = JSON.parse(text);
      if (!isPlainObject(obj)) return [];
      return Object.entries(obj).map(([k, v]) => [k, typeof v === 'string' ? fromBase64(v) : null]);
    } catch (e) {
      return [];  // damaged: IndexedDB alone is what was committed
    }
  }

  // Called with each batch as it is handed to IndexedDB.
  track(changes) {
    for (const [key, value] of changes) this.pending.set(key, value || null);
    if (this.saved) this.save();
  }

  // Called when the transaction of `changes` committed: those values need no journal any more
  // (unless a later batch changed the key again).
  confirm(changes) {
    for (const [key, value] of changes) {
      if (this.pending.has(key) && this.pending.get(key) === (value || null)) this.pending.delete(key);
    }
    if (this.saved) this.save();
  }

  // Synchronously writes `pending` to localStorage (removes the journal when nothing is pending).
  // Over the browser's quota, entries over 64 KiB (the snapshot, refetched from the server) are
  // left out: events and identity are small and matter most.
  save() {
    if (!this.active) return;
    try {
      if (this.pending.size === 0) {
        this.ls.removeItem(this.key);
        this.saved = false;
        return;
      }
      const encode = (limit) => {
        const obj = {};
        for (const [key, value] of this.pending) {
          if (value && value.length > limit) continue;
          obj[key] = value ? toBase64(value) : null;
        }
        return JSON.stringify(obj);
      };
      try {
        this.ls.setItem(this.key, encode(Infinity));
      } catch (e) {
        this.ls.setItem(this.key, encode(64 * 1024));
      }
      this.saved = true;
    } catch (e) {
      // no localStorage room at all: IndexedDB's write-behind is all there is
    }
  }
}

class IndexedDbBackend {
  constructor(indexedDB, name, journal) {
    this.kind = 'indexeddb';
    this.idb = indexedDB;
    this.name = name;
    this.db = null;
    this.chain = Promise.resolve();
    this.journal = journal;  // StorageJournal, or null without localStorage
  }

  async init() {
    const req = this.idb.open(this.name, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(MIRROR_STORE);
    this.db = await requestPromise(req);
  }

  async load() {
    const tx = this.db.transaction(MIRROR_STORE, 'readonly');
    const store = tx.objectStore(MIRROR_STORE);
    const [keys, values] = await Promise.all([requestPromise(store.getAllKeys()),
      requestPromise(store.getAll())]);
    const entries = new Map(keys.map((k, i) => [String(k), new Uint8Array(values[i])]));
    // Changes an earlier page journaled but IndexedDB may not have committed: newer, so they win.
    for (const [key, value] of this.journal ? this.journal.read() : []) {
      if (value) entries.set(key, value);
      else entries.delete(key);
    }
    return [...entries];
  }

  // Leader only, after load(): commits the journal an earlier page left (its changes are in the
  // loaded state but not in IndexedDB, and the module reports only changes made after load);
  // the journal is removed once they are committed.
  replayJournal() {
    if (!this.journal) return Promise.resolve();
    this.journal.active = true;
    const left = this.journal.read();
    if (left.length === 0) return Promise.resolve();
    this.journal.saved = true;
    return this.write(left);
  }

  // One transaction per batch of changes, started synchronously and chained so batches commit in
  // order. A transaction still in flight when the page is torn down is dropped by the browser, so
  // with `urgent` (pagehide, hidden, close) the journal of uncommitted changes is also written to
  // localStorage before this returns.
  write(changes, urgent = false) {
    if (this.journal) {
      this.journal.track(changes);
      if (urgent) this.journal.save();
    }
    if (changes.length === 0) return this.chain;
    const tx = this.db.transaction(MIRROR_STORE, 'readwrite');
    const store = tx.objectStore(MIRROR_STORE);
    for (const [key, value] of changes) {
      if (value) store.put(value, key);
      else store.delete(key);
    }
    const done = new Promise((resolve) => {
      tx.oncomplete = () => {
        if (this.journal) this.journal.confirm(changes);
        resolve();
      };
      tx.onerror = tx.onabort = () => resolve();
    });
    this.chain = this.chain.then(() => done);
    return this.chain;
  }

  close() { if (this.db) this.db.close(); }
}

// localStorage: values base64 under "<prefix><key>", the sum of value lengths capped at `quota`.
// Over the cap, a put is skipped (counted in stats().storageSkipped); events and small state win
// over large caches because the snapshot (the largest entry) is written after the events of the
// same batch and is refetched from the server when missing.
class LocalStorageBackend {
  constructor(localStorage, prefix, quota) {
    this.kind = 'localstorage';
    this.ls = localStorage;
    this.prefix = prefix;
    this.quota = quota;
    this.sizes = new Map();
    this.used = 0;
    this.skipped = 0;
  }

  async load() {
    const out = [];
    for (let i = 0; i < this.ls.length; i++) {
      const key = this.ls.key(i);
      if (!key || !key.startsWith(this.prefix)) continue;
      const text = this.ls.getItem(key);
      try {
        out.push([key.slice(this.prefix.length), fromBase64(text)]);
        this.sizes.set(key, text.length);
        this.used += text.length;
      } catch (e) {
        // a foreign or damaged entry: ignored
      }
    }
    return out;
  }

  write(changes) {
    const sorted = [...changes].sort((a, b) => (a[1] ? a[1].length : 0) - (b[1] ? b[1].length : 0));
    for (const [key, value] of sorted) {
      const full = this.prefix + key;
      const old = this.sizes.get(full) || 0;
      if (!value) {
        this.ls.removeItem(full);
        this.used -= old;
        this.sizes.delete(full);
        continue;
      }
      const text = toBase64(value);
      if (this.used - old + text.length > this.quota) {
        this.skipped++;
        continue;
      }
      try {
        this.ls.setItem(full, text);
        this.used += text.length - old;
        this.sizes.set(full, text.length);
      } catch (e) {
        this.skipped++;  // the browser's own quota
      }
    }
    return Promise.resolve();
  }
}

// --- the module -----------------------------------------------------------------------------

// The module's bytes are fetched here, alongside the glue's import: vitrine-core.js is built on
// Emscripten's MINIMAL_RUNTIME, which loads nothing itself and takes them as `wasm`.
async function loadModule(options, onMessage) {
  const [core, wasm] = await Promise.all([
    options.moduleFactory ? { default: options.moduleFactory } : import('./vitrine-core.js'),
    options.wasmBinary || fetch(options.wasmUrl || new URL('./vitrine.wasm', import.meta.url).href)
      .then((res) => {
        if (!res.ok) throw new Error(`vitrine.wasm: HTTP ${res.status}`);
        return res.arrayBuffer();
      })]);
  // That runtime leaves its factory's Promise pending when instantiation fails, so bytes that
  // are no module (an HTML error page) are refused here instead.
  if (!WebAssembly.validate(wasm)) throw new Error('vitrine.wasm is not a WebAssembly module');
  // Likewise a module from another build than the glue (a stale cached file): the package build
  // stamps the module's length into the glue (wasm/cmake/stamp_glue.cmake).
  if (core.wasmByteLength !== undefined && wasm.byteLength !== core.wasmByteLength) {
    throw new Error(`vitrine.wasm (${wasm.byteLength} bytes) is not the build vitrine-core.js ` +
      `expects (${core.wasmByteLength} bytes): serve both files of one package version`);
  }
  const m = await core.default({ onMessage, wasm });
  delete m.wasm;  // not needed after instantiation: not kept alive with the module
  return m;
}

export class Vitrine {
  // The internals are private (#) fields and methods: the minifier shortens those names, which it
  // cannot do for ordinary properties (ES2022 classes: Chrome 84, Firefox 90, Safari 15).
  #options;
  #env;
  #m = null;
  #backend = null;
  #leader = true;
  #closed = false;
  #listeners = new Set();
  #dueMessages = [];
  #outstanding = new Map();  // follower: forwarded, not yet acknowledged
  #seenForwards = new Set();  // leader: forward ids already tracked
  #nextFid = 0;
  #tabId = Math.random().toString(36).slice(2) + Date.now().toString(36);
  #timer = null;
  #releaseLock = null;
  #ready = null;
  #onLeaderSeen = null;
  #channel = null;
  #unlisten = [];
  #openedAs;
  #handedOver;

  constructor(options, env) {
    this.#options = options;
    this.#env = env;
  }

  // Vitrine.open(options) -> Promise<Vitrine>. See vitrine.d.ts for the options.
  static async open(options) {
    if (!isPlainObject(options)) throw Object.assign(new Error('options must be an object'), { code: 'invalid_argument' });
    const storage = options.storage === undefined ? 'auto' : options.storage;
    if (!['auto', 'indexeddb', 'localstorage', 'memory'].includes(storage)) {
      throw Object.assign(new Error("options.storage must be 'auto', 'indexeddb', 'localstorage' or 'memory'"), { code: 'invalid_argument' });
    }
    const g = globalThis;
    const env = Object.assign({
      indexedDB: g.indexedDB,
      localStorage: (() => { try { return g.localStorage; } catch (e) { return undefined; } })(),
      locks: g.navigator && g.navigator.locks,
      BroadcastChannel: g.BroadcastChannel,
      events: typeof g.addEventListener === 'function' ? g : null,
      document: g.document,
    }, options.env || {});
    const v = new Vitrine(Object.assign({ namespace: 'default', persistIntervalMs: 1000,
      localStorageQuota: 2 * 1024 * 1024 }, options, { storage }), env);
    await v.#start();
    return v;
  }

  async #pickBackend() {
    const { storage, namespace, localStorageQuota } = this.#options;
    const env = this.#env;
    if ((storage === 'auto' || storage === 'indexeddb') && env.indexedDB) {
      try {
        const journal = env.localStorage ?
          new StorageJournal(env.localStorage, `vitrine:${namespace}:idb-journal`) : null;
        const b = new IndexedDbBackend(env.indexedDB, `vitrine-${namespace}`, journal);
        await b.init();
        return b;
      } catch (e) {
        if (storage === 'indexeddb') throw Object.assign(new Error(`IndexedDB unavailable: ${e && e.message}`), { code: 'storage_error' });
      }
    }
    if ((storage === 'auto' || storage === 'localstorage') && env.localStorage) {
      return new LocalStorageBackend(env.localStorage, `vitrine:${namespace}:`, localStorageQuota);
    }
    if (storage !== 'auto' && storage !== 'memory') {
      throw Object.assign(new Error(`${storage} is not available here`), { code: 'storage_error' });
    }
    return new MemoryBackend();
  }

  async #start() {
    this.#backend = await this.#pickBackend();
    const durable = this.#backend.kind !== 'memory';
    const env = this.#env;
    const multiTab = durable && env.locks && typeof env.locks.request === 'function' && env.BroadcastChannel;
    if (multiTab) {
      const lockName = `vitrine:${this.#options.namespace}`;
      this.#leader = await new Promise((resolve) => {
        env.locks.request(lockName, { ifAvailable: true }, (lock) => {
          if (!lock) { resolve(false); return undefined; }
          resolve(true);
          return new Promise((release) => { this.#releaseLock = release; });
        });
      });
      this.#openedAs = this.#leader ? 'leader' : 'follower';
      this.#channel = new env.BroadcastChannel(lockName);
      this.#channel.onmessage = (e) => this.#onChannel(e.data);
      if (!this.#leader) this.#waitForLead();
    }
    return this.#startRest();
  }

  // Waits in line for the lock: this tab leads when the current leader's page goes away.
  #waitForLead() {
    this.#env.locks.request(`vitrine:${this.#options.namespace}`, (lock) => {
      if (this.#closed) return undefined;
      return new Promise((release) => {
        this.#releaseLock = release;
        if (this.#ready) {
          this.#promote();
        } else {
          // Still waiting for a leader to answer (the previous page of this tab is going
          // away): open as the leader right away.
          this.#leader = true;
          this.#openedAs = 'leader-after-wait';
          if (this.#onLeaderSeen) this.#onLeaderSeen();
        }
      });
    });
  }

  async #startRest() {
    const env = this.#env;
    if (!this.#leader && this.#channel) {
      // Load the stored state only once the leader has written it (a leader opening at the same
      // moment stores the new shopper's identity first); a leader that does not answer within
      // 3 s is taken as gone, and this tab opens on what is stored.
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, 3000);
        this.#onLeaderSeen = () => { clearTimeout(timer); resolve(); };
        this.#channel.postMessage({ kind: 'who', from: this.#tabId });
      });
      this.#onLeaderSeen = null;
    }
    this.#ready = this.#openModule();
    await this.#ready;
    // A new shopper's identity is stored before open() resolves, so a tab opened next shares it.
    await this.#persist();
    if (this.#leader && this.#channel) this.#channel.postMessage({ kind: 'leader', from: this.#tabId });
    this.#timer = setInterval(() => this.#persist(), this.#options.persistIntervalMs);
    if (this.#timer && typeof this.#timer.unref === 'function') this.#timer.unref();
    const events = env.events;
    if (events) {
      const onHide = () => this.#onPageHide(true);
      // Back from the back/forward cache: stand in line for the lead again.
      const onShow = (e) => {
        if (e && e.persisted && this.#handedOver && !this.#closed) {
          this.#handedOver = false;
          this.#waitForLead();
        }
      };
      events.addEventListener('pageshow', onShow);
      this.#unlisten.push(() => events.removeEventListener('pageshow', onShow));
      const onVisibility = () => {
        if (env.document && env.document.visibilityState === 'hidden') this.#onPageHide(false);
      };
      events.addEventListener('pagehide', onHide);
      events.addEventListener('visibilitychange', onVisibility);
      this.#unlisten.push(() => events.removeEventListener('pagehide', onHide),
        () => events.removeEventListener('visibilitychange', onVisibility));
    }
  }

  async #openModule() {
    const o = this.#options;
    const m = await loadModule(o, (msg) => this.#dispatchMessage(msg));
    const entries = this.#backend.kind === 'memory' ? null : await this.#backend.load();
    if (entries) {
      const imported = m.storageImport(DATA_DIR, entries);
      if (!imported.ok) throw Object.assign(new Error(imported.error), { code: imported.code });
    }
    const base = o.http || m.fetchHttp;
    // A follower never sends batches (the leader does): its batch requests stay pending, which
    // parks its client's sender. Snapshots it fetches itself (idempotent GETs). Checked per
    // request: a leader that handed over on pagehide stops sending too.
    const http = (req) => (!this.#leader && req.url.endsWith('/v1/batch') ? new Promise(() => {}) : base(req));
    const openOptions = { serverUrl: o.serverUrl, writeKey: o.writeKey, dataDir: DATA_DIR, http };
    for (const k of ['appVersion', 'sessionTimeoutMs', 'flushIntervalMs', 'randomSeed']) {
      if (o[k] !== undefined) openOptions[k] = o[k];
    }
    const r = m.open(openOptions);
    if (!r.ok) throw Object.assign(new Error(r.error), { code: r.code });
    this.#m = m;
    if (this.#leader && this.#backend.replayJournal) await this.#backend.replayJournal();
  }

  async #promote() {
    // The lock can come while this tab is still opening as a follower: let that finish first.
    try {
      await this.#ready;
    } catch (e) {
      // open() failed and rejected; nothing to promote
    }
    if (this.#closed) return;
    const old = this.#m;
    this.#m = null;
    if (old) old.close();
    this.#leader = true;
    // Events this tab tracked while a follower live in the old leader's store (forwarded) or in
    // #outstanding (re-tracked below); the fresh module loads what the old leader stored.
    await this.#openModule();
    for (const [, msg] of this.#outstanding) this.#apply(msg);
    this.#outstanding.clear();
    this.#channel.postMessage({ kind: 'leader', from: this.#tabId });
  }

  #onChannel(msg) {
    if (!isPlainObject(msg) || this.#closed) return;
    if (msg.kind === 'who' && this.#leader && this.#m) {
      this.#channel.postMessage({ kind: 'leader', from: this.#tabId });
    } else if (msg.kind === 'leader' && !this.#leader) {
      if (this.#onLeaderSeen) this.#onLeaderSeen();
      for (const [, fwd] of this.#outstanding) this.#channel.postMessage(fwd);
    } else if (msg.kind === 'ack' && msg.to === this.#tabId) {
      this.#outstanding.delete(msg.fid);
    } else if (msg.kind === 'forward' && this.#leader && this.#m) {
      const key = `${msg.from}/${msg.fid}`;
      if (!this.#seenForwards.has(key)) {
        this.#seenForwards.add(key);
        // Bounded: a re-sent forward comes within seconds, not after thousands of others.
        if (this.#seenForwards.size > 10000) {
          this.#seenForwards.delete(this.#seenForwards.values().next().value);
        }
        this.#apply(msg);
      }
      this.#channel.postMessage({ kind: 'ack', to: msg.from, fid: msg.fid });
    }
  }

  #apply(msg) {
    const m = this.#m;
    if (!m) return;
    if (msg.op === 'track') m.track(msg.spec);
    else if (msg.op === 'identify') m.identify(msg.userId, msg.traits);
    else if (msg.op === 'consent') m.setConsent(msg.granted);
    else if (msg.op === 'flush') m.flush();
  }

  #forward(msg) {
    if (this.#leader || !this.#channel) return;
    const fwd = Object.assign({ kind: 'forward', from: this.#tabId, fid: ++this.#nextFid }, msg);
    this.#outstanding.set(fwd.fid, fwd);
    this.#channel.postMessage(fwd);
  }

  // urgent: the page may be torn down next (pagehide, hidden), see IndexedDbBackend.write.
  #persist(urgent = false) {
    const m = this.#m;
    if (!m || this.#backend.kind === 'memory') return Promise.resolve();
    const changes = m.storageChanges(DATA_DIR);
    if (!this.#leader) return Promise.resolve();  // followers never write
    return this.#backend.write(changes, urgent);
  }

  // pagehide (leaving = true) or hidden: send what is queued with keepalive and write storage.
  // On pagehide the leader also hands the lock over at once, so the next page of this tab (or
  // another tab) leads without waiting for this document to be torn down.
  #onPageHide(leaving) {
    if (!this.#m || this.#closed) return;
    if (this.#leader) {
      this.#m.keepalive = true;
      try {
        this.#m.flushNow();
      } finally {
        this.#m.keepalive = false;
      }
    }
    this.#persist(true);
    if (leaving && this.#leader && this.#releaseLock) {
      this.#leader = false;
      this.#handedOver = true;
      // The next leader replays and removes the journal; this page must not rewrite it.
      if (this.#backend.journal) this.#backend.journal.active = false;
      const release = this.#releaseLock;
      this.#releaseLock = null;
      release();
    }
  }

  #dispatchMessage(msg) {
    if (this.#listeners.size === 0) {
      this.#dueMessages.push(msg);
      return;
    }
    for (const cb of this.#listeners) {
      try { cb(msg); } catch (e) { /* a host callback's error is the host's */ }
    }
  }

  // --- public API ---------------------------------------------------------------------------

  get isLeader() { return this.#leader; }
  get storage() { return this.#backend ? this.#backend.kind : 'memory'; }

  // track(type, props?) -> {ok: true, eventId} | {ok: true, forwarded: true} (a follower tab:
  // the leader assigns the id when it stores the event) | {ok: false, code, error}
  track(type, props) {
    if (!this.#m) return errorValue('shutdown', 'the client is closed');
    if (typeof type !== 'string' || type === '') return errorValue('invalid_argument', 'type must be a non-empty string');
    if (props !== undefined && props !== null && !isPlainObject(props)) {
      return errorValue('invalid_argument', 'props must be an object');
    }
    const spec = Object.assign({}, props || {}, { type });
    const r = this.#m.track(spec);
    if (r.ok && !this.#leader && this.#channel) {
      this.#forward({ op: 'track', spec });
      return { ok: true, forwarded: true };
    }
    return r;
  }

  identify(userId, traits) {
    if (!this.#m) return errorValue('shutdown', 'the client is closed');
    const r = this.#m.identify(userId, traits === undefined ? null : traits);
    if (r.ok) this.#forward({ op: 'identify', userId, traits: traits || null });
    return r;
  }

  setConsent(granted) {
    if (!this.#m) return errorValue('shutdown', 'the client is closed');
    const r = this.#m.setConsent(granted);
    if (r.ok) this.#forward({ op: 'consent', granted });
    return r;
  }

  // recommend(placement, {limit = 10, productId?, category?}?) -> {ok, items} | {ok: false, ...}
  recommend(placement, options) {
    if (!this.#m) return errorValue('shutdown', 'the client is closed');
    if (options !== undefined && options !== null && !isPlainObject(options)) {
      return errorValue('invalid_argument', 'options must be an object');
    }
    const o = options || {};
    const limit = o.limit === undefined ? 10 : o.limit;
    if (typeof limit !== 'number') return errorValue('invalid_argument', 'options.limit must be a number');
    const context = {};
    if (o.productId !== undefined) context.productId = o.productId;
    if (o.category !== undefined) context.category = o.category;
    return this.#m.recommend(placement, context, limit);
  }

  // The due in-app messages not yet handed to an onMessage callback (each returned once).
  messages() {
    const out = this.#dueMessages.splice(0);
    if (this.#m) out.push(...this.#m.messages());
    return out;
  }

  // onMessage(cb) -> unsubscribe. Messages that came due before the first callback was set are
  // delivered to it at once.
  onMessage(cb) {
    if (typeof cb !== 'function') return () => {};
    this.#listeners.add(cb);
    for (const msg of this.messages()) {
      try { cb(msg); } catch (e) { /* the host's */ }
    }
    return () => this.#listeners.delete(cb);
  }

  messageViewed(id) { return this.#m ? this.#m.messageEvent('viewed', id) : errorValue('shutdown', 'the client is closed'); }
  messageClicked(id) { return this.#m ? this.#m.messageEvent('clicked', id) : errorValue('shutdown', 'the client is closed'); }
  messageDismissed(id) { return this.#m ? this.#m.messageEvent('dismissed', id) : errorValue('shutdown', 'the client is closed'); }

  // flush({timeoutMs = 10000}?) -> Promise<{ok, ...}>: sends what is queued now. Resolves
  // {ok: true} when the queue is empty, {ok: false, code, error} when a send failed or the time
  // ran out (events stay queued and are retried with backoff). In a follower tab it asks the
  // leader to send and resolves {ok: true, forwarded: true}.
  async flush(options) {
    const m = this.#m;
    if (!m) return errorValue('shutdown', 'the client is closed');
    const timeoutMs = options && typeof options.timeoutMs === 'number' ? options.timeoutMs : 10000;
    if (!this.#leader) {
      this.#forward({ op: 'flush' });
      return { ok: true, forwarded: true };
    }
    const before = m.stats();
    const r = m.flush();
    if (!r.ok) return r;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (this.#m !== m) return errorValue('shutdown', 'the client closed during flush');
      const s = m.stats();
      // Tracked events sit in the journal until the core persists them (a task ~50 ms after the
      // track, or at the start of a send): `queued` alone reads 0 before that.
      if (s.queued === 0 && !s.journaled) {
        await this.#persist();
        return { ok: true };
      }
      if (s.sendFailures > before.sendFailures) return errorValue('unavailable', s.lastError || 'send failed; will retry');
      if (Date.now() > deadline) return errorValue('deadline_exceeded', 'flush timed out; events stay queued');
    }
  }

  stats() {
    if (!this.#m) return errorValue('shutdown', 'the client is closed');
    const s = this.#m.stats();
    s.leader = this.#leader;
    s.storage = this.storage;
    s.forwardsPending = this.#outstanding.size;
    s.openedAs = this.#openedAs || 'leader';
    s.storageSkipped = this.#backend && this.#backend.skipped ? this.#backend.skipped : 0;
    return s;
  }

  // close({flushTimeoutMs = 2000}?) -> Promise: the leader first sends what is queued (so no
  // answer is left in flight for the next leader to resend), then writes the last changes to
  // storage and hands leadership to a waiting tab.
  async close(options) {
    if (this.#closed) return { ok: true };
    const flushTimeoutMs = options && typeof options.flushTimeoutMs === 'number' ? options.flushTimeoutMs : 2000;
    const pending = this.#m ? this.#m.stats() : null;
    if (this.#leader && pending && flushTimeoutMs > 0 && (pending.queued > 0 || pending.journaled > 0)) {
      await this.flush({ timeoutMs: flushTimeoutMs });
    }
    if (this.#closed) return { ok: true };
    this.#closed = true;
    clearInterval(this.#timer);
    for (const off of this.#unlisten) off();
    const m = this.#m;
    if (m) {
      m.close();  // persists the journal into the store
      if (this.#leader && this.#backend.kind !== 'memory') await this.#backend.write(m.storageChanges(DATA_DIR), true);
    }
    this.#m = null;
    if (this.#channel) this.#channel.close();
    if (this.#releaseLock) this.#releaseLock();
    if (this.#backend && this.#backend.close) this.#backend.close();
    return { ok: true };
  }
}

export default Vitrine;
