// JS side of the bindings (appended to the Emscripten glue).

function vitrineMessage(e) {
  return String(e && e.message ? e.message : e);
}

// Calls a host-supplied function so that a JS exception comes back to C++ as a value rather
// than unwinding through wasm frames (which would skip C++ destructors and unlock nothing).
Module['vitrineCallSafely'] = function (fn, arg) {
  try {
    return { ok: true, value: fn(arg) };
  } catch (e) {
    return { ok: false, error: vitrineMessage(e) };
  }
};

// Runs the HTTP hook. A synchronous answer is returned as {ok, value}; a Promise answers later
// through Module.httpDone(id, response), a rejection as a transport error (status 0).
Module['vitrineHttpCall'] = function (fn, req, id) {
  var r;
  try {
    r = fn(req);
  } catch (e) {
    return { ok: false, error: vitrineMessage(e) };
  }
  if (r && typeof r.then === 'function') {
    r.then(
      function (res) { Module['httpDone'](id, res); },
      function (e) { Module['httpDone'](id, { status: 0, error: vitrineMessage(e) }); });
    return { ok: true, pending: true };
  }
  return { ok: true, value: r };
};

// The default HTTP hook: fetch(). Module.keepalive = true (set for the page's last flush on
// pagehide) sends with keepalive, so the request outlives the page; the body is then sent as is
// (compressing is asynchronous and keepalive bodies are capped at 64 KB anyway). Otherwise a
// POST body over 1 KB is gzipped with CompressionStream when the browser has it (the sync
// server accepts Content-Encoding: gzip on /v1/batch). No sendBeacon: it cannot carry the
// Authorization header the server requires.
Module['fetchHttp'] = function (req) {
  if (typeof fetch !== 'function') return { status: 0, error: 'fetch() is not available' };
  var headers = Object.assign({}, req.headers);
  var keepalive = !!Module['keepalive'] && req.body.length < 60000;
  var bodyPromise = Promise.resolve(req.method === 'GET' ? undefined : req.body);
  if (!keepalive && req.method !== 'GET' && req.body.length > 1024 && !headers['Content-Encoding'] &&
      typeof CompressionStream === 'function' && typeof Response === 'function') {
    bodyPromise = new Response(new Blob([req.body]).stream()
      .pipeThrough(new CompressionStream('gzip'))).arrayBuffer().then(function (buf) {
      headers['Content-Encoding'] = 'gzip';
      return new Uint8Array(buf);
    }, function () { return req.body; });
  }
  var controller = typeof AbortController === 'function' ? new AbortController() : null;
  var timer = controller ? setTimeout(function () { controller.abort(); }, req.timeoutMs) : 0;
  return bodyPromise.then(function (body) {
    return fetch(req.url, {
      method: req.method, headers: headers, body: body, keepalive: keepalive,
      credentials: 'omit', signal: controller ? controller.signal : undefined,
    });
  }).then(function (res) {
    var out = { status: res.status, headers: {} };
    res.headers.forEach(function (v, k) { out.headers[k] = v; });
    return res.arrayBuffer().then(function (buf) {
      clearTimeout(timer);
      out.body = new Uint8Array(buf);
      return out;
    });
  }, function (e) {
    clearTimeout(timer);
    return { status: 0, error: vitrineMessage(e) };
  });
};
