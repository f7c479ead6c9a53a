#include "store/sqlite_store.hpp"

#include <sqlite3.h>

#include <exception>
#include <utility>

#include "obs/log.hpp"
#include "obs/metrics.hpp"
#include "obs/thread_name.hpp"
#include "store/deliver.hpp"
#include "store/epoch.hpp"
#include "store/sqlite_db.hpp"
#include "store/sqlite_repo.hpp"
#include "store/sqlite_schema.hpp"
#include "store/wal_checkpointer.hpp"
#include "store/wal_write_buffer.hpp"

namespace fleet::store {
namespace {

Error unavailable(const char* why) { return make_error(ErrorCode::unavailable, why); }

// What clients are told when the disk refuses a write; the details (SQLite's reason) go to the log.
Error storage_refused() {
  return make_error(ErrorCode::storage_unavailable,
                    "storage refuses writes (disk full or failing); retry later");
}

// Non-append requests hold a callback and a few ids.
constexpr std::size_t kTaskBytes = 256;

Result<void> configure(Db& db, const SqliteOptions& o) {
  db.set_busy_timeout_ms(o.busy_timeout_ms);
  auto mode = db.query_text("PRAGMA journal_mode = WAL");
  if (!mode) return mode.error();
  if (*mode != "wal")
    return make_error(ErrorCode::internal, "cannot enable WAL (journal_mode is " + *mode + ")");
  if (auto r = db.exec(o.synchronous == SyncMode::full ? "PRAGMA synchronous = FULL"
                                                       : "PRAGMA synchronous = NORMAL");
      !r) {
    return r;
  }
  // Without the background checkpointer (wal_checkpointer.hpp), SQLite checkpoints inside the commit that
  // fills the WAL: every ~40 MiB (10,000 pages) rather than its default 1,000, which under ingest copied the
  // same hot B-tree pages (table and index tails) and fsynced the database file every few group commits.
  // journal_size_limit truncates the WAL file back after a checkpoint. Durability is unchanged either way:
  // every commit is fsynced to the WAL (synchronous=FULL).
  if (auto r = db.exec("PRAGMA wal_autocheckpoint = 10000; PRAGMA journal_size_limit = 67108864"); !r)
    return r;
  return db.exec("PRAGMA foreign_keys = ON");
}

}  // namespace

std::size_t queue_bytes_of(const AppendRequest& req) noexcept {
  std::size_t bytes =
      sizeof(AppendRequest) + req.key_hash.capacity() + req.points.capacity() * sizeof(TelemetryPoint);
  for (const auto& p : req.points) bytes += p.attributes_json.capacity();
  return bytes;
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const SqliteOptions& options) {
  auto fail = [&options](const Error& e) -> Result<std::unique_ptr<SqliteStore>> {
    obs::error("store open failed", {{"path", options.path}, {"error", e.message}});
    return make_error(ErrorCode::internal, "cannot open store at " + options.path + ": " + e.message);
  };
  if (options.queue_capacity == 0 || options.queue_max_bytes == 0 || options.max_batch_points == 0 ||
      options.storage_probe_interval_ms <= 0) {
    return fail(make_error(
        ErrorCode::internal,
        "queue_capacity, queue_max_bytes, max_batch_points and the probe interval must be positive"));
  }
  // With synchronous=FULL every commit ends in a WAL sync, which writes the commit's gathered frames in
  // one call and reports its errors: there the WAL write buffer is safe (wal_write_buffer.hpp).
  const char* vfs =
      options.synchronous == SyncMode::full ? wal_write_buffer_vfs(options.base_vfs) : options.base_vfs;
  if (options.synchronous == SyncMode::full && vfs == nullptr) {
    return fail(make_error(ErrorCode::internal, "cannot register the WAL write buffer VFS"));
  }
  auto db = Db::open(options.path, vfs);
  if (!db) return fail(db.error());
  if (auto r = configure(**db, options); !r) return fail(r.error());
  if (auto r = migrate(**db); !r) return fail(r.error());
  sqlite3* writer = (*db)->handle();
  auto repo = SqliteRepo::load(std::move(*db));
  if (!repo) return fail(repo.error());

  std::unique_ptr<WalCheckpointer> checkpointer;
  if (options.background_checkpoints) {
    WalCheckpointerOptions co;
    co.path = options.path;
    co.vfs = vfs;
    if (auto c = WalCheckpointer::open(co)) {
      checkpointer = std::move(*c);
      checkpointer->attach(writer);  // before the worker starts: the connection is still ours
    } else {
      obs::warn("background checkpoints unavailable: SQLite checkpoints inside commits",
                {{"error", c.error().message}});
    }
  }

  std::unique_ptr<SqliteStore> store(new SqliteStore(std::move(*repo), std::move(checkpointer), options));
  store->worker_ = std::thread([s = store.get()] {
    obs::set_thread_name("fleet-store");
    s->run();
  });
  obs::info("store opened", {{"path", options.path},
                             {"synchronous", options.synchronous == SyncMode::full ? "full" : "normal"}});
  return store;
}

SqliteStore::SqliteStore(std::unique_ptr<SqliteRepo> repo, std::unique_ptr<WalCheckpointer> checkpointer,
                         const SqliteOptions& options)
    : repo_(std::move(repo)),
      checkpointer_(std::move(checkpointer)),
      snapshots_(options.snapshot_cache_tenants),
      store_id_(repo_->store_id()),
      share_key_(repo_->share_key()),
      active_keys_(repo_->active_keys()),
      clock_(options.clock != nullptr ? *options.clock : SystemClock::instance()),
      queue_capacity_(options.queue_capacity),
      queue_max_bytes_(options.queue_max_bytes),
      max_batch_points_(options.max_batch_points),
      probe_interval_(options.storage_probe_interval_ms),
      commits_(obs::Registry::global().counter("fleet_store_commits_total", "Store transactions committed.")),
      points_(
          obs::Registry::global().counter("fleet_store_points_total", "Telemetry points durably stored.")),
      commit_failures_(obs::Registry::global().counter("fleet_store_commit_failures_total",
                                                       "Group commits that failed and were rolled back.")),
      queue_depth_(
          obs::Registry::global().gauge("fleet_store_queue_depth", "Requests waiting for the store.")),
      queue_bytes_gauge_(obs::Registry::global().gauge(
          "fleet_store_queue_bytes",
          "Estimated memory held by requests waiting for the store (bounded by --store-queue-bytes).")),
      queue_rejected_(obs::Registry::global().counter(
          "fleet_store_queue_rejected_total",
          "Requests refused because the store queue was full (requests or bytes).")),
      storage_probes_(obs::Registry::global().counter(
          "fleet_store_storage_probes_total",
          "Probe writes while the storage refused writes (readiness comes back after one succeeds).")) {
  snapshots_.set_known_tenants(repo_->loaded_tenants());  // before the store thread starts
}

SqliteStore::~SqliteStore() { stop(); }

std::optional<Error> SqliteStore::try_push(Job& job) {
  // Estimated before the lock: it walks the points.
  const std::size_t bytes =
      std::holds_alternative<AppendJob>(job) ? queue_bytes_of(std::get<AppendJob>(job).req) : kTaskBytes;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return unavailable("store stopping");
    // Bounded twice: in requests, and in the memory they hold (10,000 requests of 1,000 points would be
    // gigabytes). One request larger than the byte bound still goes when the queue is empty.
    if (queue_.size() >= queue_capacity_ || (!queue_.empty() && queue_bytes_ + bytes > queue_max_bytes_)) {
      queue_rejected_.inc();
      return unavailable("store queue full");
    }
    queue_.push_back(Queued{std::move(job), bytes});
    queue_bytes_ += bytes;
    queue_depth_.set(static_cast<std::int64_t>(queue_.size()));
    queue_bytes_gauge_.set(static_cast<std::int64_t>(queue_bytes_));
  }
  cv_.notify_one();
  return std::nullopt;
}

template <class T, class Op>
void SqliteStore::submit(Callback<T> done, Op op) {
  Job job = Task([done, op = std::move(op)](SqliteRepo& repo) { deliver<T>(done, op(repo)); });
  if (auto refused = try_push(job)) deliver<T>(done, std::move(*refused));
}

void SqliteStore::append(AppendRequest req, Callback<AppendResult> done) {
  Job job = AppendJob{std::move(req), std::move(done)};
  if (auto refused = try_push(job)) deliver<AppendResult>(std::get<AppendJob>(job).done, std::move(*refused));
}

void SqliteStore::create_device(TenantId tenant, std::string name, std::string key_hash,
                                Callback<Device> done) {
  submit<Device>(std::move(done), [this, tenant = std::move(tenant), name = std::move(name),
                                   key_hash = std::move(key_hash)](SqliteRepo& repo) {
    auto created = repo.create_device(tenant, name, key_hash, clock_.now_ms());
    if (created) {
      snapshots_.apply_created(*created);
      note_write(Result<void>{});
    } else if (is_failure(created.error())) {
      snapshots_.invalidate(tenant);  // a storage error: whether the device exists is no longer known here
      note_write(created.error());
    }
    return created;
  });
}

void SqliteStore::revoke_device(TenantId tenant, DeviceId id, Callback<Device> done) {
  submit<Device>(std::move(done), [this, tenant = std::move(tenant), id = std::move(id)](SqliteRepo& repo) {
    auto revoked = repo.revoke_device(tenant, id, clock_.now_ms());
    if (revoked) {
      snapshots_.apply_revoked(tenant, id);
      note_write(Result<void>{});
    } else if (revoked.error().code != ErrorCode::not_found) {
      snapshots_.invalidate(tenant);  // the UPDATE may have committed before the error (e.g. in the re-read)
      note_write(revoked.error());
    }
    return revoked;
  });
}

void SqliteStore::get_device(TenantId tenant, DeviceId id, Callback<Device> done) {
  submit<Device>(std::move(done), [tenant = std::move(tenant), id = std::move(id)](SqliteRepo& repo) {
    return repo.get_device(tenant, id);
  });
}

void SqliteStore::list_devices(TenantId tenant, Callback<std::vector<Device>> done) {
  submit<std::vector<Device>>(
      std::move(done), [tenant = std::move(tenant)](SqliteRepo& repo) { return repo.list_devices(tenant); });
}

void SqliteStore::snapshot(TenantId tenant, Callback<Snapshot> done) {
  // The handshake path: a cached tenant costs a lock, a pointer copy and a copy of its devices, instead
  // of two thread wake-ups and the device query.
  if (auto cached = snapshots_.find(tenant)) {
    deliver<Snapshot>(done, std::move(*cached));
    return;
  }
  submit<Snapshot>(std::move(done), [this, tenant = std::move(tenant)](SqliteRepo& repo) {
    auto snap = repo.snapshot(tenant);
    // Installed here, on the worker, so the cached state starts from exactly the commits before it.
    if (snap) snapshots_.install(tenant, *snap);
    return snap;
  });
}

void SqliteStore::history(HistoryQuery q, Callback<HistoryPage> done) {
  submit<HistoryPage>(std::move(done), [q = std::move(q)](SqliteRepo& repo) { return repo.history(q); });
}

void SqliteStore::events_after(TenantId tenant, Seq since, std::size_t max_events, Callback<Recovery> done) {
  submit<Recovery>(std::move(done), [tenant = std::move(tenant), since, max_events](SqliteRepo& repo) {
    return repo.events_after(tenant, since, max_events);
  });
}

void SqliteStore::create_group(TenantId tenant, std::string name, std::vector<DeviceId> devices,
                               Callback<Group> done) {
  submit<Group>(std::move(done), [this, tenant = std::move(tenant), name = std::move(name),
                                  devices = std::move(devices)](SqliteRepo& repo) {
    return noted(repo.groups().create(tenant, name, devices, clock_.now_ms()));
  });
}

void SqliteStore::list_groups(TenantId tenant, Callback<std::vector<Group>> done) {
  submit<std::vector<Group>>(
      std::move(done), [tenant = std::move(tenant)](SqliteRepo& repo) { return repo.groups().list(tenant); });
}

void SqliteStore::set_group_devices(TenantId tenant, std::string group_id, std::vector<DeviceId> devices,
                                    Callback<Group> done) {
  submit<Group>(std::move(done), [this, tenant = std::move(tenant), group_id = std::move(group_id),
                                  devices = std::move(devices)](SqliteRepo& repo) {
    return noted(repo.groups().set_devices(tenant, group_id, devices));
  });
}

void SqliteStore::delete_group(TenantId tenant, std::string group_id, Callback<Group> done) {
  submit<Group>(std::move(done),
                [this, tenant = std::move(tenant), group_id = std::move(group_id)](SqliteRepo& repo) {
                  return noted(repo.groups().remove(tenant, group_id));
                });
}

void SqliteStore::group_members(TenantId tenant, std::vector<std::string> group_ids,
                                Callback<GroupMembers> done) {
  submit<GroupMembers>(std::move(done),
                       [tenant = std::move(tenant), group_ids = std::move(group_ids)](SqliteRepo& repo) {
                         return repo.groups().members(tenant, group_ids);
                       });
}

void SqliteStore::create_share(Share share, Callback<Share> done) {
  submit<Share>(std::move(done), [this, share = std::move(share)](SqliteRepo& repo) {
    return noted(repo.shares().create(share, clock_.now_ms()));
  });
}

void SqliteStore::list_shares(TenantId tenant, Callback<std::vector<Share>> done) {
  submit<std::vector<Share>>(
      std::move(done), [tenant = std::move(tenant)](SqliteRepo& repo) { return repo.shares().list(tenant); });
}

void SqliteStore::revoke_share(TenantId tenant, std::string share_id, Callback<Share> done) {
  submit<Share>(std::move(done),
                [this, tenant = std::move(tenant), share_id = std::move(share_id)](SqliteRepo& repo) {
                  return noted(repo.shares().revoke(tenant, share_id, clock_.now_ms()));
                });
}

void SqliteStore::active_shares(std::int64_t now_ms, Callback<std::vector<Share>> done) {
  submit<std::vector<Share>>(std::move(done),
                             [now_ms](SqliteRepo& repo) { return repo.shares().active(now_ms); });
}

std::string SqliteStore::epoch(const TenantId& tenant) const { return tenant_epoch(store_id_, tenant); }

bool SqliteStore::device_key_active(std::string_view key_hash) const {
  return active_keys_->contains(key_hash);
}

void SqliteStore::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  snapshots_.close();  // from now on snapshots are queued, and so refused, like every other request
  cv_.notify_all();
  std::lock_guard join_lock(join_mu_);
  if (worker_.joinable() && worker_.get_id() != std::this_thread::get_id()) worker_.join();
}

void SqliteStore::run() {
  for (;;) {
    std::vector<AppendJob> group;
    Task task;
    bool probe = false;
    {
      std::unique_lock lock(mu_);
      const auto ready = [this] { return !queue_.empty() || stopping_; };
      if (!write_failing_.load(std::memory_order_relaxed)) {
        cv_.wait(lock, ready);
      } else {
        // Idle while the disk refuses writes: probe now and then, so readiness returns without traffic.
        probe = !cv_.wait_for(lock, probe_interval_, ready);
      }
      if (queue_.empty() && stopping_) break;  // everything queued has been served
      if (probe) {
        // Nothing queued: fall through to the probe below, outside the lock.
      } else if (std::holds_alternative<AppendJob>(queue_.front().job)) {
        // Only consecutive appends join a group: a revoke or create queued between two appends must take
        // effect exactly between them.
        std::size_t points = 0;
        while (!queue_.empty() && std::holds_alternative<AppendJob>(queue_.front().job)) {
          AppendJob& next = std::get<AppendJob>(queue_.front().job);
          if (!group.empty() && points + next.req.points.size() > max_batch_points_) break;
          points += next.req.points.size();
          group.push_back(std::move(next));
          queue_bytes_ -= queue_.front().bytes;
          queue_.pop_front();
        }
      } else {
        task = std::move(std::get<Task>(queue_.front().job));
        queue_bytes_ -= queue_.front().bytes;
        queue_.pop_front();
      }
      queue_depth_.set(static_cast<std::int64_t>(queue_.size()));
      queue_bytes_gauge_.set(static_cast<std::int64_t>(queue_bytes_));
    }
    if (probe) {
      probe_storage();
    } else if (!group.empty()) {
      commit_group(group);
    } else {
      task(*repo_);
    }
  }
  if (checkpointer_) checkpointer_->stop();  // its pass must not hold the checkpoint lock now
  if (auto r = repo_->checkpoint(); !r) obs::warn("store checkpoint failed", {{"error", r.error().message}});
  repo_.reset();  // closes the connection on the thread that used it
  obs::info("store stopped");
}

std::string SqliteStore::write_failure() const {
  if (!write_failing_.load(std::memory_order_acquire)) return {};
  std::lock_guard lock(failure_mu_);
  return write_failure_;
}

void SqliteStore::note_write(const Error& e) {
  if (e.code != ErrorCode::storage_unavailable) return;  // not the disk's fault: says nothing about it
  {
    std::lock_guard lock(failure_mu_);
    write_failure_ = e.message;
  }
  if (!write_failing_.exchange(true, std::memory_order_acq_rel)) {
    obs::error("storage refuses writes: not ready until a write succeeds", {{"error", e.message}});
  }
}

void SqliteStore::note_write(const Result<void>& r) {
  if (!r) return note_write(r.error());
  if (write_failing_.exchange(false, std::memory_order_acq_rel)) obs::info("storage takes writes again");
}

template <class T>
Result<T> SqliteStore::noted(Result<T> r) {
  if (r) {
    note_write(Result<void>{});
  } else {
    note_write(r.error());  // only a storage failure counts: a refused list or a missing group says nothing
  }
  return r;
}

void SqliteStore::probe_storage() {
  storage_probes_.inc();
  note_write(repo_->probe_write());
}

void SqliteStore::commit_group(std::vector<AppendJob>& group) {
  std::vector<Result<AppendResult>> results;
  results.reserve(group.size());
  std::optional<Error> failure;
  if (auto r = repo_->begin(); !r) failure = r.error();
  for (std::size_t i = 0; !failure && i < group.size(); ++i) {
    auto r = repo_->stage_append(group[i].req);
    // unauthorized / invalid_field touched nothing; anything else leaves the transaction suspect.
    if (!r && is_failure(r.error())) {
      failure = r.error();
      break;
    }
    results.push_back(std::move(r));
  }
  if (!failure) {
    if (auto r = repo_->commit(); !r) failure = r.error();
  } else {
    repo_->rollback();
  }

  if (failure) {
    commit_failures_.inc();
    obs::error("store group commit failed",
               {{"appends", static_cast<std::uint64_t>(group.size())}, {"error", failure->message}});
    note_write(*failure);
    // Nothing of the group was stored, so every append that would have succeeded fails; refusals stay,
    // including those of appends the loop never reached. A disk that refuses writes is worth a retry
    // (storage_unavailable); anything else is not (internal).
    const Error storage_failure = failure->code == ErrorCode::storage_unavailable
                                      ? storage_refused()
                                      : make_error(ErrorCode::internal, "storage failure");
    for (std::size_t i = results.size(); i < group.size(); ++i) {
      auto pre = repo_->precheck(group[i].req);
      results.push_back(pre ? Result<AppendResult>(storage_failure) : Result<AppendResult>(pre.error()));
    }
    for (auto& r : results) {
      if (r) r = storage_failure;
    }
  } else {
    commits_.inc();
    std::uint64_t stored = 0;
    for (const auto& r : results) {
      if (r) stored += r->points.size();
    }
    points_.inc(stored);
    if (stored > 0) note_write(Result<void>{});  // an empty commit wrote nothing, so proves nothing
    // Before the callbacks: they publish the batches, and a viewer that snapshots after seeing one must
    // find it reflected.
    snapshots_.apply_appends(results);
  }
  for (std::size_t i = 0; i < group.size(); ++i) deliver<AppendResult>(group[i].done, std::move(results[i]));
}

}  // namespace fleet::store
