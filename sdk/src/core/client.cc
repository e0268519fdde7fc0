#include <chrono>
#include <filesystem>
#include <future>
#include <optional>

#include "sdk/src/core/client_impl.h"
#include "sdk/src/core/event_builder.h"
#include "vitrine/v1/snapshot.pb.h"
#if !defined(VITRINE_WIRE_STRUCTS)  // protobuf-lite (native); see Track()
#include <google/protobuf/arena.h>
#endif

namespace vitrine {
namespace {

// Keys of the durable key-value state.
constexpr char kAnonymousIdKey[] = "anonymous_id";
constexpr char kIdentityBitsKey[] = "event_id_bits";
constexpr char kUserIdKey[] = "user_id";
constexpr char kConsentKey[] = "consent";
constexpr char kSessionIndexKey[] = "session_index";
constexpr char kLastActivityKey[] = "last_activity_ms";
constexpr char kNextSeqKey[] = "next_seq";
constexpr char kSnapshotKey[] = "snapshot";
constexpr char kSnapshotEtagKey[] = "snapshot_etag";
constexpr char kRecommenderKey[] = "recommender_state";
constexpr char kMessagesKey[] = "message_state";

constexpr int kEvictEveryTicks = 20;
constexpr int64_t kAgeEvictionPeriodMs = 3600 * 1000;
constexpr int kMaxSendRoundsPerTask = 1000;

// A stored counter: `fallback` when absent or not a whole decimal number in int64 range. By
// hand: stoll throws and reads the locale, and from_chars' int64 instantiation is ~0.9 KB of
// the browser module.
int64_t ParseInt(const std::optional<std::string>& s, int64_t fallback) {
  if (!s) return fallback;
  std::string_view digits = *s;
  const bool negative = !digits.empty() && digits.front() == '-';
  if (negative) digits.remove_prefix(1);
  if (digits.empty() || digits.size() > 19) return fallback;  // 19 digits cannot overflow
  uint64_t value = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') return fallback;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  const uint64_t limit = negative ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
  if (value > limit) return fallback;
  return negative ? static_cast<int64_t>(0 - value) : static_cast<int64_t>(value);
}

std::string Hex(const std::string& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

// 16 bytes as RFC 9562 text: 8-4-4-4-12 lower-case hex digits.
std::string UuidText(const std::string& bytes) {
  std::string text = Hex(bytes);
  for (const size_t at : {20u, 16u, 12u, 8u}) text.insert(at, 1, '-');
  return text;
}

}  // namespace

Client::Impl::Impl(const Options& options)
    : options_(options),
      recommender_(),
      send_backoff_(options.backoff_initial_ms, options.backoff_max_ms,
                    options.random_seed ? options.random_seed + 1 : std::random_device{}()),
      snapshot_backoff_(options.backoff_initial_ms, options.backoff_max_ms,
                        options.random_seed ? options.random_seed + 2 : std::random_device{}()) {
  if (options.random_seed != 0) {
    rng_.seed(options.random_seed);
  } else {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
    rng_.seed(seq);
  }
  // The platform RNG (crypto.getRandomValues under Emscripten), even with a fixed random_seed:
  // two opens with the same seed must still mint different event ids.
  std::random_device rd;
  open_bits_ = (static_cast<uint64_t>(rd()) << 32) ^ static_cast<uint64_t>(rd());
}

StatusOr<std::unique_ptr<Client::Impl>> Client::Impl::Open(const Options& options) {
  if (options.data_dir.empty()) {
    return Status(StatusCode::kInvalidArgument, "Options.data_dir is required");
  }
  if (options.server_url.rfind("http://", 0) != 0 && options.server_url.rfind("https://", 0) != 0) {
    return Status(StatusCode::kInvalidArgument,
                  "Options.server_url must start with http:// or https://");
  }
  if (options.write_key.empty()) {
    return Status(StatusCode::kInvalidArgument, "Options.write_key is required");
  }
  if (options.max_batch_events == 0 || options.journal_bytes < 64 * 1024) {
    return Status(StatusCode::kInvalidArgument,
                  "max_batch_events must be > 0 and journal_bytes >= 64 KiB");
  }
  std::unique_ptr<Impl> impl(new Impl(options));
  if (Status s = impl->Init(); !s.ok()) return s;
  return impl;
}

Status Client::Impl::Init() {
#ifndef __EMSCRIPTEN__
  // The browser build keeps data_dir as a key into its in-memory/IndexedDB storage, not a
  // folder: skipping this lets the module link without Emscripten's filesystem (-sFILESYSTEM=0,
  // about 11 KB of brotli'd JS glue).
  std::error_code ec;
  std::filesystem::create_directories(options_.data_dir, ec);
  if (ec) {
    return Status(StatusCode::kStorageError,
                  "cannot create data_dir " + options_.data_dir + ": " + ec.message());
  }
#endif
  clock_ = options_.clock;
  if (!clock_) {
    owned_clock_ = NewSystemClock();
    clock_ = owned_clock_.get();
  }
  http_ = options_.http;
  if (!http_) {
    owned_http_ = NewDefaultHttpExecutor(options_.ca_file);
    http_ = owned_http_.get();
  }
  messages_ = std::make_unique<internal::MessageEngine>(*clock_);

  auto store = internal::OpenSqliteStore(options_.data_dir + "/queue.db");
  if (!store.ok()) return store.status();
  store_ = std::move(store).value();
  auto journal = internal::OpenMmapJournal(options_.data_dir, options_.journal_bytes);
  if (!journal.ok()) return journal.status();
  journal_ = std::move(journal).value();

  // Events a killed process left in the journal: into the queue (ids already there are ignored).
  auto leftover = journal_->ReadAll();
  if (!leftover.ok()) return leftover.status();
  if (!leftover->empty()) {
    if (auto inserted = store_->Insert(*leftover); !inserted.ok()) return inserted.status();
  }
  if (Status s = journal_->Purge(); !s.ok()) return s;

  auto get = [&](const char* key) -> std::optional<std::string> {
    auto v = store_->Get(key);
    return v.ok() ? *v : std::nullopt;
  };
  auto stats = store_->Stats();
  if (!stats.ok()) return stats.status();

  anonymous_id_ = get(kAnonymousIdKey).value_or("");
  identity_bits_ = static_cast<uint64_t>(ParseInt(get(kIdentityBitsKey), 0));
  if (anonymous_id_.empty() || identity_bits_ == 0) {
    if (Status s = NewIdentityLocked(); !s.ok()) return s;
  }
  user_id_ = get(kUserIdKey).value_or("");
  consent_granted_ = get(kConsentKey).value_or("granted") != "denied";
  session_index_ = static_cast<uint64_t>(ParseInt(get(kSessionIndexKey), 0));
  last_activity_ms_ = std::max(ParseInt(get(kLastActivityKey), 0), stats->max_occurred_at_ms);
  next_seq_ =
      std::max<uint64_t>(static_cast<uint64_t>(ParseInt(get(kNextSeqKey), 1)), stats->max_seq + 1);
  durable_next_seq_ = next_seq_;
  if (auto blob = get(kRecommenderKey)) (void)recommender_.RestoreDurableState(*blob);
  if (auto blob = get(kMessagesKey)) (void)messages_->RestoreState(*blob);
  if (auto snapshot = get(kSnapshotKey)) {
    ApplySnapshot(*snapshot);
    snapshot_etag_ = get(kSnapshotEtagKey).value_or("");
  }

  internal::SyncConfig config;
  config.server_url = options_.server_url;
  while (!config.server_url.empty() && config.server_url.back() == '/')
    config.server_url.pop_back();
  config.write_key = options_.write_key;
  config.max_batch_events = options_.max_batch_events;
  config.max_batch_bytes = options_.max_batch_bytes;
  config.request_timeout_ms = options_.request_timeout_ms;
  config.compress = options_.compress;
  config.app_version = options_.app_version;
  sync_ = std::make_unique<internal::SyncEngine>(config, *store_, *http_, *clock_);

  scheduler_ = options_.scheduler;
  if (!scheduler_) {
    owned_scheduler_ = NewThreadScheduler(*clock_);
    scheduler_ = owned_scheduler_.get();
  }
  SchedulePersist();
  ScheduleSend(0);
  ScheduleSnapshot(0);
  ScheduleMessageCheck();
  return Status::Ok();
}

Client::Impl::~Impl() {
  {
    std::lock_guard<std::mutex> lock(http_gate_->mu);
    http_gate_->open = false;
  }
  {
    std::lock_guard<std::mutex> lock(*task_mu_);
    *alive_ = false;
  }
  if (owned_scheduler_) owned_scheduler_->Shutdown();
  if (store_ && journal_) {
    (void)PersistJournal();
    PersistDurableState();
  }
}

void Client::Impl::Post(std::function<void()> task, int64_t delay_ms) {
  scheduler_->Schedule(
      [alive = alive_, mu = task_mu_, task = std::move(task)] {
        std::lock_guard<std::mutex> lock(*mu);
        if (*alive) task();
      },
      delay_ms);
}

Status Client::Impl::NewIdentityLocked() {
  // A random version-4 UUID for the anonymous id, and fresh random bits for event ids.
  std::string bytes(16, '\0');
  const uint64_t a = rng_();
  const uint64_t b = rng_();
  for (int i = 0; i < 8; ++i) {
    bytes[static_cast<size_t>(i)] = static_cast<char>(a >> (8 * i));
    bytes[static_cast<size_t>(i + 8)] = static_cast<char>(b >> (8 * i));
  }
  bytes[6] = static_cast<char>((bytes[6] & 0x0f) | 0x40);
  bytes[8] = static_cast<char>((bytes[8] & 0x3f) | 0x80);
  anonymous_id_ = UuidText(bytes);
  do {
    identity_bits_ = rng_();
  } while (identity_bits_ == 0);
  if (Status s = store_->Put(kAnonymousIdKey, anonymous_id_); !s.ok()) return s;
  return store_->Put(kIdentityBitsKey, std::to_string(static_cast<int64_t>(identity_bits_)));
}

Status Client::Impl::Capture(v1::Event& event, bool bypass_consent, std::string* event_id) {
  bool new_session = false;
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    if (!consent_granted_ && !bypass_consent) {
      return Status(StatusCode::kConsentDenied, "capture is off: the user opted out");
    }
    const int64_t now = clock_->NowMs();
    if (last_activity_ms_ == 0 || now - last_activity_ms_ > options_.session_timeout_ms) {
      ++session_index_;
      new_session = true;
    }
    if (new_session || session_id_.empty()) {
      session_id_ = anonymous_id_ + "/" + std::to_string(session_index_);
    }
    last_activity_ms_ = now;
    const uint64_t seq = next_seq_++;
    event.set_event_id(internal::MakeEventId(identity_bits_ ^ open_bits_, seq));
    event.set_occurred_at_ms(now);
    event.set_seq(seq);
    event.set_session_id(session_id_);
    event.set_anonymous_id(anonymous_id_);
    event.set_user_id(user_id_);
    event.set_consent(consent_granted_ ? v1::CONSENT_STATE_GRANTED : v1::CONSENT_STATE_DENIED);

    // Reused per thread: its strings keep their capacity, so no allocation per event.
    thread_local internal::QueuedEvent queued;
    queued.event_id = event.event_id();
    queued.seq = event.seq();
    queued.occurred_at_ms = now;
    queued.priority = internal::PriorityOf(event.type());
    if (!event.SerializeToString(&queued.payload)) {
      return Status(StatusCode::kInternal, "event serialization failed");
    }
    Status appended = journal_->Append(queued);
    if (appended.code() == StatusCode::kStorageFull) {
      // The journal segment is full: persist it now on this thread, then try once more.
      if (Status persisted = PersistJournal(); !persisted.ok()) return persisted;
      appended = journal_->Append(queued);
    }
    if (!appended.ok()) return appended;
    if (new_session) {
      (void)store_->Put(kSessionIndexKey, std::to_string(session_index_));
    }
  }
  if (new_session) recommender_.NewSession();
  SchedulePersist();
  if (send_idle_.exchange(false)) ScheduleSend(options_.flush_interval_ms);
  recommender_.OnEvent(event);
  messages_->OnEvent(event);
  ScheduleMessageCheck();
  tracked_.fetch_add(1, std::memory_order_relaxed);
  if (event_id != nullptr) *event_id = UuidText(event.event_id());
  return Status::Ok();
}

Status Client::Impl::Track(const EventSpec& spec, std::string* event_id) {
  if (spec.type == "identify" || spec.type == "consent_updated" ||
      spec.type == "deletion_requested") {
    return Status(StatusCode::kInvalidArgument,
                  spec.type + " is sent by Identify / SetConsent / RequestDeletion, not Track");
  }
#if defined(VITRINE_WIRE_STRUCTS)
  // The browser build's plain structs (proto/structs): no arena there.
  v1::Event event_storage;
  v1::Event* event = &event_storage;
#else
  // The event lives only for this call: allocate it in an arena whose first block is on the
  // stack, so a typical event costs no heap allocation at all.
  alignas(16) char initial_block[4096];
  google::protobuf::ArenaOptions arena_options;
  arena_options.initial_block = initial_block;
  arena_options.initial_block_size = sizeof(initial_block);
  google::protobuf::Arena arena(arena_options);
  auto* event = google::protobuf::Arena::CreateMessage<v1::Event>(&arena);
#endif
  if (Status s = internal::BuildEvent(spec, *event); !s.ok()) return s;
  return Capture(*event, /*bypass_consent=*/false, event_id);
}

Status Client::Impl::Identify(const std::string& user_id,
                              const std::map<std::string, std::string>& traits) {
  if (user_id.empty()) return Status(StatusCode::kInvalidArgument, "user_id is required");
  if (user_id.size() > 256) return Status(StatusCode::kInvalidArgument, "user_id is too long");
  EventSpec spec;
  spec.type = "account_created";  // validated with the same rules as traits of any event
  spec.traits = traits;
  v1::Event event;
  if (Status s = internal::BuildEvent(spec, event); !s.ok()) return s;
  event.set_type("identify");
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    if (!consent_granted_) {
      return Status(StatusCode::kConsentDenied, "capture is off: the user opted out");
    }
    user_id_ = user_id;
    if (Status s = store_->Put(kUserIdKey, user_id); !s.ok()) return s;
  }
  if (Status s = Capture(event, false); !s.ok()) return s;
  ScheduleSnapshot(0);
  return Status::Ok();
}

Status Client::Impl::Reset() {
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    if (Status s = NewIdentityLocked(); !s.ok()) return s;
    user_id_.clear();
    last_activity_ms_ = 0;  // the next event starts a new session
    if (Status s = store_->Delete(kUserIdKey); !s.ok()) return s;
  }
  recommender_.Clear();
  messages_->Clear();
  {
    std::lock_guard<std::mutex> lock(messages_mu_);
    pending_messages_.clear();
  }
  for (const char* key : {kSnapshotKey, kSnapshotEtagKey, kRecommenderKey, kMessagesKey}) {
    (void)store_->Delete(key);
  }
  Post([this] { snapshot_etag_.clear(); }, 0);
  ScheduleSnapshot(0);
  return Status::Ok();
}

Status Client::Impl::PurgeLocal() {
  std::lock_guard<std::mutex> lock(persist_mu_);
  sealed_pending_.clear();
  sealed_outstanding_ = false;
  if (Status s = journal_->Purge(); !s.ok()) return s;
  return store_->PurgeQueue();
}

Status Client::Impl::SetConsent(bool granted) {
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    consent_granted_ = granted;
    if (Status s = store_->Put(kConsentKey, granted ? "granted" : "denied"); !s.ok()) return s;
  }
  if (!granted) {
    if (Status s = PurgeLocal(); !s.ok()) return s;
  }
  // The change itself is recorded so the server applies it to the profile; it is the one event
  // captured while opted out.
  v1::Event event;
  event.set_type("consent_updated");
  (*event.mutable_properties())["granted"] = granted ? "true" : "false";
  return Capture(event, /*bypass_consent=*/true);
}

Status Client::Impl::RequestDeletion() {
  if (Status s = PurgeLocal(); !s.ok()) return s;
  v1::Event event;
  event.set_type("deletion_requested");
  if (Status s = Capture(event, /*bypass_consent=*/true); !s.ok()) return s;
  if (Status s = Reset(); !s.ok()) return s;
  ScheduleSend(0);
  return Status::Ok();
}

Status Client::Impl::PersistJournal() {
  std::lock_guard<std::mutex> lock(persist_mu_);
  if (!sealed_outstanding_) {
    auto sealed = journal_->Seal();
    if (!sealed.ok()) return sealed.status();
    sealed_pending_ = std::move(sealed).value();
    sealed_outstanding_ = true;
  }
  if (!sealed_pending_.empty()) {
    // Kept in memory and on disk (sealed segment) until the store commits them.
    if (auto inserted = store_->Insert(sealed_pending_); !inserted.ok()) {
      std::lock_guard<std::mutex> err(error_mu_);
      last_error_ = inserted.status().ToString();
      return inserted.status();
    }
    // Record the high-water seq before these events can be sent and deleted: event ids are
    // derived from seq, so a restart that reused a sent seq would mint an id the server already
    // holds and the new event would be dropped as a duplicate.
    uint64_t max_seq = 0;
    for (const auto& e : sealed_pending_) max_seq = std::max(max_seq, e.seq);
    if (max_seq + 1 > durable_next_seq_) {
      if (Status s = store_->Put(kNextSeqKey, std::to_string(max_seq + 1)); !s.ok()) return s;
      durable_next_seq_ = max_seq + 1;
    }
  }
  if (Status s = journal_->ClearSealed(); !s.ok()) return s;
  sealed_pending_.clear();
  sealed_outstanding_ = false;
  return Status::Ok();
}

void Client::Impl::PersistDurableState() {
  const uint64_t tracked = tracked_.load();
  if (tracked == tracked_at_last_state_save_) return;
  tracked_at_last_state_save_ = tracked;
  std::string last_activity;
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    last_activity = std::to_string(last_activity_ms_);
  }
  (void)store_->Put(kLastActivityKey, last_activity);
  (void)store_->Put(kRecommenderKey, recommender_.SerializeDurableState());
  (void)store_->Put(kMessagesKey, messages_->SerializeState());
}

void Client::Impl::SchedulePersist() {
  if (!persist_scheduled_.exchange(true)) {
    Post([this] { PersistTick(); }, options_.persist_interval_ms);
  }
}

void Client::Impl::PersistTick() {
  persist_scheduled_ = false;
  if (!PersistJournal().ok()) SchedulePersist();  // retry while the store refuses
  PersistDurableState();
  // Bounds: the byte bound is checked against the store's in-memory total; the age rule scans
  // the table, so it runs at most once per kAgeEvictionPeriodMs.
  if (++persist_ticks_ % kEvictEveryTicks == 0) {
    const int64_t now = clock_->NowMs();
    auto stats = store_->Stats();
    const bool over_bytes = stats.ok() && stats->bytes > options_.max_queue_bytes;
    if (over_bytes || now - last_age_eviction_ms_ >= kAgeEvictionPeriodMs) {
      last_age_eviction_ms_ = now;
      auto dropped = store_->Evict(options_.max_queue_bytes, now - options_.max_event_age_ms);
      if (dropped.ok()) evicted_ += *dropped;
    }
  }
}

void Client::Impl::ScheduleSend(int64_t delay_ms) {
  const uint64_t token = ++send_token_;
  next_send_at_ms_ = clock_->NowMs() + delay_ms;
  Post([this, token] { SendTask(token); }, delay_ms);
}

void Client::Impl::SendTask(uint64_t token) {
  if (token != send_token_.load()) return;  // superseded by a later schedule
  SendRound(nullptr);
}

void Client::Impl::ExecuteHttp(const HttpRequest& request,
                               std::function<void(HttpResponse)> on_response) {
  // A synchronous executor calls back before ExecuteAsync returns: continue inline, exactly as
  // the blocking Execute did. A later answer continues as a scheduler task, unless the Client
  // closed meanwhile (the gate), so nothing runs against a destroyed Client.
  struct Call {
    std::mutex mu;
    bool returned = false;
    std::optional<HttpResponse> inline_response;
  };
  auto call = std::make_shared<Call>();
  auto next = std::make_shared<std::function<void(HttpResponse)>>(std::move(on_response));
  http_->ExecuteAsync(request, [this, call, next, gate = http_gate_](HttpResponse response) {
    {
      std::lock_guard<std::mutex> lock(call->mu);
      if (!call->returned) {
        call->inline_response = std::move(response);
        return;
      }
    }
    std::lock_guard<std::mutex> lock(gate->mu);
    if (!gate->open) return;
    Post([next, r = std::move(response)]() mutable { (*next)(std::move(r)); }, 0);
  });
  std::optional<HttpResponse> answered;
  {
    std::lock_guard<std::mutex> lock(call->mu);
    call->returned = true;
    answered.swap(call->inline_response);
  }
  if (answered) (*next)(std::move(*answered));
}

void Client::Impl::SendRound(std::function<void(Status)> done) {
  auto finish = [&done](Status s) {
    if (done) done(std::move(s));
  };
  if (send_in_flight_) {
    // A request is out (asynchronous executor); its continuation schedules the next turn.
    return finish(Status(StatusCode::kUnavailable, "a send is already in flight"));
  }
  const int64_t now = clock_->NowMs();
  if (now < retry_after_until_ms_) {
    ScheduleSend(retry_after_until_ms_ - now);
    return finish(Status(
        StatusCode::kRateLimited,
        "the server asked to retry after " + std::to_string(retry_after_until_ms_ - now) + " ms"));
  }
  if (Status persisted = PersistJournal(); !persisted.ok()) {
    ScheduleSend(send_backoff_.NextDelayMs(0));
    return finish(persisted);
  }
  SendNext(0, std::move(done));
}

void Client::Impl::SendNext(int round, std::function<void(Status)> done) {
  // Synchronous executors recurse here once per batch; kMaxSendRoundsPerTask bounds the depth
  // as it bounded the loop this replaced.
  if (round >= kMaxSendRoundsPerTask) {
    ScheduleSend(options_.flush_interval_ms);
    if (done) done(Status::Ok());
    return;
  }
  internal::PreparedSend prepared = sync_->PrepareSend();
  if (!prepared.has_request) return OnSendResult(round, std::move(prepared.result), done);
  send_in_flight_ = true;
  const HttpRequest request = std::move(prepared.request);
  auto shared = std::make_shared<internal::PreparedSend>(std::move(prepared));
  ExecuteHttp(request, [this, round, shared, done = std::move(done)](HttpResponse response) {
    send_in_flight_ = false;
    OnSendResult(round, sync_->CompleteSend(std::move(*shared), response), done);
  });
}

void Client::Impl::OnSendResult(int round, internal::SendResult r,
                                const std::function<void(Status)>& done) {
  if (r.outcome == internal::SendOutcome::kIdle) {
    // Nothing queued: sleep until the next capture re-arms the timer.
    ++send_token_;
    next_send_at_ms_ = 0;
    send_idle_ = true;
    if (done) done(Status::Ok());
    return;
  }
  ++send_attempts_;
  rejected_ += r.dead_lettered;
  if (r.outcome == internal::SendOutcome::kRetry) {
    ++send_failures_;
    {
      std::lock_guard<std::mutex> err(error_mu_);
      last_error_ = r.status.ToString();
    }
    last_retry_after_ms_ = r.retry_after_ms;
    retry_after_until_ms_ = clock_->NowMs() + r.retry_after_ms;
    ScheduleSend(send_backoff_.NextDelayMs(r.retry_after_ms));
    if (done) {
      done(r.status.ok() ? Status(StatusCode::kUnavailable, "send failed; will retry") : r.status);
    }
    return;
  }
  send_backoff_.Reset();
  if (r.outcome == internal::SendOutcome::kAcked) acked_ += r.acked;
  if (r.outcome == internal::SendOutcome::kRejected) {
    std::lock_guard<std::mutex> err(error_mu_);
    last_error_ = r.status.ToString();
  }
  if (!r.more_pending) {
    ScheduleSend(options_.flush_interval_ms);  // one more turn finds the queue empty and idles
    if (done) done(Status::Ok());
    return;
  }
  SendNext(round + 1, done);
}

void Client::Impl::ScheduleSnapshot(int64_t delay_ms) {
  const uint64_t token = ++snapshot_token_;
  Post([this, token] { SnapshotTask(token); }, delay_ms);
}

void Client::Impl::SnapshotTask(uint64_t token, std::function<void()> done) {
  if (token != snapshot_token_.load() || snapshot_in_flight_) {
    if (done) done();
    return;
  }
  std::string anonymous_id, user_id;
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    anonymous_id = anonymous_id_;
    user_id = user_id_;
  }
  snapshot_in_flight_ = true;
  const std::string etag = snapshot_etag_;
  ExecuteHttp(sync_->SnapshotRequest(anonymous_id, user_id, etag),
              [this, etag, done = std::move(done)](HttpResponse response) {
                snapshot_in_flight_ = false;
                OnSnapshot(sync_->CompleteSnapshot(std::move(response), etag));
                if (done) done();
              });
}

void Client::Impl::OnSnapshot(const internal::SnapshotResult& r) {
  if (!r.status.ok()) {
    ScheduleSnapshot(snapshot_backoff_.NextDelayMs(0));
    return;
  }
  snapshot_backoff_.Reset();
  int64_t ttl_ms = options_.default_snapshot_ttl_ms;
  if (!r.not_modified) {
    v1::Snapshot snapshot;
    if (!snapshot.ParseFromString(r.snapshot_bytes)) {
      ScheduleSnapshot(snapshot_backoff_.NextDelayMs(0));
      return;
    }
    if (snapshot.ttl_seconds() > 0) ttl_ms = int64_t{snapshot.ttl_seconds()} * 1000;
    ApplySnapshot(r.snapshot_bytes);
    snapshot_etag_ = r.etag;
    (void)store_->Put(kSnapshotKey, r.snapshot_bytes);
    (void)store_->Put(kSnapshotEtagKey, r.etag);
  }
  ScheduleSnapshot(ttl_ms);
}

void Client::Impl::ApplySnapshot(const std::string& bytes) {
  v1::Snapshot snapshot;
  if (!snapshot.ParseFromString(bytes)) return;
  recommender_.SetSnapshot(snapshot);
  messages_->SetSnapshot(snapshot);
  if (scheduler_) ScheduleMessageCheck();
}

void Client::Impl::ScheduleMessageCheck() {
  if (!scheduler_) return;
  const int64_t due = messages_->NextDueMs();
  if (due < 0) return;
  int64_t current = next_message_check_ms_.load();
  while (current < 0 || due < current) {
    if (next_message_check_ms_.compare_exchange_weak(current, due)) {
      Post([this] { MessageTask(); }, std::max<int64_t>(0, due - clock_->NowMs()));
      return;
    }
  }
}

void Client::Impl::MessageTask() {
  next_message_check_ms_ = -1;
  std::vector<v1::InAppMessage> due = messages_->TakeDue();
  if (!due.empty()) {
    (void)store_->Put(kMessagesKey, messages_->SerializeState());  // caps survive a restart
  }
  for (const auto& m : due) {
    InAppMessageView view;
    view.message_id = m.id();
    view.layout = m.content().layout();
    view.title = m.content().title();
    view.body = m.content().body();
    view.image_url = m.content().image_url();
    view.cta_label = m.content().cta_label();
    view.cta_url = m.content().cta_url();
    view.priority = m.priority();
    for (const auto& id : m.content().product_ids()) {
      if (auto item = recommender_.InStockItem(id)) view.products.push_back(*item);
    }
    std::function<void(const InAppMessageView&)> listener;
    {
      std::lock_guard<std::mutex> lock(messages_mu_);
      listener = listener_;
      if (!listener) pending_messages_.push_back(view);
    }
    if (listener) listener(view);
  }
  ScheduleMessageCheck();
}

Status Client::Impl::Flush() {
  if (!owned_scheduler_) {
    // Injected scheduler: the host (or test) runs the tasks.
    Post([this] { SendTask(send_token_.load()); }, 0);
    return Status::Ok();
  }
  auto done = std::make_shared<std::promise<Status>>();
  std::future<Status> result = done->get_future();
  Post(
      [this, done] {
        SendRound([this, done](Status sent) {
          if (!snapshot_etag_.empty()) return done->set_value(sent);
          SnapshotTask(snapshot_token_.load(), [done, sent] { done->set_value(sent); });
        });
      },
      0);
#if defined(__cpp_exceptions)
  try {
    return result.get();
  } catch (...) {
    return Status(StatusCode::kShutdown, "client closed during flush");
  }
#else
  return result.get();  // built without exceptions: the browser module never owns a scheduler
#endif
}

void Client::Impl::OnForeground() { ScheduleSnapshot(0); }

StatusOr<std::vector<Recommendation>> Client::Impl::Recommend(const std::string& placement,
                                                              const RecommendContext& context,
                                                              size_t n) {
  if (placement.empty()) return Status(StatusCode::kInvalidArgument, "placement is required");
  return recommender_.Recommend(placement, context, n);
}

void Client::Impl::SetMessageListener(std::function<void(const InAppMessageView&)> listener) {
  std::vector<InAppMessageView> backlog;
  {
    std::lock_guard<std::mutex> lock(messages_mu_);
    listener_ = std::move(listener);
    if (listener_) backlog.swap(pending_messages_);
  }
  for (const auto& m : backlog) listener_(m);
}

std::vector<InAppMessageView> Client::Impl::PendingMessages() {
  std::lock_guard<std::mutex> lock(messages_mu_);
  std::vector<InAppMessageView> out;
  out.swap(pending_messages_);
  return out;
}

ClientStats Client::Impl::Stats() const {
  ClientStats s;
  s.tracked = tracked_;
  s.acked = acked_;
  s.evicted = evicted_;
  s.rejected = rejected_;
  s.send_attempts = send_attempts_;
  s.send_failures = send_failures_;
  s.next_send_at_ms = next_send_at_ms_;
  s.last_retry_after_ms = last_retry_after_ms_;
  if (auto q = store_->Stats(); q.ok()) s.queued = q->count;
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    s.anonymous_id = anonymous_id_;
    s.user_id = user_id_;
    s.session_id = anonymous_id_ + "/" + std::to_string(session_index_);
  }
  if (auto etag = store_->Get(kSnapshotEtagKey); etag.ok() && *etag) s.snapshot_etag = **etag;
  std::lock_guard<std::mutex> err(error_mu_);
  s.last_error = last_error_;
  return s;
}

// --- Client: a thin shell that never lets an exception out ---

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::~Client() = default;

#if defined(__cpp_exceptions)
#define VITRINE_GUARD(expr)                                \
  try {                                                    \
    return expr;                                           \
  } catch (const std::exception& e) {                      \
    return Status(StatusCode::kInternal, e.what());        \
  } catch (...) {                                          \
    return Status(StatusCode::kInternal, "unknown error"); \
  }
// `statement`, and `on_exception` if it throws anything. Used as a statement: `...;`.
#define VITRINE_NOTHROW(statement, on_exception) \
  try {                                          \
    statement;                                   \
  } catch (...) {                                \
    on_exception;                                \
  }
#else
// Built without exceptions (the browser module, -fno-exceptions): nothing can be thrown, so
// there is nothing to catch, and no unwinding or catch-matching code is linked.
#define VITRINE_GUARD(expr) return expr;
#define VITRINE_NOTHROW(statement, on_exception) statement
#endif

StatusOr<std::unique_ptr<Client>> Client::Open(const Options& options) {
  auto open = [&options]() -> StatusOr<std::unique_ptr<Client>> {
    auto impl = Impl::Open(options);
    if (!impl.ok()) return impl.status();
    return std::unique_ptr<Client>(new Client(std::move(impl).value()));
  };
  VITRINE_GUARD(open());
}

Status Client::Track(const EventSpec& event) { VITRINE_GUARD(impl_->Track(event, nullptr)); }
Status Client::Track(const EventSpec& event, std::string* event_id) {
  VITRINE_GUARD(impl_->Track(event, event_id));
}

namespace {
EventSpec Spec(std::string type) {
  EventSpec spec;
  spec.type = std::move(type);
  return spec;
}
EventSpec WithProduct(std::string type, const Product& p) {
  EventSpec spec = Spec(std::move(type));
  spec.products.push_back(p);
  return spec;
}
EventSpec WithOrder(std::string type, const Order& o) {
  EventSpec spec = Spec(std::move(type));
  spec.order = o;
  return spec;
}
}  // namespace

Status Client::PageViewed(const std::string& url, const std::string& referrer) {
  EventSpec spec = Spec("page_viewed");
  spec.page_url = url;
  spec.referrer = referrer;
  return Track(spec);
}
Status Client::ProductListViewed(const std::string& list_id, const std::string& list_name,
                                 const std::vector<Product>& products) {
  EventSpec spec = Spec("product_list_viewed");
  spec.list_id = list_id;
  spec.list_name = list_name;
  spec.products = products;
  return Track(spec);
}
Status Client::ProductClicked(const Product& product, const std::string& list_id) {
  EventSpec spec = WithProduct("product_clicked", product);
  spec.list_id = list_id;
  return Track(spec);
}
Status Client::ProductViewed(const Product& p) { return Track(WithProduct("product_viewed", p)); }
Status Client::SearchSubmitted(const std::string& query) {
  EventSpec spec = Spec("search_submitted");
  spec.query = query;
  return Track(spec);
}
Status Client::ProductAddedToWishlist(const Product& p) {
  return Track(WithProduct("product_added_to_wishlist", p));
}
Status Client::ProductRemovedFromWishlist(const Product& p) {
  return Track(WithProduct("product_removed_from_wishlist", p));
}
Status Client::ProductAddedToCart(const Product& p) {
  return Track(WithProduct("product_added_to_cart", p));
}
Status Client::ProductRemovedFromCart(const Product& p) {
  return Track(WithProduct("product_removed_from_cart", p));
}
Status Client::CartViewed(const std::vector<Product>& products) {
  EventSpec spec = Spec("cart_viewed");
  spec.products = products;
  return Track(spec);
}
Status Client::CheckoutStarted(const std::vector<Product>& products) {
  EventSpec spec = Spec("checkout_started");
  spec.products = products;
  return Track(spec);
}
Status Client::CheckoutStepCompleted(int32_t step) {
  EventSpec spec = Spec("checkout_step_completed");
  spec.checkout_step = step;
  return Track(spec);
}
Status Client::OrderCompleted(const Order& o) { return Track(WithOrder("order_completed", o)); }
Status Client::OrderRefunded(const Order& o) { return Track(WithOrder("order_refunded", o)); }
Status Client::OrderCancelled(const Order& o) { return Track(WithOrder("order_cancelled", o)); }
Status Client::PromotionViewed(const std::string& id) {
  EventSpec spec = Spec("promotion_viewed");
  spec.promotion_id = id;
  return Track(spec);
}
Status Client::PromotionClicked(const std::string& id) {
  EventSpec spec = Spec("promotion_clicked");
  spec.promotion_id = id;
  return Track(spec);
}
Status Client::UserSignedIn(const std::string& user_id) {
  EventSpec spec = Spec("user_signed_in");
  spec.properties["user_id"] = user_id;
  return Track(spec);
}
Status Client::UserSignedOut() { return Track(Spec("user_signed_out")); }
Status Client::AccountCreated(const std::string& user_id,
                              const std::map<std::string, std::string>& traits) {
  EventSpec spec = Spec("account_created");
  spec.traits = traits;
  spec.properties["user_id"] = user_id;
  return Track(spec);
}
Status Client::RecommendationViewed(const std::string& placement,
                                    const std::vector<std::string>& product_ids) {
  EventSpec spec = Spec("recommendation_viewed");
  spec.placement = placement;
  std::string joined;
  for (const auto& id : product_ids) {
    if (!joined.empty()) joined += ',';
    joined += id;
  }
  spec.properties["product_ids"] = joined.substr(0, 1024);
  return Track(spec);
}
Status Client::RecommendationClicked(const std::string& placement, const Product& product) {
  EventSpec spec = WithProduct("recommendation_clicked", product);
  spec.placement = placement;
  return Track(spec);
}
Status Client::Identify(const std::string& user_id,
                        const std::map<std::string, std::string>& traits) {
  VITRINE_GUARD(impl_->Identify(user_id, traits));
}
Status Client::Reset() { VITRINE_GUARD(impl_->Reset()); }
Status Client::SetConsent(bool granted) { VITRINE_GUARD(impl_->SetConsent(granted)); }
Status Client::RequestDeletion() { VITRINE_GUARD(impl_->RequestDeletion()); }
Status Client::Flush() { VITRINE_GUARD(impl_->Flush()); }
void Client::OnForeground() { VITRINE_NOTHROW(impl_->OnForeground(), ); }
StatusOr<std::vector<Recommendation>> Client::Recommend(const std::string& placement,
                                                        const RecommendContext& context, size_t n) {
  VITRINE_GUARD(impl_->Recommend(placement, context, n));
}
void Client::SetMessageListener(std::function<void(const InAppMessageView&)> listener) {
  VITRINE_NOTHROW(impl_->SetMessageListener(std::move(listener)), );
}
std::vector<InAppMessageView> Client::PendingMessages() {
  VITRINE_NOTHROW(return impl_->PendingMessages(), return {});
}
Status Client::MessageViewed(const std::string& id) {
  EventSpec spec = Spec("in_app_message_viewed");
  spec.message_id = id;
  return Track(spec);
}
Status Client::MessageClicked(const std::string& id) {
  EventSpec spec = Spec("in_app_message_clicked");
  spec.message_id = id;
  return Track(spec);
}
Status Client::MessageDismissed(const std::string& id) {
  EventSpec spec = Spec("in_app_message_dismissed");
  spec.message_id = id;
  return Track(spec);
}
ClientStats Client::Stats() const { VITRINE_NOTHROW(return impl_->Stats(), return {}); }

}  // namespace vitrine
