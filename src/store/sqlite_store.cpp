#include "store/sqlite_store.hpp"

#include <sqlite3.h>

#include <exception>
#include <utility>

#include "obs/log.hpp"
#include "obs/metrics.hpp"
#include "obs/thread_name.hpp"
#include "store/epoch.hpp"
#include "store/sqlite_db.hpp"
#include "store/sqlite_repo.hpp"
#include "store/sqlite_schema.hpp"
#include "store/wal_checkpointer.hpp"
#include "store/wal_write_buffer.hpp"

namespace fleet::store {
namespace {

Error unavailable(const char* why) { return make_error(ErrorCode::unavailable, why); }

// Callbacks belong to other layers; one that throws must not take the store thread (and every pending
// acknowledgement) down with it.
template <class T>
void deliver(const Callback<T>& done, Result<T> r) noexcept {
  try {
    done(std::move(r));
  } catch (const std::exception& e) {
    obs::error("store callback threw", {{"what", e.what()}});
  } catch (...) {
    obs::error("store callback threw");
  }
}

Result<void> configure(Db& db, const SqliteOptions& o) {
  db.set_busy_timeout_ms(o.busy_timeout_ms);
  auto mode = db.query_text("PRAGMA journal_mode = WAL");
  if (!mode) return mode.error();
  if (*mode != "wal") return make_error(ErrorCode::internal, "cannot enable WAL (journal_mode is " + *mode + ")");
  if (auto r = db.exec(o.synchronous == SyncMode::full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
      !r) {
    return r;
  }
  // Without the background checkpointer (wal_checkpointer.hpp), SQLite checkpoints inside the commit that
  // fills the WAL: every ~40 MiB (10,000 pages) rather than its default 1,000, which under ingest copied the
  // same hot B-tree pages (table and index tails) and fsynced the database file every few group commits.
  // journal_size_limit truncates the WAL file back after a checkpoint. Durability is unchanged either way:
  // every commit is fsynced to the WAL (synchronous=FULL).
  if (auto r = db.exec("PRAGMA wal_autocheckpoint = 10000; PRAGMA journal_size_limit = 67108864"); !r) return r;
  return db.exec("PRAGMA foreign_keys = ON");
}

}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const SqliteOptions& options) {
  auto fail = [&options](const Error& e) -> Result<std::unique_ptr<SqliteStore>> {
    obs::error("store open failed", {{"path", options.path}, {"error", e.message}});
    return make_error(ErrorCode::internal, "cannot open store at " + options.path + ": " + e.message);
  };
  if (options.queue_capacity == 0 || options.max_batch_points == 0) {
    return fail(make_error(ErrorCode::internal, "queue_capacity and max_batch_points must be positive"));
  }
  // With synchronous=FULL every commit ends in a WAL sync, which writes the commit's gathered frames in
  // one call and reports its errors: there the WAL write buffer is safe (wal_write_buffer.hpp).
  const char* vfs = options.synchronous == SyncMode::full ? wal_write_buffer_vfs() : nullptr;
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
      obs::warn("background checkpoints unavailable: SQLite checkpoints inside commits", {{"error", c.error().message}});
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
      clock_(options.clock != nullptr ? *options.clock : SystemClock::instance()),
      queue_capacity_(options.queue_capacity),
      max_batch_points_(options.max_batch_points),
      commits_(obs::Registry::global().counter("fleet_store_commits_total", "Store transactions committed.")),
      points_(obs::Registry::global().counter("fleet_store_points_total", "Telemetry points durably stored.")),
      commit_failures_(obs::Registry::global().counter("fleet_store_commit_failures_total",
                                                       "Group commits that failed and were rolled back.")),
      queue_depth_(obs::Registry::global().gauge("fleet_store_queue_depth", "Requests waiting for the store.")) {
  snapshots_.set_known_tenants(repo_->loaded_tenants());  // before the store thread starts
}

SqliteStore::~SqliteStore() { stop(); }

bool SqliteStore::try_push(Job& job) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || queue_.size() >= queue_capacity_) return false;
    queue_.push_back(std::move(job));
    queue_depth_.set(static_cast<std::int64_t>(queue_.size()));
  }
  cv_.notify_one();
  return true;
}

template <class T, class Op>
void SqliteStore::submit(Callback<T> done, Op op) {
  Job job = Task([done = std::move(done), op = std::move(op)](SqliteRepo* repo) {
    if (repo == nullptr) {
      deliver<T>(done, unavailable("store queue full or stopping"));
      return;
    }
    deliver<T>(done, op(*repo));
  });
  if (!try_push(job)) std::get<Task>(job)(nullptr);
}

void SqliteStore::append(AppendRequest req, Callback<AppendResult> done) {
  Job job = AppendJob{std::move(req), std::move(done)};
  if (!try_push(job)) deliver<AppendResult>(std::get<AppendJob>(job).done, unavailable("store queue full or stopping"));
}

void SqliteStore::create_device(TenantId tenant, std::string name, std::string key_hash, Callback<Device> done) {
  submit<Device>(std::move(done), [this, tenant = std::move(tenant), name = std::move(name),
                                   key_hash = std::move(key_hash)](SqliteRepo& repo) {
    auto created = repo.create_device(tenant, name, key_hash, clock_.now_ms());
    if (created) {
      snapshots_.apply_created(*created);
    } else if (created.error().code == ErrorCode::internal) {
      snapshots_.invalidate(tenant);  // a storage error: whether the device exists is no longer known here
    }
    return created;
  });
}

void SqliteStore::revoke_device(TenantId tenant, DeviceId id, Callback<Device> done) {
  submit<Device>(std::move(done), [this, tenant = std::move(tenant), id = std::move(id)](SqliteRepo& repo) {
    auto revoked = repo.revoke_device(tenant, id, clock_.now_ms());
    if (revoked) {
      snapshots_.apply_revoked(tenant, id);
    } else if (revoked.error().code != ErrorCode::not_found) {
      snapshots_.invalidate(tenant);  // the UPDATE may have committed before the error (e.g. in the re-read)
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
  submit<std::vector<Device>>(std::move(done),
                              [tenant = std::move(tenant)](SqliteRepo& repo) { return repo.list_devices(tenant); });
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

std::string SqliteStore::epoch(const TenantId& tenant) const { return tenant_epoch(store_id_, tenant); }

bool SqliteStore::device_key_active(std::string_view key_hash) const {
  return repo_->active_keys().contains(key_hash);
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
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return !queue_.empty() || stopping_; });
      if (queue_.empty()) break;  // stopping, and everything queued has been served
      if (std::holds_alternative<AppendJob>(queue_.front())) {
        // Only consecutive appends join a group: a revoke or create queued between two appends must take
        // effect exactly between them.
        std::size_t points = 0;
        while (!queue_.empty() && std::holds_alternative<AppendJob>(queue_.front())) {
          AppendJob& next = std::get<AppendJob>(queue_.front());
          if (!group.empty() && points + next.req.points.size() > max_batch_points_) break;
          points += next.req.points.size();
          group.push_back(std::move(next));
          queue_.pop_front();
        }
      } else {
        task = std::move(std::get<Task>(queue_.front()));
        queue_.pop_front();
      }
      queue_depth_.set(static_cast<std::int64_t>(queue_.size()));
    }
    if (!group.empty()) {
      commit_group(group);
    } else {
      task(repo_.get());
    }
  }
  if (checkpointer_) checkpointer_->stop();  // its pass must not hold the checkpoint lock now
  if (auto r = repo_->checkpoint(); !r) obs::warn("store checkpoint failed", {{"error", r.error().message}});
  repo_.reset();  // closes the connection on the thread that used it
  obs::info("store stopped");
}

void SqliteStore::commit_group(std::vector<AppendJob>& group) {
  std::vector<Result<AppendResult>> results;
  results.reserve(group.size());
  std::optional<Error> failure;
  if (auto r = repo_->begin(); !r) failure = r.error();
  for (std::size_t i = 0; !failure && i < group.size(); ++i) {
    auto r = repo_->stage_append(group[i].req);
    // unauthorized / invalid_field touched nothing; anything else leaves the transaction suspect.
    if (!r && r.error().code == ErrorCode::internal) {
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
    obs::error("store group commit failed", {{"appends", static_cast<std::uint64_t>(group.size())},
                                             {"error", failure->message}});
    // Nothing of the group was stored, so every append that would have succeeded fails; refusals stay,
    // including those of appends the loop never reached.
    const Error storage_failure = make_error(ErrorCode::internal, "storage failure");
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
    // Before the callbacks: they publish the batches, and a viewer that snapshots after seeing one must
    // find it reflected.
    snapshots_.apply_appends(results);
  }
  for (std::size_t i = 0; i < group.size(); ++i) deliver<AppendResult>(group[i].done, std::move(results[i]));
}

}  // namespace fleet::store
