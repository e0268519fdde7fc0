// JS side of the module (appended to the Emscripten glue): the functions the package calls,
// over the C ABI of vitrine_abi.cc. Arguments go in as one JSON array (UTF-8 in module memory),
// results come back as JSON, binary data (storage entries, HTTP bodies) as raw bytes. Plain
// values in and out; errors are values ({ok: false, code, error}); nothing here throws.

var vtEncoder = new TextEncoder();
var vtDecoder = new TextDecoder();
var vtHook = null;  // the HTTP hook of the open client

function vitrineMessage(e) {
  return String(e && e.message ? e.message : e);
}

function vtError(code, error) {
  return { ok: false, code: code, error: error };
}

// Values JSON cannot carry become strings, so the module reports them as the wrong type instead
// of JSON.stringify dropping (NaN, Infinity -> null) or refusing (BigInt) them.
function vtReplacer(k, v) {
  return typeof v === 'bigint' || (typeof v === 'number' && !isFinite(v)) ? String(v) : v;
}

// Copies bytes into module memory; the caller frees the pointer with _vt_free.
function vtPut(bytes) {
  var p = _vt_alloc(bytes.length);
  HEAPU8.set(bytes, p);
  return p;
}

// A result buffer of the C ABI ([uint32 length][bytes]) as a copy of its bytes; frees it.
function vtTake(p) {
  if (!p) throw new Error('out of memory');
  var n = HEAPU32[p >> 2];
  var bytes = HEAPU8.slice(p + 4, p + 4 + n);
  _vt_free(p);
  return bytes;
}

// Calls an ABI function with `args` as a JSON array (and `extra` integer arguments after the
// pointer and length) and returns its parsed JSON result. The vt_* exports are called by their
// glue-local names (_vt_track, ...): both runtimes define those (MINIMAL_RUNTIME, the package's
// build, puts no exports on Module), and the minifier shortens them, unlike Module['_vt_track'].
function vtCall(fn, args, extra) {
  var p = 0;
  try {
    var bytes = vtEncoder.encode(JSON.stringify(args, vtReplacer));
    p = vtPut(bytes);
    return JSON.parse(vtDecoder.decode(vtTake(fn(p, bytes.length, extra | 0))));
  } catch (e) {
    return vtError(p ? 'internal' : 'invalid_argument', vitrineMessage(e));
  } finally {
    if (p) _vt_free(p);
  }
}

// An ABI function without arguments.
function vtCall0(fn) {
  try {
    return JSON.parse(vtDecoder.decode(vtTake(fn())));
  } catch (e) {
    return vtError('internal', vitrineMessage(e));
  }
}

function vtIsObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

// open({serverUrl, writeKey, dataDir?, http?, compress?, sessionTimeoutMs?, flushIntervalMs?,
//       appVersion?, randomSeed?}). HTTP goes through `http` (default Module.fetchHttp):
//   http({method, url, headers, body: Uint8Array, timeoutMs}) ->
//        {status, headers, body: Uint8Array | string, error?}  or a Promise of it
// A hook that throws or rejects counts as a transport failure; the events stay queued.
Module['open'] = (options) => {
  if (vtIsObject(options) && options.http != null && typeof options.http !== 'function') {
    return vtError('invalid_argument', 'options.http must be a function');
  }
  vtHook = vtIsObject(options) && options.http ? options.http : Module['fetchHttp'];
  return vtCall(_vt_open, [options], typeof Module['onMessage'] === 'function');
};
Module['close'] = () => vtCall0(_vt_close);
// track(event) -> {ok: true, eventId} | {ok: false, code, error}
Module['track'] = (event) => vtCall(_vt_track, [event]);
Module['identify'] = (userId, traits) => vtCall(_vt_identify, [userId, traits]);
Module['setConsent'] = (granted) => vtCall(_vt_set_consent, [granted]);
// recommend(placement, {productId?, category?}?, n) -> {ok, items: [{productId, title, ...}]}
Module['recommend'] = (placement, context, n) => {
  return vtCall(_vt_recommend, [placement, context, n]);
};
Module['flush'] = () => vtCall0(_vt_flush);
// flushNow() for pagehide: the due send is handed to the HTTP hook before this returns.
Module['flushNow'] = () => vtCall0(_vt_flush_now);
Module['stats'] = () => vtCall0(_vt_stats);
Module['messages'] = () => {
  var r = vtCall0(_vt_messages);
  return Array.isArray(r) ? r : [];
};
// messageEvent(kind, messageId): kind is "viewed", "clicked" or "dismissed".
Module['messageEvent'] = (kind, messageId) => {
  return vtCall(_vt_message_event, [kind, messageId]);
};

// storageImport(dataDir, [[key, Uint8Array], ...]) before open(): loads a mirror (see
// wasm/src/memory_storage.h). Returns {ok, skipped}.
Module['storageImport'] = (dataDir, entries) => {
  if (typeof dataDir !== 'string') return vtError('invalid_argument', 'dataDir must be a string');
  if (!Array.isArray(entries)) return vtError('invalid_argument', 'entries must be an array');
  var parts = [], size = 0, i, e;
  for (i = 0; i < entries.length; i++) {
    e = entries[i];
    if (!Array.isArray(e) || typeof e[0] !== 'string' || !(e[1] instanceof Uint8Array)) {
      return vtError('invalid_argument', 'entries[' + i + '] must be [string, Uint8Array]');
    }
    parts.push(vtEncoder.encode(e[0]), e[1]);
    size += 8 + parts[parts.length - 2].length + e[1].length;
  }
  var frames = new Uint8Array(size), view = new DataView(frames.buffer), at = 0;
  for (i = 0; i < parts.length; i++) {
    view.setUint32(at, parts[i].length, true);
    frames.set(parts[i], at + 4);
    at += 4 + parts[i].length;
  }
  var dir = vtEncoder.encode(dataDir), pd = vtPut(dir), pf = vtPut(frames);
  try {
    return JSON.parse(vtDecoder.decode(vtTake(
      _vt_storage_import(pd, dir.length, pf, frames.length))));
  } catch (err) {
    return vtError('internal', vitrineMessage(err));
  } finally {
    _vt_free(pd);
    _vt_free(pf);
  }
};

// storageChanges(dataDir) -> [[key, Uint8Array | null], ...]: the mirror writes since last call.
Module['storageChanges'] = (dataDir) => {
  var out = [];
  if (typeof dataDir !== 'string') return out;
  var dir = vtEncoder.encode(dataDir), pd = vtPut(dir), bytes;
  try {
    bytes = vtTake(_vt_storage_changes(pd, dir.length));
  } finally {
    _vt_free(pd);
  }
  var view = new DataView(bytes.buffer), at = 0, klen, vlen;
  while (at < bytes.length) {
    klen = view.getUint32(at, true);
    var key = vtDecoder.decode(bytes.subarray(at + 4, at + 4 + klen));
    at += 4 + klen;
    vlen = view.getInt32(at, true);
    at += 4;
    out.push([key, vlen < 0 ? null : bytes.slice(at, at + vlen)]);
    if (vlen > 0) at += vlen;
  }
  return out;
};

// The answer to request `id` into the module: res is {status, headers, body, error?}.
function vtHttpDone(id, res) {
  var meta, body = new Uint8Array(0);
  try {
    meta = vtIsObject(res) ?
      JSON.stringify({ status: res.status, headers: res.headers, error: res.error }, vtReplacer) :
      'null';
  } catch (e) {
    meta = JSON.stringify({ status: 0, error: vitrineMessage(e) });
  }
  if (vtIsObject(res)) {
    if (typeof res.body === 'string') body = vtEncoder.encode(res.body);
    else if (res.body instanceof Uint8Array) body = res.body;
  }
  var m = vtEncoder.encode(meta), pm = vtPut(m), pb = vtPut(body);
  try {
    _vt_http_done(id, pm, m.length, pb, body.length);
  } finally {
    _vt_free(pm);
    _vt_free(pb);
  }
}

// Called by the module (vt_js_http) for each request: runs the hook; a synchronous answer goes
// back at once, a Promise's when it settles, an exception or rejection as a transport error.
Module['vitrineHttp'] = (id, meta, metaLen, body, bodyLen) => {
  var req = JSON.parse(vtDecoder.decode(HEAPU8.subarray(meta, meta + metaLen)));
  req.body = HEAPU8.slice(body, body + bodyLen);  // a copy: memory may grow
  var r;
  try {
    r = vtHook(req);
  } catch (e) {
    return vtHttpDone(id, { status: 0, error: 'http hook threw: ' + vitrineMessage(e) });
  }
  if (r && typeof r.then === 'function') {
    r.then((res) => { vtHttpDone(id, res); },
      (e) => { vtHttpDone(id, { status: 0, error: vitrineMessage(e) }); });
  } else {
    vtHttpDone(id, r);
  }
};

// Called by the module (vt_js_message) with a due in-app message for Module.onMessage.
Module['vitrineMessage'] = (json, len) => {
  try {
    Module['onMessage'](JSON.parse(vtDecoder.decode(HEAPU8.subarray(json, json + len))));
  } catch (e) {
    // the host's callback threw: its own business
  }
};

// The default HTTP hook: fetch(). Module.keepalive = true (set for the page's last flush on
// pagehide) sends with keepalive, so the request outlives the page; the body is then sent as is
// (compressing is asynchronous and keepalive bodies are capped at 64 KB anyway). Otherwise a
// POST body over 1 KB is gzipped with CompressionStream when the browser has it (the sync
// server accepts Content-Encoding: gzip on /v1/batch). No sendBeacon: it cannot carry the
// Authorization header the server requires.
Module['fetchHttp'] = (req) => {
  if (typeof fetch !== 'function') return { status: 0, error: 'fetch() is not available' };
  var headers = Object.assign({}, req.headers);
  var keepalive = !!Module['keepalive'] && req.body.length < 60000;
  var bodyPromise = Promise.resolve(req.method === 'GET' ? undefined : req.body);
  if (!keepalive && req.method !== 'GET' && req.body.length > 1024 && !headers['Content-Encoding'] &&
      typeof CompressionStream === 'function' && typeof Response === 'function') {
    bodyPromise = new Response(new Blob([req.body]).stream()
      .pipeThrough(new CompressionStream('gzip'))).arrayBuffer().then((buf) => {
      headers['Content-Encoding'] = 'gzip';
      return new Uint8Array(buf);
    }, () => req.body);
  }
  var controller = typeof AbortController === 'function' ? new AbortController() : null;
  var timer = controller ? setTimeout(() => { controller.abort(); }, req.timeoutMs) : 0;
  return bodyPromise.then((body) => {
    return fetch(req.url, {
      method: req.method, headers: headers, body: body, keepalive: keepalive,
      credentials: 'omit', signal: controller ? controller.signal : undefined,
    });
  }).then((res) => {
    var out = { status: res.status, headers: {} };
    res.headers.forEach((v, k) => { out.headers[k] = v; });
    return res.arrayBuffer().then((buf) => {
      clearTimeout(timer);
      out.body = new Uint8Array(buf);
      return out;
    });
  }, (e) => {
    clearTimeout(timer);
    return { status: 0, error: vitrineMessage(e) };
  });
};
