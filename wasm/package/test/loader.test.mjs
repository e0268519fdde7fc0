// The theme loader in a fake page: window.vitrine exists at once, calls queue, nothing loads
// before the page has loaded, then the module is imported and the queue replays in order.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import vm from 'node:vm';

const source = readFileSync(new URL('../loader.js', import.meta.url), 'utf8');

function fakePage(config) {
  const listeners = {};
  const calls = [];
  const opened = [];
  const win = {
    vitrineConfig: Object.assign({
      serverUrl: 'http://vitrine.test', writeKey: 'wk', src: 'https://shop.example/vitrine/vitrine.js',
      load: async (src) => {
        calls.push(['import', src]);
        return { Vitrine: { open: async (opts) => {
          opened.push(opts);
          return {
            track: (...a) => { calls.push(['track', ...a]); return { ok: true }; },
            identify: (...a) => { calls.push(['identify', ...a]); return { ok: true }; },
            flush: () => { calls.push(['flush']); return Promise.resolve({ ok: true }); },
          };
        } } };
      },
    }, config),
    addEventListener: (name, cb) => { listeners[name] = cb; },
    setTimeout: (cb) => setTimeout(cb, 0),
    location: { href: 'https://shop.example/' },
    console,
  };
  const doc = { readyState: 'loading', currentScript: null, referrer: '' };
  vm.runInNewContext(source, { window: win, document: doc, URL, Array, Object });
  return { win, doc, listeners, calls, opened };
}

test('loader: stub at once, lazy import after load, queue replayed in order', async () => {
  const page = fakePage({ pageView: true });
  const v = page.win.vitrine;
  assert.equal(typeof v.track, 'function');
  v.track('product_viewed', { products: [] });
  v.push(['identify', 'u1', { a: 'b' }]);
  v('flush');
  let readyWith;
  v.ready((instance) => { readyWith = instance; });
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(page.calls.length, 0, 'nothing loads before the page has loaded');
  page.doc.readyState = 'complete';
  page.listeners.load();
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(page.calls.map((c) => c[0]), ['import', 'track', 'track', 'identify', 'flush']);
  assert.equal(page.calls[1][1], 'page_viewed', 'pageView first');
  assert.equal(page.calls[2][1], 'product_viewed');
  assert.equal(JSON.stringify(page.opened[0]), JSON.stringify({ serverUrl: 'http://vitrine.test', writeKey: 'wk' }));
  assert.ok(readyWith && typeof readyWith.track === 'function');
  v.track('cart_viewed');
  assert.equal(page.calls.at(-1)[1], 'cart_viewed', 'after load: direct calls');
});

test('loader: a failed load drops the queue quietly; the stub never throws', async () => {
  const page = fakePage({ load: () => Promise.reject(new Error('offline')) });
  const warn = console.warn;
  console.warn = () => {};
  try {
    page.win.vitrine.track('page_viewed');
    page.doc.readyState = 'complete';
    page.listeners.load();
    await new Promise((r) => setTimeout(r, 20));
    assert.match(String(page.win.vitrine.error()), /offline/);
    assert.doesNotThrow(() => page.win.vitrine.track('page_viewed'));
  } finally {
    console.warn = warn;
  }
});
