// The one place the storefront talks to the Vitrine SDK. Everything else in the shop calls the
// small interface returned by openSdk(); switching SDK builds only touches this file.
//
//   const sdk = await openSdk({ serverUrl, writeKey, flushIntervalMs });
//   sdk.track(event)                    -> { ok, code?, error? }   (never throws)
//   sdk.recommend(placement, ctx, n)    -> { ok, items: [...] }    (local, from the snapshot)
//   sdk.onMessage(fn)                   in-app messages (when the SDK build has them)
//   sdk.flush(), sdk.stats(), sdk.close(), sdk.kind, sdk.raw (the SDK object itself)
//
// Two builds are supported:
//  - the npm package @vitrine/web (wasm/package, served under ./vitrine/): IndexedDB queue, fetch
//    sender, several tabs with one writer;
//  - the bare module (./vitrine/vitrine_wasm.js, `createVitrine()`), where HTTP goes through
//    a synchronous XMLHttpRequest hook and the queue lives in memory.

const BASE = new URL('./vitrine/', import.meta.url);

function asResult(value) {
  if (value && typeof value === 'object' && 'ok' in value) return value;
  return { ok: true, value };
}

// Never lets an SDK exception reach the page: an error value instead.
async function safely(fn) {
  try {
    return asResult(await fn());
  } catch (e) {
    return { ok: false, code: 'exception', error: String(e && e.message ? e.message : e) };
  }
}

async function openPackage(entry, options) {
  const { Vitrine } = await import(entry);
  const client = await Vitrine.open({
    serverUrl: options.serverUrl,
    writeKey: options.writeKey,
    ...(options.flushIntervalMs ? { flushIntervalMs: options.flushIntervalMs } : {}),
  });
  return {
    kind: 'package',
    raw: client,
    track: ({ type, ...props }) => safely(() => client.track(type, props)),
    recommend: (placement, ctx, n) =>
      safely(() => client.recommend(placement, { ...(ctx || {}), limit: n })),
    onMessage: (fn) => client.onMessage(fn),
    messageEvent: (kind, id) =>
      safely(() => (kind === 'clicked' ? client.messageClicked(id)
        : kind === 'viewed' ? client.messageViewed(id) : client.messageDismissed(id))),
    flush: () => safely(() => client.flush({ timeoutMs: 10000 })),
    stats: () => safely(() => client.stats()),
    close: () => safely(() => client.close()),
  };
}

// Synchronous HTTP for the bare module (its executor is synchronous). Binary bodies come back
// through the x-user-defined charset, the one way a synchronous XHR returns bytes on a window.
function syncXhr(req) {
  const xhr = new XMLHttpRequest();
  try {
    xhr.open(req.method, req.url, false);
    for (const [k, v] of Object.entries(req.headers || {})) {
      if (k.toLowerCase() !== 'content-length') xhr.setRequestHeader(k, v);
    }
    xhr.overrideMimeType('text/plain; charset=x-user-defined');
    xhr.send(req.method === 'GET' ? null : req.body);
  } catch (e) {
    return { status: 0, headers: {}, body: '', error: `network: ${e.message || e}` };
  }
  const text = xhr.responseText || '';
  const body = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) body[i] = text.charCodeAt(i) & 0xff;
  const headers = {};
  for (const line of xhr.getAllResponseHeaders().trim().split(/[\r\n]+/)) {
    const at = line.indexOf(':');
    if (at > 0) headers[line.slice(0, at).trim().toLowerCase()] = line.slice(at + 1).trim();
  }
  return { status: xhr.status, headers, body };
}

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = src;
    s.onload = resolve;
    s.onerror = () => reject(new Error(`cannot load ${src}`));
    document.head.appendChild(s);
  });
}

async function openBareModule(options) {
  await loadScript(new URL('vitrine_wasm.js', BASE).href);
  const m = await globalThis.createVitrine({
    locateFile: (file) => new URL(file, BASE).href,
  });
  const opened = m.open({
    serverUrl: options.serverUrl,
    writeKey: options.writeKey,
    flushIntervalMs: options.flushIntervalMs,
    http: syncXhr,
  });
  if (!opened.ok) throw new Error(`${opened.code}: ${opened.error}`);
  return {
    kind: 'module',
    raw: m,
    track: (event) => safely(() => m.track(event)),
    recommend: (placement, ctx, n) => safely(() => m.recommend(placement, ctx ?? null, n)),
    onMessage: () => {},
    messageEvent: async () => ({ ok: true }),
    flush: () => safely(() => m.flush()),
    stats: () => safely(() => m.stats()),
    close: () => safely(() => m.close()),
  };
}

// build.json is written by build.sh next to the SDK files: {"kind": "package", "entry":
// "index.js"} or {"kind": "module"}.
export async function openSdk(options) {
  let build = { kind: 'module' };
  try {
    const r = await fetch(new URL('build.json', BASE), { cache: 'no-store' });
    if (r.ok) build = await r.json();
  } catch {
    // Served without build.json: the bare module.
  }
  if (build.kind === 'package') return openPackage(new URL(build.entry, BASE).href, options);
  return openBareModule(options);
}
