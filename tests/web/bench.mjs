// Browser figures for the benchmark runner (issue 3): the SDK's transfer sizes and its track() /
// recommend() latency in headless Debian Chromium, on the demo storefront served by vitrine-server.
//
//   node tests/web/bench.mjs [--json] [--quick] [--server-bin PATH] [--sdk-dir DIR]
//
// --sdk-dir: the output of wasm/scripts/build-package.sh (default build/wasm-package). Keys:
//   wasm_loader_br_bytes, wasm_loader_gz_bytes   loader.js, brotli q11 / gzip -9 (node's zlib)
//   wasm_core_br_bytes, wasm_core_gz_bytes       vitrine.wasm + vitrine-core.js + vitrine.js
//   wasm_track_us_p50, wasm_recommend_us_p50     per call, in the page (recommend: "home", 10)
// Latency is timed over blocks of calls (performance.now() is coarsened to 100 us in a page that
// is not cross-origin isolated), p50 over the blocks. vitrine-bench runs this and adds the keys.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

import { buildStorefront, cleanup, launchBrowser, openShop, ROOT, Server } from './harness.mjs';

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const sdkDir = path.resolve(option('--sdk-dir', path.join(ROOT, 'build/wasm-package')));
if (option('--server-bin')) process.env.VITRINE_SERVER_BIN = path.resolve(option('--server-bin'));
process.env.VITRINE_WEB_SDK_DIR = sdkDir;
const quick = flag('--quick');

function sizes(files) {
  let br = 0;
  let gz = 0;
  for (const f of files) {
    const data = readFileSync(path.join(sdkDir, f));
    br += zlib.brotliCompressSync(data, {
      params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
        [zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.length },
    }).length;
    gz += zlib.gzipSync(data, { level: 9 }).length;
  }
  return { br, gz };
}

for (const f of ['loader.js', 'vitrine.wasm', 'vitrine-core.js', 'vitrine.js']) {
  if (!existsSync(path.join(sdkDir, f))) {
    console.error(`web bench: ${sdkDir}/${f} missing (wasm/scripts/build-package.sh ${sdkDir})`);
    process.exit(1);
  }
}
const loader = sizes(['loader.js']);
const core = sizes(['vitrine.wasm', 'vitrine-core.js', 'vitrine.js']);

const site = buildStorefront({ flushIntervalMs: 3600000 });
const server = new Server({ ...site, customers: quick ? 300 : 2000 });
let latency;
let browser;
try {
  await server.start();
  browser = await launchBrowser();
  const context = await browser.newContext();
  const page = await openShop(context, `http://127.0.0.1:${server.port}/`);
  latency = await page.evaluate(async ({ blocks, perBlock }) => {
    const v = window.vitrineShop.sdk.raw;
    const ids = window.vitrineShop.catalog.items.slice(0, 200).map((p) => p.product_id);
    const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const time = (fn) => {
      const out = [];
      for (let b = 0; b < blocks; b++) {
        const t0 = performance.now();
        for (let i = 0; i < perBlock; i++) fn(b * perBlock + i);
        out.push(((performance.now() - t0) * 1000) / perBlock);
      }
      return median(out);
    };
    let failures = 0;
    const trackUs = time((i) => {
      const id = ids[i % ids.length];
      const r = v.track('product_viewed',
        { products: [{ productId: id, sku: id, price: 12.5, currency: 'EUR' }] });
      if (!r.ok) failures++;
    });
    const recommendUs = time(() => {
      const r = v.recommend('home', { limit: 10 });
      if (!r.ok || r.items.length === 0) failures++;
    });
    return { trackUs, recommendUs, failures };
  }, { blocks: quick ? 20 : 60, perBlock: 100 });
} finally {
  await browser?.close();
  await server.stop();
  cleanup(site.dir);
}
if (latency.failures) {
  console.error(`web bench: ${latency.failures} calls failed`);
  process.exit(1);
}

const rows = [
  ['wasm_loader_br_bytes', loader.br, 'bytes', '<= 8192'],
  ['wasm_loader_gz_bytes', loader.gz, 'bytes', ''],
  ['wasm_core_br_bytes', core.br, 'bytes', '<= 65536'],
  ['wasm_core_gz_bytes', core.gz, 'bytes', ''],
  ['wasm_track_us_p50', latency.trackUs, 'us', ''],
  ['wasm_recommend_us_p50', latency.recommendUs, 'us', '<= 100'],
];
if (flag('--json')) {
  console.log(`{${rows.map(([k, v]) => `"${k}": ${v.toFixed(3)}`).join(', ')}}`);
} else {
  console.log(`${'metric'.padEnd(28)} ${'value'.padStart(16)}  ${'unit'.padEnd(9)} target`);
  for (const [k, v, unit, target] of rows) {
    console.log(`${k.padEnd(28)} ${v.toFixed(2).padStart(16)}  ${unit.padEnd(9)} ${target}`);
  }
}
