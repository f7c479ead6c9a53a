#include "store/pg_store.hpp"

#include <algorithm>
#include <exception>
#include <utility>

#include "obs/log.hpp"
#include "obs/metrics.hpp"
#include "obs/thread_name.hpp"
#include "store/deliver.hpp"
#include "store/epoch.hpp"
#include "store/pg_append.hpp"
#include "store/pg_conn.hpp"
#include "store/pg_devices.hpp"
#include "store/pg_groups.hpp"
#include "store/pg_link.hpp"
#include "store/pg_schema.hpp"

namespace fleet::store {
namespace {

Error unavailable(const char* why) { return make_error(ErrorCode::unavailable, why); }

// What clients are told when the database refuses a write or cannot be reached; the details go to the
// log and to write_failure().
Error storage_refused() {
  return make_error(ErrorCode::storage_unavailable, "database unavailable; retry later");
}

// A group that deadlocked with another node's (or hit a serialization failure) is retried this often.
constexpr int kGroupAttempts = 3;

// While writes fail, the idle writer probes no more often than this (and no less often than the link's
// longest backoff), so a database that refuses writes is not hammered and readiness comes back in time.
constexpr std::chrono::milliseconds kMinProbeInterval{200};
// How often an idle, healthy writer checks that the database still answers.
constexpr std::chrono::milliseconds kIdlePing{1000};

obs::Counter& transaction_us_counter() {
  static obs::Counter& c = [] {
    obs::Counter& us =
        obs::Registry::global().counter("fleet_pg_transaction_microseconds_total",
                                        "Time spent in PostgreSQL transactions (sum, microseconds).");
    // The registry has no histogram: sum and count, as Prometheus names a summary's series.
    obs::Registry::global().gauge_fn("fleet_pg_transaction_seconds_sum",
                                     "Time spent in PostgreSQL transactions (sum, seconds).",
                                     [&us] { return static_cast<double>(us.value()) / 1e6; });
    return std::ref(us);
  }();
  return c;
}

}  // namespace

Result<std::unique_ptr<PgStore>> PgStore::open(const PgOptions& options) {
  if (options.max_queue == 0 || options.clock == nullptr) {
    return make_error(ErrorCode::internal, "PgStore needs a clock and a positive max_queue");
  }
  if (options.query_timeout.count() <= 0)
    return make_error(ErrorCode::internal, "PgStore needs a positive query_timeout");
  auto writer = PgConn::connect(options.uri, options.query_timeout);
  if (!writer) return writer.error();
  const std::string where = (*writer)->where();
  auto fail = [&where](const Error& e) -> Result<std::unique_ptr<PgStore>> {
    obs::error("store open failed", {{"at", where}, {"error", e.message}});
    return make_error(ErrorCode::internal,
                      "cannot open the store in PostgreSQL at " + where + ": " + e.message);
  };
  auto meta = pg_migrate(**writer);
  if (!meta) return fail(meta.error());
  auto keys = pg_key_changes(**writer, 0);
  if (!keys) return fail(keys.error());
  auto reader = PgConn::connect(options.uri, options.query_timeout);
  if (!reader) return reader.error();

  std::unique_ptr<PgStore> store(
      new PgStore(options, std::move(*writer), std::move(*reader), meta->store_id, meta->share_key));
  for (const PgKeyChange& k : *keys) store->apply_key(k);
  if (!keys->empty()) store->refresh_cursor_ = keys->back().change_seq;
  store->writer_.thread = std::thread([s = store.get()] { s->run_writer(); });
  store->reader_.thread = std::thread([s = store.get()] { s->run_reader(); });
  obs::info("store opened", {{"backend", "postgresql"}, {"at", where}});
  return store;
}

PgStore::PgStore(const PgOptions& options, std::unique_ptr<PgConn> writer, std::unique_ptr<PgConn> reader,
                 std::string store_id, std::string share_key)
    : store_id_(std::move(store_id)),
      share_key_(std::move(share_key)),
      clock_(*options.clock),
      max_queue_(options.max_queue),
      appender_(std::make_unique<PgAppender>()),
      transactions_(obs::Registry::global().counter("fleet_pg_transaction_seconds_count",
                                                    "PostgreSQL transactions run (count).")),
      transaction_us_(transaction_us_counter()),
      errors_(obs::Registry::global().counter(
          "fleet_pg_errors_total", "PostgreSQL requests that failed (connection, storage or SQL).")) {
  writer_.link = std::make_unique<PgLink>(options.uri, std::move(writer), options.query_timeout);
  reader_.link = std::make_unique<PgLink>(options.uri, std::move(reader), options.query_timeout);
}

PgStore::~PgStore() { stop(); }

std::optional<Error> PgStore::try_push(Lane& lane, Job& job) {
  {
    std::lock_guard lock(lane.mu);
    if (stopping_.load(std::memory_order_acquire)) return unavailable("store stopping");
    if (lane.queue.size() >= max_queue_) return unavailable("store queue full");
    lane.queue.push_back(std::move(job));
  }
  lane.cv.notify_one();
  return std::nullopt;
}

template <class T, class Op>
void PgStore::submit(Lane& lane, bool write, Callback<T> done, Op op) {
  Job job = Task([this, write, done, op = std::move(op)](PgLink& link) {
    const auto started = std::chrono::steady_clock::now();
    auto conn = link.get();
    Result<T> r = conn ? op(**conn) : Result<T>(conn.error());
    if (conn) {
      link.check();
      observe_transaction(started);
    }
    if (!r && (r.error().code == ErrorCode::storage_unavailable || r.error().code == ErrorCode::internal)) {
      errors_.inc();
      obs::warn("PostgreSQL request failed", {{"error", r.error().message}});
    }
    if (write) {
      if (r) {
        note_write_ok();
      } else {
        note_write(r.error());
      }
    }
    // The details (host, server message) are for the log and readiness, not for API clients.
    if (!r && r.error().code == ErrorCode::storage_unavailable) r = storage_refused();
    deliver<T>(done, std::move(r));
  });
  if (auto refused = try_push(lane, job)) deliver<T>(done, std::move(*refused));
}

void PgStore::append(AppendRequest req, Callback<AppendResult> done) {
  Job job = AppendJob{std::move(req), std::move(done)};
  if (auto refused = try_push(writer_, job)) {
    deliver<AppendResult>(std::get<AppendJob>(job).done, std::move(*refused));
  }
}

void PgStore::create_device(TenantId tenant, std::string name, std::string key_hash, Callback<Device> done) {
  submit<Device>(writer_, true, std::move(done),
                 [this, tenant = std::move(tenant), name = std::move(name),
                  key_hash = std::move(key_hash)](PgConn& conn) -> Result<Device> {
                   auto created = pg_create_device(conn, tenant, name, key_hash, clock_.now_ms());
                   if (!created) return created.error();
                   apply_key(created->key);  // before the callback: the caller may use the key at once
                   return std::move(created->device);
                 });
}

void PgStore::revoke_device(TenantId tenant, DeviceId id, Callback<Device> done) {
  submit<Device>(writer_, true, std::move(done),
                 [this, tenant = std::move(tenant), id = std::move(id)](PgConn& conn) -> Result<Device> {
                   auto revoked = pg_revoke_device(conn, tenant, id, clock_.now_ms());
                   if (!revoked) return revoked.error();
                   apply_key(revoked->key);
                   return std::move(revoked->device);
                 });
}

void PgStore::get_device(TenantId tenant, DeviceId id, Callback<Device> done) {
  submit<Device>(reader_, false, std::move(done),
                 [tenant = std::move(tenant), id = std::move(id)](PgConn& conn) {
                   return pg_get_device(conn, tenant, id);
                 });
}

void PgStore::list_devices(TenantId tenant, Callback<std::vector<Device>> done) {
  submit<std::vector<Device>>(reader_, false, std::move(done), [tenant = std::move(tenant)](PgConn& conn) {
    return pg_list_devices(conn, tenant);
  });
}

void PgStore::snapshot(TenantId tenant, Callback<Snapshot> done) {
  submit<Snapshot>(reader_, false, std::move(done),
                   [tenant = std::move(tenant)](PgConn& conn) { return pg_snapshot(conn, tenant); });
}

void PgStore::history(HistoryQuery q, Callback<HistoryPage> done) {
  submit<HistoryPage>(reader_, false, std::move(done),
                      [q = std::move(q)](PgConn& conn) { return pg_history(conn, q); });
}

void PgStore::events_after(TenantId tenant, Seq since, std::size_t max_events, Callback<Recovery> done) {
  submit<Recovery>(reader_, false, std::move(done),
                   [tenant = std::move(tenant), since, max_events](PgConn& conn) {
                     return pg_events_after(conn, tenant, since, max_events);
                   });
}

void PgStore::create_group(TenantId tenant, std::string name, std::vector<DeviceId> devices,
                           Callback<Group> done) {
  submit<Group>(writer_, true, std::move(done),
                [this, tenant = std::move(tenant), name = std::move(name), devices = std::move(devices)](
                    PgConn& conn) { return pg_create_group(conn, tenant, name, devices, clock_.now_ms()); });
}

void PgStore::list_groups(TenantId tenant, Callback<std::vector<Group>> done) {
  submit<std::vector<Group>>(reader_, false, std::move(done), [tenant = std::move(tenant)](PgConn& conn) {
    return pg_list_groups(conn, tenant);
  });
}

void PgStore::set_group_devices(TenantId tenant, std::string group_id, std::vector<DeviceId> devices,
                                Callback<Group> done) {
  submit<Group>(writer_, true, std::move(done),
                [tenant = std::move(tenant), group_id = std::move(group_id), devices = std::move(devices)](
                    PgConn& conn) { return pg_set_group_devices(conn, tenant, group_id, devices); });
}

void PgStore::delete_group(TenantId tenant, std::string group_id, Callback<Group> done) {
  submit<Group>(writer_, true, std::move(done),
                [tenant = std::move(tenant), group_id = std::move(group_id)](PgConn& conn) {
                  return pg_delete_group(conn, tenant, group_id);
                });
}

void PgStore::group_members(TenantId tenant, std::vector<std::string> group_ids,
                            Callback<GroupMembers> done) {
  submit<GroupMembers>(reader_, false, std::move(done),
                       [tenant = std::move(tenant), group_ids = std::move(group_ids)](PgConn& conn) {
                         return pg_group_members(conn, tenant, group_ids);
                       });
}

void PgStore::create_share(Share share, Callback<Share> done) {
  submit<Share>(writer_, true, std::move(done), [this, share = std::move(share)](PgConn& conn) {
    return pg_create_share(conn, share, clock_.now_ms());
  });
}

void PgStore::list_shares(TenantId tenant, Callback<std::vector<Share>> done) {
  submit<std::vector<Share>>(reader_, false, std::move(done), [tenant = std::move(tenant)](PgConn& conn) {
    return pg_list_shares(conn, tenant);
  });
}

void PgStore::revoke_share(TenantId tenant, std::string share_id, Callback<Share> done) {
  submit<Share>(writer_, true, std::move(done),
                [this, tenant = std::move(tenant), share_id = std::move(share_id)](PgConn& conn) {
                  return pg_revoke_share(conn, tenant, share_id, clock_.now_ms());
                });
}

void PgStore::active_shares(std::int64_t now_ms, Callback<std::vector<Share>> done) {
  submit<std::vector<Share>>(reader_, false, std::move(done),
                             [now_ms](PgConn& conn) { return pg_active_shares(conn, now_ms); });
}

std::string PgStore::epoch(const TenantId& tenant) const { return tenant_epoch(store_id_, tenant); }

bool PgStore::device_key_active(std::string_view key_hash) const { return active_keys_->contains(key_hash); }

std::string PgStore::write_failure() const {
  if (!write_failing_.load(std::memory_order_acquire)) return {};
  std::lock_guard lock(failure_mu_);
  return write_failure_;
}

void PgStore::note_write(const Error& e) {
  if (e.code != ErrorCode::storage_unavailable) return;  // a refusal says nothing about the database
  {
    std::lock_guard lock(failure_mu_);
    write_failure_ = e.message;
  }
  if (!write_failing_.exchange(true, std::memory_order_acq_rel)) {
    obs::error("database refuses writes: not ready until a write succeeds", {{"error", e.message}});
  }
}

void PgStore::note_write_ok() {
  if (write_failing_.exchange(false, std::memory_order_acq_rel)) obs::info("database takes writes again");
}

void PgStore::observe_transaction(std::chrono::steady_clock::time_point started) {
  const auto us =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);
  transactions_.inc();
  transaction_us_.inc(static_cast<std::uint64_t>(us.count()));
}

void PgStore::apply_key(const PgKeyChange& change) {
  std::lock_guard lock(keys_mu_);
  auto [it, fresh] = key_changes_.try_emplace(change.key_hash, change.change_seq);
  if (!fresh) {
    if (it->second >= change.change_seq) return;  // an older state of this key, read before a newer one
    it->second = change.change_seq;
  }
  if (change.active) {
    active_keys_->insert(change.key_hash);
  } else {
    active_keys_->erase(change.key_hash);
  }
}

void PgStore::stop() {
  stopping_.store(true, std::memory_order_release);
  for (Lane* lane : {&writer_, &reader_}) {
    { std::lock_guard lock(lane->mu); }  // a lane between its check and its wait sees stopping_ now
    lane->cv.notify_all();
  }
  std::lock_guard join_lock(join_mu_);
  for (Lane* lane : {&writer_, &reader_}) {
    if (lane->thread.joinable() && lane->thread.get_id() != std::this_thread::get_id()) lane->thread.join();
  }
}

void PgStore::run_writer() {
  obs::set_thread_name("fleet-pg-write");
  for (;;) {
    std::vector<AppendJob> group;
    Task task;
    bool idle = false;
    const bool failing = write_failing_.load(std::memory_order_relaxed);
    {
      std::unique_lock lock(writer_.mu);
      const auto ready = [this] {
        return !writer_.queue.empty() || stopping_.load(std::memory_order_acquire);
      };
      // Idle, the writer still checks the database: while writes fail it probes with a write once the
      // link may reconnect (so readiness comes back without traffic); otherwise it pings every
      // kIdlePing (so readiness drops while the database is unreachable, also without traffic).
      const auto wait =
          failing ? std::clamp(writer_.link->retry_in(), kMinProbeInterval, PgLink::kMaxBackoff) : kIdlePing;
      idle = !writer_.cv.wait_for(lock, wait, ready);
      if (writer_.queue.empty() && stopping_.load(std::memory_order_acquire)) break;
      if (idle) {
        // Nothing queued: the probe or ping runs below, outside the lock.
      } else if (std::holds_alternative<AppendJob>(writer_.queue.front())) {
        // Only consecutive appends join a group: a revoke queued between two appends takes effect
        // exactly between them.
        std::size_t points = 0;
        while (!writer_.queue.empty() && std::holds_alternative<AppendJob>(writer_.queue.front())) {
          AppendJob& next = std::get<AppendJob>(writer_.queue.front());
          if (!group.empty() && points + next.req.points.size() > kMaxBatchPoints) break;
          points += next.req.points.size();
          group.push_back(std::move(next));
          writer_.queue.pop_front();
        }
      } else {
        task = std::move(std::get<Task>(writer_.queue.front()));
        writer_.queue.pop_front();
      }
    }
    if (idle && failing) {
      probe_storage();
    } else if (idle) {
      ping_database();
    } else if (!group.empty()) {
      commit_group(group);
    } else {
      task(*writer_.link);
    }
  }
  writer_.link.reset();  // closes the connection on the thread that used it
}

void PgStore::run_reader() {
  obs::set_thread_name("fleet-pg-read");
  for (;;) {
    Task task;
    {
      std::unique_lock lock(reader_.mu);
      reader_.cv.wait_until(lock, next_refresh_, [this] {
        return !reader_.queue.empty() || stopping_.load(std::memory_order_acquire) ||
               std::chrono::steady_clock::now() >= next_refresh_;
      });
      if (reader_.queue.empty() && stopping_.load(std::memory_order_acquire)) break;
      if (!reader_.queue.empty()) {
        task = std::move(std::get<Task>(reader_.queue.front()));
        reader_.queue.pop_front();
      }
    }
    // Refreshes are due between requests too: a busy reader still sees other nodes' devices in time.
    if (std::chrono::steady_clock::now() >= next_refresh_) refresh_keys();
    if (task) task(*reader_.link);
  }
  reader_.link.reset();
}

void PgStore::refresh_keys() {
  next_refresh_ = std::chrono::steady_clock::now() + kKeyRefresh;
  auto conn = reader_.link->get();
  if (!conn) return;  // the link logged it; the next refresh retries
  auto changes = pg_key_changes(**conn, refresh_cursor_);
  reader_.link->check();
  if (!changes) {
    errors_.inc();
    obs::warn("key directory refresh failed", {{"error", changes.error().message}});
    return;
  }
  for (const PgKeyChange& k : *changes) apply_key(k);
  if (!changes->empty()) refresh_cursor_ = changes->back().change_seq;
}

void PgStore::ping_database() {
  auto conn = writer_.link->get();
  if (!conn) return note_write(conn.error());
  auto r = (*conn)->query("SELECT 1");
  writer_.link->check();
  if (!r) note_write(r.error());  // a read proves nothing about writes: it only ever sets the failure
}

void PgStore::probe_storage() {
  auto conn = writer_.link->get();
  if (!conn) return note_write(conn.error());
  auto r = pg_probe_write(**conn);
  writer_.link->check();
  if (r) {
    note_write_ok();
  } else {
    note_write(r.error());
  }
}

void PgStore::commit_group(std::vector<AppendJob>& group) {
  std::vector<const AppendRequest*> reqs;
  reqs.reserve(group.size());
  for (const AppendJob& j : group) reqs.push_back(&j.req);

  Result<std::vector<Result<AppendResult>>> results = storage_refused();
  for (int attempt = 1; attempt <= kGroupAttempts; ++attempt) {
    const auto started = std::chrono::steady_clock::now();
    auto conn = writer_.link->get();
    if (!conn) {
      results = conn.error();
      break;
    }
    results = appender_->commit(**conn, reqs);
    // Two nodes' groups can still deadlock (e.g. one revoking a device another appends for); PostgreSQL
    // aborts one of them, which is worth a retry.
    const std::string state = (*conn)->last_sqlstate();
    writer_.link->check();
    observe_transaction(started);
    if (results || (state != kSqlStateDeadlock && state != kSqlStateSerialization)) break;
  }

  if (!results) {
    errors_.inc();
    obs::error("store group commit failed",
               {{"appends", static_cast<std::uint64_t>(group.size())}, {"error", results.error().message}});
    note_write(results.error());
    // Nothing of the group was stored. A database that is unreachable or refuses writes is worth a
    // retry (storage_unavailable); anything else is not (internal).
    const Error answer = results.error().code == ErrorCode::storage_unavailable
                             ? storage_refused()
                             : make_error(ErrorCode::internal, "storage failure");
    for (AppendJob& j : group) deliver<AppendResult>(j.done, answer);
    return;
  }
  bool stored = false;
  for (const auto& r : *results) stored = stored || r.has_value();
  if (stored) note_write_ok();  // an empty commit wrote nothing, so proves nothing
  for (std::size_t i = 0; i < group.size(); ++i)
    deliver<AppendResult>(group[i].done, std::move((*results)[i]));
}

}  // namespace fleet::store
