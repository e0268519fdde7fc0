// Ingest benchmark of the real sync server: starts the vitrine-server binary on a free loopback
// port with a temporary database, drives POST /v1/batch over N keep-alive HTTP/1.1 connections
// (one client thread per connection, closed loop) with pre-serialized protobuf batches of 50
// valid events with unique ids, for a bounded time, then stops the server and removes the
// database.
//
// events_per_s counts events acked with 200 during the measured window (after a short warm-up);
// p99_ms is the 99th percentile of request latency (send to full response) over that window.
// On failure (binary missing, server not ready in 30 s) both are 0 and the reason goes to stderr.
//
// Thread safety: runs its own threads; not meant to run concurrently with itself.
#ifndef VITRINE_BENCH_INGEST_BENCH_H_
#define VITRINE_BENCH_INGEST_BENCH_H_

#include <cstddef>
#include <string>

struct IngestBenchResult {
  double events_per_s;
  double p99_ms;
  size_t connections;
  // CPU used during the measured window, in cores (1.0 = one core busy all the time): the server
  // process and this benchmark's client threads. On a shared machine, server_cores tells whether
  // the server was starved, and server CPU per event is a steadier figure than the rate.
  double server_cores = 0;
  double client_cores = 0;
};

IngestBenchResult RunIngestBench(const std::string& server_bin, size_t connections, double seconds);

#endif  // VITRINE_BENCH_INGEST_BENCH_H_
