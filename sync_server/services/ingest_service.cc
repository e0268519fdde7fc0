#include "sync_server/services/ingest_service.h"

#include <cstring>
#include <future>
#include <random>
#include <unordered_set>
#include <utility>

namespace vitrine::server {
namespace {

std::string AnonKey(const std::string& anonymous_id) { return "a:" + anonymous_id; }
std::string UserKey(const std::string& user_id) { return "u:" + user_id; }

Status ShuttingDown() {
  return Status(Status::Kind::kUnavailable, "shutting_down", "the server is shutting down");
}

}  // namespace

IngestService::IngestService(Store* store, RecoModel* model, IngestOptions options, Clock clock)
    : store_(store), model_(model), options_(options), clock_(std::move(clock)) {}

IngestService::~IngestService() { Stop(); }

Status IngestService::LoadGraph() {
  auto rows = store_->LoadIdentityGraph();
  if (!rows.ok()) return rows.status();
  anon_to_profile_.clear();
  user_to_profile_.clear();
  profiles_.clear();
  tombstones_.clear();
  next_profile_id_ = 1;
  for (const auto& p : rows->profiles) {
    profiles_[p.profile_id].user_id = p.user_id;
    if (!p.user_id.empty()) user_to_profile_[p.user_id] = p.profile_id;
    next_profile_id_ = std::max(next_profile_id_, p.profile_id + 1);
  }
  for (const auto& l : rows->links) {
    anon_to_profile_[l.anonymous_id] = l.profile_id;
    profiles_[l.profile_id].anonymous_ids.push_back(l.anonymous_id);
  }
  for (const auto& t : rows->tombstones) tombstones_[t.key] = t.deleted_at_ms;
  return Status::Ok();
}

Status IngestService::Start() {
  Status s = LoadGraph();
  if (!s.ok()) return s;
  started_ = true;
  model_thread_ = std::thread([this] { ModelLoop(); });
  writer_ = std::thread([this] { WriterLoop(); });
  return Status::Ok();
}

void IngestService::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (writer_.joinable()) writer_.join();
  // The writer is gone: let the model thread finish what was committed, then end it.
  {
    std::lock_guard lock(model_mu_);
    model_stopping_ = true;
  }
  model_cv_.notify_all();
  if (model_thread_.joinable()) model_thread_.join();
  std::vector<Pending> left;
  {
    std::lock_guard lock(mu_);
    left.swap(queue_);
  }
  for (auto& p : left) p.done(ShuttingDown());
}

void IngestService::Submit(v1::Batch batch, Callback done) {
  Submit(std::move(batch), {}, std::move(done));
}

void IngestService::Submit(v1::Batch batch, std::vector<std::string> payloads, Callback done) {
  if (payloads.size() != static_cast<size_t>(batch.events_size())) payloads.clear();
  {
    std::lock_guard lock(mu_);
    if (!stopping_ && started_) {
      queue_.push_back({std::move(batch), std::move(done), std::move(payloads)});
      cv_.notify_one();
      return;
    }
  }
  done(ShuttingDown());
}

StatusOr<IngestResult> IngestService::Ingest(v1::Batch batch) {
  auto promise = std::make_shared<std::promise<StatusOr<IngestResult>>>();
  auto future = promise->get_future();
  Submit(std::move(batch),
         [promise](StatusOr<IngestResult> r) { promise->set_value(std::move(r)); });
  return future.get();
}

StatusOr<int64_t> IngestService::Identify(const std::string& anonymous_id,
                                          const std::string& user_id,
                                          const std::map<std::string, std::string>& traits) {
  v1::Batch batch;
  v1::Event* e = batch.add_events();
  // A random v4-style id; std::random_device (no library state left on the calling thread).
  std::string id(16, '\0');
  {
    std::random_device rd;
    for (size_t i = 0; i < 16; i += 4) {
      const uint32_t r = rd();
      std::memcpy(&id[i], &r, 4);
    }
    id[6] = static_cast<char>((id[6] & 0x0f) | 0x40);
    id[8] = static_cast<char>((id[8] & 0x3f) | 0x80);
  }
  e->set_event_id(id);
  e->set_type("identify");
  e->set_occurred_at_ms(clock_());
  e->set_anonymous_id(anonymous_id);
  e->set_user_id(user_id);
  for (const auto& [k, v] : traits) (*e->mutable_traits())[k] = v;
  auto result = Ingest(std::move(batch));
  if (!result.ok()) return result.status();
  auto profile = store_->FindProfileByUser(user_id);
  if (!profile.ok()) return profile.status();
  if (!profile->has_value()) {
    return Status(Status::Kind::kNotFound, "not_found", "user " + user_id + " was deleted");
  }
  return **profile;
}

void IngestService::WriterLoop() {
  std::vector<Pending> group;
  while (true) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      // Take whole batches until the transaction is big enough; the rest waits for the next one.
      size_t events = 0;
      size_t taken = 0;
      while (taken < queue_.size() &&
             (taken == 0 || events < options_.max_events_per_transaction)) {
        events += static_cast<size_t>(queue_[taken].batch.events_size());
        ++taken;
      }
      std::move(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(taken),
                std::back_inserter(group));
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(taken));
    }
    RunGroup(group);
    group.clear();  // a committed group was moved to the model thread; a failed one is freed
  }
}

void IngestService::RunGroup(std::vector<Pending>& group) {
  std::vector<IngestResult> results(group.size());
  std::vector<ModelAction> actions;
  Status status;
  {
    auto txn = store_->BeginWrite();
    if (!txn.ok()) {
      status = txn.status();
    } else {
      for (size_t i = 0; i < group.size() && status.ok(); ++i) {
        const v1::Batch& batch = group[i].batch;
        IngestResult& result = results[i];
        result.acked_event_ids.reserve(static_cast<size_t>(batch.events_size()));
        const auto& payloads = group[i].payloads;
        for (int k = 0; k < batch.events_size(); ++k) {
          const std::string* payload =
              payloads.empty() ? nullptr : &payloads[static_cast<size_t>(k)];
          status = ProcessEvent(**txn, batch.events(k), payload, result, actions);
          if (!status.ok()) break;
        }
      }
      if (status.ok()) status = (*txn)->Commit();
    }
    // The transaction (rolled back unless committed) closes here.
  }
  if (!status.ok()) {
    // The in-memory graph may hold changes that were rolled back: reload the durable one.
    Status reload = LoadGraph();
    (void)reload;
    for (auto& p : group) p.done(status);
    return;
  }
  // Ack first (the data is durable), then feed the model: the acks leave sooner, and snapshots
  // still see these events (Announce/Applied).
  const uint64_t ticket = model_->Announce();
  for (size_t i = 0; i < group.size(); ++i) {
    // Each id once: a batch may repeat an event (a client bug or a merged retry).
    auto& ids = results[i].acked_event_ids;
    if (ids.size() > 1) {
      std::unordered_set<std::string> seen;
      seen.reserve(ids.size());
      std::vector<std::string> unique;
      unique.reserve(ids.size());
      for (auto& id : ids) {
        if (seen.insert(id).second) unique.push_back(std::move(id));
      }
      ids = std::move(unique);
    }
    group[i].done(std::move(results[i]));
  }
  // `actions` point into the batches: they travel together (moving the vector keeps them put).
  HandToModel({std::move(group), std::move(actions), ticket});
}

void IngestService::HandToModel(ModelWork work) {
  {
    std::unique_lock lock(model_mu_);
    model_room_.wait(lock, [this] { return model_queue_.size() < options_.max_model_backlog; });
    model_queue_.push_back(std::move(work));
  }
  model_cv_.notify_one();
}

void IngestService::ModelLoop() {
  std::vector<ModelWork> work;
  while (true) {
    {
      std::unique_lock lock(model_mu_);
      model_cv_.wait(lock, [this] { return model_stopping_ || !model_queue_.empty(); });
      if (model_queue_.empty()) return;  // stopping, and everything committed was applied
      work.swap(model_queue_);
    }
    model_room_.notify_all();
    for (ModelWork& w : work) {
      for (const ModelAction& a : w.actions) {
        if (a.event) {
          model_->Observe(a.profile_id, *a.event);
        } else {
          model_->ForgetProfile(a.profile_id);
        }
      }
      model_->Applied(w.ticket);
    }
    // Freeing the batches here, not on the writer, is part of the point.
    work.clear();
  }
}

bool IngestService::Tombstoned(const v1::Event& event) const {
  if (tombstones_.empty()) return false;
  auto it = tombstones_.find(AnonKey(event.anonymous_id()));
  if (it != tombstones_.end() && event.occurred_at_ms() <= it->second) return true;
  if (!event.user_id().empty()) {
    it = tombstones_.find(UserKey(event.user_id()));
    if (it != tombstones_.end() && event.occurred_at_ms() <= it->second) return true;
  }
  return false;
}

Status IngestService::ProcessEvent(WriteTxn& txn, const v1::Event& event,
                                   const std::string* payload, IngestResult& result,
                                   std::vector<ModelAction>& actions) {
  result.acked_event_ids.push_back(event.event_id());
  if (Tombstoned(event)) {
    // Deleted on request: a retry must not bring it back.
    ++result.duplicates;
    return Status::Ok();
  }
  if (event.type() == "deletion_requested") {
    Status s = DeleteProfile(txn, event, actions);
    if (s.ok()) ++result.stored;
    return s;
  }
  auto profile = ResolveProfile(txn, event.anonymous_id(), event.user_id());
  if (!profile.ok()) return profile.status();
  if (event.type() == "order_completed") {
    auto claimed = txn.ClaimOrder(event.order().order_id(), event.event_id(), *profile);
    if (!claimed.ok()) return claimed.status();
    if (!*claimed) {
      ++result.duplicates;
      return Status::Ok();
    }
  }
  auto inserted = txn.InsertEvent(event, payload, *profile);
  if (!inserted.ok()) return inserted.status();
  if (*inserted) {
    ++result.stored;
    actions.push_back({*profile, &event});
  } else {
    ++result.duplicates;
  }
  return Status::Ok();
}

StatusOr<int64_t> IngestService::NewProfile(WriteTxn& txn, const std::string& user_id) {
  const int64_t id = next_profile_id_++;
  Status s = txn.CreateProfile(id, user_id);
  if (!s.ok()) return s;
  profiles_[id].user_id = user_id;
  if (!user_id.empty()) user_to_profile_[user_id] = id;
  return id;
}

Status IngestService::LinkAnonymous(WriteTxn& txn, const std::string& anonymous_id,
                                    int64_t profile_id) {
  Status s = txn.LinkAnonymous(anonymous_id, profile_id);
  if (!s.ok()) return s;
  auto it = anon_to_profile_.find(anonymous_id);
  if (it != anon_to_profile_.end()) {
    auto& old = profiles_[it->second].anonymous_ids;
    std::erase(old, anonymous_id);
  }
  anon_to_profile_[anonymous_id] = profile_id;
  profiles_[profile_id].anonymous_ids.push_back(anonymous_id);
  return Status::Ok();
}

StatusOr<int64_t> IngestService::ResolveProfile(WriteTxn& txn, const std::string& anonymous_id,
                                                const std::string& user_id) {
  auto a = anon_to_profile_.find(anonymous_id);
  const bool has_anon = a != anon_to_profile_.end();
  if (user_id.empty()) {
    if (has_anon) return a->second;
    auto created = NewProfile(txn, "");
    if (!created.ok()) return created;
    Status s = LinkAnonymous(txn, anonymous_id, *created);
    if (!s.ok()) return s;
    return created;
  }
  auto u = user_to_profile_.find(user_id);
  const bool has_user = u != user_to_profile_.end();
  if (has_anon && has_user && a->second == u->second) return a->second;
  if (!has_anon && !has_user) {
    auto created = NewProfile(txn, user_id);
    if (!created.ok()) return created;
    Status s = LinkAnonymous(txn, anonymous_id, *created);
    if (!s.ok()) return s;
    return created;
  }
  if (!has_anon) {
    const int64_t target = u->second;
    Status s = LinkAnonymous(txn, anonymous_id, target);
    if (!s.ok()) return s;
    return target;
  }
  const int64_t anon_profile = a->second;
  ProfileState& anon_state = profiles_[anon_profile];
  if (!has_user) {
    if (anon_state.user_id.empty()) {
      // The anonymous profile becomes this user's.
      Status s = txn.SetProfileUser(anon_profile, user_id);
      if (!s.ok()) return s;
      anon_state.user_id = user_id;
      user_to_profile_[user_id] = anon_profile;
      return anon_profile;
    }
    // A shared device: the id belonged to another user. Move only the device to a new profile.
    auto created = NewProfile(txn, user_id);
    if (!created.ok()) return created;
    Status s = LinkAnonymous(txn, anonymous_id, *created);
    if (!s.ok()) return s;
    return created;
  }
  const int64_t user_profile = u->second;
  if (!anon_state.user_id.empty()) {
    Status s = LinkAnonymous(txn, anonymous_id, user_profile);
    if (!s.ok()) return s;
    return user_profile;
  }
  // Merge the anonymous profile into the user's.
  Status s = txn.MergeProfile(anon_profile, user_profile);
  if (!s.ok()) return s;
  ProfileState moved = std::move(anon_state);
  profiles_.erase(anon_profile);
  ProfileState& target = profiles_[user_profile];
  for (auto& id : moved.anonymous_ids) {
    anon_to_profile_[id] = user_profile;
    target.anonymous_ids.push_back(std::move(id));
  }
  return user_profile;
}

Status IngestService::DeleteProfile(WriteTxn& txn, const v1::Event& event,
                                    std::vector<ModelAction>& actions) {
  int64_t profile = 0;
  if (!event.user_id().empty()) {
    auto u = user_to_profile_.find(event.user_id());
    if (u != user_to_profile_.end()) profile = u->second;
  }
  if (profile == 0) {
    auto a = anon_to_profile_.find(event.anonymous_id());
    if (a != anon_to_profile_.end()) profile = a->second;
  }
  std::vector<std::string> keys = {AnonKey(event.anonymous_id())};
  if (!event.user_id().empty()) keys.push_back(UserKey(event.user_id()));
  if (profile != 0) {
    Status s = txn.DeleteProfile(profile);
    if (!s.ok()) return s;
    ProfileState& state = profiles_[profile];
    if (!state.user_id.empty()) {
      keys.push_back(UserKey(state.user_id));
      user_to_profile_.erase(state.user_id);
    }
    for (const auto& id : state.anonymous_ids) {
      keys.push_back(AnonKey(id));
      anon_to_profile_.erase(id);
    }
    profiles_.erase(profile);
    actions.push_back({profile, nullptr});
  }
  const int64_t at = event.occurred_at_ms();
  for (const auto& key : keys) {
    Status s = txn.AddTombstone(key, at);
    if (!s.ok()) return s;
    int64_t& t = tombstones_[key];
    t = std::max(t, at);
  }
  return Status::Ok();
}

}  // namespace vitrine::server
