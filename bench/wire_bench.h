// Wire-size benchmark of event sync: what one captured event costs on the network. Builds 20
// devices' worth of realistic traffic, 500 events each (page views, product views with lines
// drawn from a 2,000-item catalog, cart adds, one order per ~50 events; v4 UUID event ids, a real
// anonymous id and sessions per device, increasing timestamps), converts each event with the
// SDK's capture code (BuildEvent), and sends every device's queue as one batch through
// SyncEngine::SendOnce with gzip on, into an executor that only records the request body and
// acks. So the bytes counted are exactly what the SDK would put on the wire.
//
// Thread safety: runs on the caller's thread; not meant to run concurrently with itself.
#ifndef VITRINE_BENCH_WIRE_BENCH_H_
#define VITRINE_BENCH_WIRE_BENCH_H_

// gzip-compressed request body bytes per event (POST /v1/batch, 500-event batches); 0 when a
// step failed (the reason is printed to stderr). Deterministic: same number on every run.
double RunWireBytesPerEventBench();

#endif  // VITRINE_BENCH_WIRE_BENCH_H_
