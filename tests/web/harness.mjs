// Shared set-up for the storefront's browser tests: a vitrine-server on loopback (temp SQLite db,
// free port, the generated demo shop), the storefront assembled by samples/web_storefront/build.sh,
// a recording proxy in front of the server (counts requests; "offline" drops /v1/ calls the way a
// dead network would, while the shop's own files keep loading), and headless Debian Chromium.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CHROMIUM = process.env.VITRINE_CHROMIUM || '/usr/bin/chromium';
export const WRITE_KEY = 'wk_web_test';
export const ADMIN_KEY = 'ak_web_test';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Why the browser tests cannot run here, or null. In CI a missing piece is a failure.
export function missingPrerequisite() {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} not found (apt-get install chromium)`;
  if (!serverBinary()) return 'vitrine-server not built (set VITRINE_SERVER_BIN)';
  try {
    execFileSync('node', ['-e', "require.resolve('playwright-core')"], { cwd: path.join(ROOT, 'tests/web') });
  } catch {
    return 'playwright-core not installed (cd tests/web && npm ci)';
  }
  return null;
}

export function serverBinary() {
  const env = process.env.VITRINE_SERVER_BIN;
  if (env) return existsSync(env) ? env : null;
  for (const dir of ['ci', 'dev', 'release', 'storefront']) {
    const p = path.join(ROOT, 'build', dir, 'sync_server', 'vitrine-server');
    if (existsSync(p)) return p;
  }
  return null;
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

// The storefront files + SDK + config.json in a temp folder.
export function buildStorefront({ flushIntervalMs = 60000 } = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vitrine-web-'));
  const www = path.join(dir, 'www');
  const args = [www, '--write-key', WRITE_KEY, '--flush-interval-ms', String(flushIntervalMs)];
  // The package built once by the caller (scripts/test: wasm/scripts/build-package.sh DIR).
  if (process.env.VITRINE_WEB_SDK_DIR) args.push('--sdk-dir', process.env.VITRINE_WEB_SDK_DIR);
  execFileSync(path.join(ROOT, 'samples/web_storefront/build.sh'), args, { stdio: ['ignore', 'ignore', 'inherit'] });
  return { dir, www, sdkKind: JSON.parse(readFileSync(path.join(www, 'vitrine/build.json'), 'utf8')).kind };
}

export class Server {
  constructor({ www, dir, customers = 300, extraArgs = [] }) {
    this.extraArgs = extraArgs;
    this.www = www;
    this.db = path.join(dir, 'vitrine.db');
    this.dir = dir;
    this.customers = customers;
    this.proc = null;
  }

  async start() {
    this.port = this.port ?? (await freePort());
    const ready = path.join(this.dir, `ready-${Date.now()}`);
    const args = ['serve', '--listen', `http://127.0.0.1:${this.port}`, '--db', this.db,
      '--write-key', WRITE_KEY, '--admin-key', ADMIN_KEY, '--ready-file', ready,
      '--static-dir', this.www, '--access-log', 'false', '--snapshot-ttl', '5'];
    args.push(...this.extraArgs);
    if (!this.loaded) args.push('--demo', '--demo-customers', String(this.customers));
    this.loaded = true;
    this.log = '';
    this.proc = spawn(serverBinary(), args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc.stderr.on('data', (d) => { this.log += d; });
    const exited = new Promise((resolve) => this.proc.once('exit', resolve));
    for (let i = 0; i < 1200; i++) {
      if (existsSync(ready)) return;
      if (this.proc.exitCode !== null) throw new Error(`vitrine-server exited: ${this.log}`);
      await Promise.race([sleep(50), exited]);
    }
    throw new Error(`vitrine-server did not start in 60 s: ${this.log}`);
  }

  async stop() {
    if (!this.proc || this.proc.exitCode !== null) return;
    const exited = new Promise((resolve) => this.proc.once('exit', resolve));
    this.proc.kill('SIGTERM');
    await exited;
  }

  async admin(pathAndQuery) {
    const r = await fetch(`http://127.0.0.1:${this.port}${pathAndQuery}`, {
      headers: { Authorization: `Bearer ${ADMIN_KEY}`, Accept: 'application/json' },
    });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : null };
  }

  async metric(name) {
    const r = await fetch(`http://127.0.0.1:${this.port}/metrics`);
    const m = (await r.text()).match(new RegExp(`^${name} (\\d+)`, 'm'));
    return m ? Number(m[1]) : NaN;
  }

  // Every stored event of the profile behind an anonymous id.
  async eventsOf(anonymousId) {
    const p = await this.admin(`/v1/admin/profiles?anonymous_id=${encodeURIComponent(anonymousId)}`);
    if (p.status === 404) return [];
    if (p.status !== 200) throw new Error(`profiles: ${p.status} ${JSON.stringify(p.body)}`);
    const e = await this.admin(`/v1/admin/events?profile_id=${p.body.profile_id}&limit=10000`);
    return e.body.events;
  }
}

// A pass-through HTTP proxy that records every request path and, while `offline`, destroys
// /v1/ requests (connection reset: what a client sees when the server is unreachable).
export class Proxy {
  constructor(upstreamPort) {
    this.upstreamPort = upstreamPort;
    this.offline = false;
    this.requests = []; // {method, path, at}
  }

  count(method, prefix) {
    return this.requests.filter((r) => r.method === method && r.path.startsWith(prefix)).length;
  }

  async start() {
    this.server = http.createServer((req, res) => {
      const p = req.url;
      if (this.offline && p.startsWith('/v1/')) {
        this.requests.push({ method: req.method, path: p, dropped: true });
        req.socket.destroy();
        return;
      }
      this.requests.push({ method: req.method, path: p });
      const up = http.request({ host: '127.0.0.1', port: this.upstreamPort, method: req.method,
        path: p, headers: req.headers }, (ur) => {
        res.writeHead(ur.statusCode, ur.headers);
        ur.pipe(res);
      });
      up.on('error', () => req.socket.destroy());
      req.pipe(up);
    });
    this.server.keepAliveTimeout = 1000;
    await new Promise((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = this.server.address().port;
    this.url = `http://127.0.0.1:${this.port}/`;
  }

  async stop() {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}

export async function launchBrowser() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// Opens the shop in `context` and waits until it has rendered its first page.
export async function openShop(context, url, hash = '') {
  const page = await context.newPage();
  page.on('pageerror', (e) => { page.errors = [...(page.errors || []), e]; });
  await page.goto(url + hash);
  await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 30000 });
  const ready = await page.evaluate(() => document.body.dataset.ready);
  if (ready !== 'true') throw new Error(`shop failed: ${await page.textContent('#app')}`);
  return page;
}

// Navigates inside the shop and waits for that page to render.
export async function go(page, hash) {
  const before = await page.evaluate(() => Number(document.body.dataset.rendered || 0));
  await page.evaluate((h) => { location.hash = h; }, hash);
  await page.waitForFunction((n) => Number(document.body.dataset.rendered || 0) > n, before);
}

export async function forYou(page) {
  return page.$$eval('[data-testid=for-you] [data-product-id]', (els) => els.map((e) => e.dataset.productId));
}

export async function waitUntil(fn, what, timeoutMs = 30000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

export function cleanup(dir) {
  rmSync(dir, { recursive: true, force: true });
}
