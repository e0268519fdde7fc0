// A theme on the shop's own origin with the loader snippet pointing at the sync server on
// another origin, as on a Shopify or Magento storefront: the loader, the package and the wasm
// come from the server's origin (module import and fetch need CORS), events go to its device API
// (protobuf + Authorization: always a preflight). Also: a server that pins its allowed origins
// refuses a page from elsewhere, and stores nothing from it.
//
// Same prerequisites as storefront.test.mjs (tests/web/run.sh runs both).
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';

import {
  buildStorefront, cleanup, freePort, launchBrowser, missingPrerequisite, Server, waitUntil, WRITE_KEY,
} from './harness.mjs';

const missing = missingPrerequisite();
if (missing && process.env.CI === 'true') throw new Error(`web tests cannot run in CI: ${missing}`);
if (missing) console.log(`web tests: skipped (${missing})`);

// The shop's theme: nothing of Vitrine but the pasted snippet.
function themePage(serverOrigin) {
  return `<!doctype html><meta charset="utf-8"><title>Another shop</title>
<h1>Theme page</h1>
<script src="${serverOrigin}/vitrine/loader.js" data-server-url="${serverOrigin}"
        data-write-key="${WRITE_KEY}" data-namespace="theme" async></script>
<script>
  window.vitrine = window.vitrine || [];
  vitrine.push(['ready', function (instance) {
    if (!instance) { window.__result = { ok: false, error: 'the loader failed' }; return; }
    var track = instance.track('product_viewed', { products: [
      { productId: 'cross-origin-1', sku: 'co-1', price: 12.5, currency: 'EUR' }] });
    instance.flush({ timeoutMs: 5000 }).then(function (r) {
      window.__result = { track: track, flush: r, stats: instance.stats() };
    });
  }]);
</script>`;
}

async function startShop(html) {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(html);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { server, origin: `http://127.0.0.1:${server.address().port}` };
}

describe('the loader on another origin', { skip: missing ? missing : false }, () => {
  let site;
  let browser;
  before(async () => {
    site = buildStorefront();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    if (site) cleanup(site.dir);
  });

  async function visit(serverPort, extraArgs) {
    const server = new Server({ ...site, customers: 50, extraArgs });
    server.port = serverPort;
    await server.start();
    const ingestedBefore = await server.metric('vitrine_events_ingested_total');
    const shop = await startShop(themePage(`http://127.0.0.1:${serverPort}`));
    const context = await browser.newContext();
    const page = await context.newPage();
    const consoleErrors = [];
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    try {
      await page.goto(shop.origin + '/');
      // Either the ready callback's result, or the loader's own failure (vitrine.error()).
      const result = await waitUntil(() => page.evaluate(() => window.__result ||
        (typeof window.vitrine?.error === 'function' && window.vitrine.error()
          ? { loadError: String(window.vitrine.error()) } : null)), 'the loader', 60000);
      return { server, result, consoleErrors, ingestedBefore };
    } finally {
      await context.close();
      await new Promise((r) => shop.server.close(r));
    }
  }

  test('loads from the server origin and delivers the events', async () => {
    const { server, result, consoleErrors } = await visit(await freePort(), []);
    try {
      assert.equal(result.track?.ok, true, JSON.stringify(result));
      assert.equal(result.flush?.ok, true, `flush: ${JSON.stringify(result)} ${consoleErrors.join('\n')}`);
      const anonymousId = result.stats.anonymousId;
      const events = await waitUntil(async () => {
        const e = await server.eventsOf(anonymousId);
        return e.some((x) => x.type === 'product_viewed') ? e : null;
      }, 'the event at the server');
      const viewed = events.filter((e) => e.type === 'product_viewed');
      assert.equal(viewed.length, 1);
      assert.equal(viewed[0].products[0].product_id, 'cross-origin-1');
    } finally {
      await server.stop();
    }
  });

  test('a server pinned to other origins refuses the page and stores nothing', async () => {
    const { server, result, consoleErrors, ingestedBefore } =
      await visit(await freePort(), ['--allowed-origins', 'https://the-real-shop.example']);
    try {
      // The loader itself loads (a script tag needs no CORS) but its module import of vitrine.js
      // is a CORS request: refused, the loader reports failure; or, when the module came from the
      // cache, the device API answers 403. Either way nothing reaches the store.
      assert.notEqual(result.flush?.ok, true, JSON.stringify(result));
      assert.ok(consoleErrors.some((e) => /CORS|Access-Control|origin/i.test(e)),
        `the browser names the cause: ${consoleErrors.join('\n')}`);
      assert.equal(await server.metric('vitrine_events_ingested_total'), ingestedBefore);
    } finally {
      await server.stop();
    }
  });
});
