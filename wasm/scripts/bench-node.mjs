// Per-call latency of the module's track() and recommend() under node (the benchmark
// measures them in headless Chromium; this is the same module on the same V8, without a page).
//
// Usage: node --no-experimental-fetch wasm/scripts/bench-node.mjs [build/wasm/vitrine_wasm.js]
//        [--json]
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

import { fakeHttp, server } from '../tests/fake_server.mjs';

const args = process.argv.slice(2);
const json = args.includes('--json');
const jsPath = path.resolve(args.find((a) => !a.startsWith('--')) ?? 'build/wasm/vitrine_wasm.js');
const createVitrine = createRequire(import.meta.url)(jsPath);
const m = await createVitrine({ wasmBinary: readFileSync(jsPath.replace(/\.js$/, '.wasm')) });

server.perCategory = 500;  // a 1,500-item catalog
if (!m.open({ serverUrl: 'http://bench.test', writeKey: 'wk_test', http: fakeHttp }).ok) {
  throw new Error('open failed');
}
await new Promise((resolve) => setTimeout(resolve, 100));  // the snapshot arrives
if (!m.stats().snapshotEtag) throw new Error('no snapshot');

const p50 = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function measure(n, fn) {
  const times = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    fn(i);
    times.push((performance.now() - t0) * 1000);
    if (i % 100 === 99) await new Promise((resolve) => setTimeout(resolve, 0));  // background work
  }
  return p50(times);
}

const product = (i) => ({ productId: `serum-${i % 500}`, sku: `sku-${i % 500}`, price: 9.99,
  currency: 'EUR', name: 'Serum', category: 'Skin Care' });
const trackUs = await measure(3000, (i) => {
  const r = m.track({ type: 'product_viewed', products: [product(i)] });
  if (!r.ok) throw new Error(r.error);
});
const recommendUs = await measure(3000, () => {
  const r = m.recommend('home', null, 10);
  if (!r.ok || r.items.length !== 10) throw new Error(JSON.stringify(r));
});
const result = { wasm_node_track_us_p50: +trackUs.toFixed(1),
  wasm_node_recommend_us_p50: +recommendUs.toFixed(1) };
if (json) console.log(JSON.stringify(result));
else for (const [k, v] of Object.entries(result)) console.log(`${k.padEnd(28)} ${v}`);
m.close();
