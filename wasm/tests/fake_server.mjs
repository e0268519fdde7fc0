// A fake sync server for the module's node tests and benchmarks: just enough protobuf wire
// format to ack /v1/batch by event id and to serve a small demo snapshot with an ETag.
import assert from 'node:assert/strict';

// --- just enough protobuf wire format for the fake server -------------------------------------
const enc = new TextEncoder();
const dec = new TextDecoder();
function varint(n) {
  const out = [];
  let v = BigInt(n);
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
}
const tag = (field, wire) => varint((field << 3) | wire);
const bytesField = (field, bytes) => [...tag(field, 2), ...varint(bytes.length), ...bytes];
const strField = (field, s) => bytesField(field, enc.encode(s));
const intField = (field, n) => [...tag(field, 0), ...varint(n)];
function floatField(field, f) {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setFloat32(0, f, true);
  return [...tag(field, 5), ...b];
}
// Top-level fields of a message: [{field, wire, value}] (value: Uint8Array or BigInt).
function parse(buf) {
  const fields = [];
  let i = 0;
  const readVarint = () => {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[i++];
      v |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const key = Number(readVarint());
    const field = key >> 3;
    const wire = key & 7;
    if (wire === 0) fields.push({ field, wire, value: readVarint() });
    else if (wire === 2) {
      const len = Number(readVarint());
      fields.push({ field, wire, value: buf.subarray(i, i + len) });
      i += len;
    } else if (wire === 5) i += 4;
    else if (wire === 1) i += 8;
    else throw new Error(`wire type ${wire}`);
  }
  return fields;
}

// snapshot.proto: CatalogItem{1 id, 2 title, 3 price_micros, 4 currency, 7 category, 9 stock},
// ScoredItem{1 id, 2 score}, Neighbours{1 id, 2 items}; Snapshot{4 ttl, 6 popular,
// 7 neighbours, 8 catalog}.
// `perCategory` items in each of three categories; serum-3's neighbours are masks 1-3.
export function demoSnapshot(perCategory = 5) {
  const out = [...intField(4, 900)];
  const ids = [];
  for (let i = 0; i < perCategory; i++) ids.push(`serum-${i}`, `mask-${i}`, `shampoo-${i}`);
  for (const id of ids) {
    const category = id.startsWith('shampoo') ? 'Hair Care/Shampoo' : 'Skin Care';
    out.push(...bytesField(8, [...strField(1, id), ...strField(2, `Item ${id}`),
      ...intField(3, 9_990_000), ...strField(4, 'EUR'), ...strField(7, category),
      ...intField(9, 5)]));
  }
  for (let i = 0; i < Math.min(perCategory, 50); i++) {
    out.push(...bytesField(6, [...strField(1, `shampoo-${i}`), ...floatField(2, 100 - i)]));
  }
  const neighbours = [...strField(1, 'serum-3')];
  ['mask-1', 'mask-2', 'mask-3'].forEach((id, k) => {
    neighbours.push(...bytesField(2, [...strField(1, id), ...floatField(2, 1 - k * 0.2)]));
  });
  out.push(...bytesField(7, neighbours));
  return new Uint8Array(out);
}

// Acks /v1/batch (events are Batch field 3; Event.event_id 1, Event.type 2; BatchAck field 1)
// and serves the snapshot with an ETag.
export const server = { down: false, received: new Map(), requests: 0, throwOnce: false,
  perCategory: 5 };
export function fakeHttp(req) {
  server.requests++;
  if (server.throwOnce) {
    server.throwOnce = false;
    throw new Error('hook failure (test)');
  }
  if (server.down) return { status: 0, error: 'connection refused (test)' };
  assert.ok(req.body instanceof Uint8Array);
  assert.equal(req.headers.Authorization, 'Bearer wk_test');
  if (req.url.endsWith('/v1/batch')) {
    const ack = [];
    for (const f of parse(req.body)) {
      if (f.field !== 3) continue;
      const event = parse(f.value);
      const id = event.find((e) => e.field === 1).value;
      const type = dec.decode(event.find((e) => e.field === 2).value);
      const key = Buffer.from(id).toString('hex');
      const seen = server.received.get(key);
      server.received.set(key, { type, count: (seen?.count ?? 0) + 1 });
      ack.push(...bytesField(1, id));
    }
    return { status: 200, headers: {}, body: new Uint8Array(ack) };
  }
  if (req.url.includes('/v1/snapshot')) {
    if (req.headers['If-None-Match'] === '"v1"') return { status: 304, headers: {} };
    return { status: 200, headers: { ETag: '"v1"' }, body: demoSnapshot(server.perCategory) };
  }
  return { status: 404, headers: {} };
}

