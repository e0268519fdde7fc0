// Calls a host-supplied function so that a JS exception comes back to C++ as a value rather
// than unwinding through wasm frames (which would skip C++ destructors and unlock nothing).
Module['vitrineCallSafely'] = function (fn, arg) {
  try {
    return { ok: true, value: fn(arg) };
  } catch (e) {
    return { ok: false, error: String(e && e.message ? e.message : e) };
  }
};
