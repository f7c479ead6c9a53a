#include "store/wal_checkpointer.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <utility>

#include "obs/log.hpp"
#include "obs/metrics.hpp"
#include "obs/thread_name.hpp"
#include "store/sqlite_db.hpp"

namespace fleet::store {
namespace {

struct CheckpointMetrics {
  obs::Counter& passes = obs::Registry::global().counter(
      "fleet_store_checkpoint_passes_total", "WAL checkpoint passes by the background checkpointer");
  obs::Counter& writer_runs = obs::Registry::global().counter(
      "fleet_store_checkpoint_writer_runs_total",
      "WAL checkpoints the store thread ran itself (finishing a cycle or at the hard limit)");
  obs::Counter& failures = obs::Registry::global().counter(
      "fleet_store_checkpoint_failures_total", "WAL checkpoints that failed (the next one tries again)");
  obs::Counter& writer_waits =
      obs::Registry::global().counter("fleet_store_checkpoint_writer_waits_total",
                                      "Commits that reached the WAL's hard limit and waited for a background "
                                      "pass (the disk is not keeping up)");
  static CheckpointMetrics& get() {
    static CheckpointMetrics m;
    return m;
  }
};

[[maybe_unused]] const CheckpointMetrics& registered_checkpoint_metrics = CheckpointMetrics::get();

}  // namespace

Result<std::unique_ptr<WalCheckpointer>> WalCheckpointer::open(const WalCheckpointerOptions& options) {
  if (options.finish_frames < 0 || options.start_frames <= options.finish_frames ||
      options.hard_limit_frames <= options.start_frames) {
    return make_error(ErrorCode::internal,
                      "checkpointer thresholds must satisfy finish < start < hard limit");
  }
  auto db = Db::open(options.path, options.vfs);
  if (!db) return db.error();
  // A checkpoint fsyncs the database file before the WAL may be reused, at any level above OFF.
  if (auto r = (*db)->exec("PRAGMA synchronous = FULL"); !r) return r.error();
  std::unique_ptr<WalCheckpointer> self(new WalCheckpointer(std::move(*db), options));
  self->thread_ = std::thread([p = self.get()] {
    obs::set_thread_name("fleet-ckpt");
    p->run();
  });
  return self;
}

WalCheckpointer::WalCheckpointer(std::unique_ptr<Db> db, const WalCheckpointerOptions& options)
    : db_(std::move(db)), options_(options), next_pass_frames_(options.start_frames) {}

WalCheckpointer::~WalCheckpointer() { stop(); }

void WalCheckpointer::attach(sqlite3* writer) { sqlite3_wal_hook(writer, &WalCheckpointer::on_commit, this); }

void WalCheckpointer::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  pass_done_.notify_all();
  if (thread_.joinable()) thread_.join();
}

WalCheckpointerStats WalCheckpointer::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

int WalCheckpointer::on_commit(void* self, sqlite3* writer, const char* /*schema*/, int frames) {
  static_cast<WalCheckpointer*>(self)->after_commit(writer, frames);
  return SQLITE_OK;  // the commit itself succeeded whatever happens here
}

void WalCheckpointer::after_commit(sqlite3* writer, int frames) {
  enum class Action { none, finish, force } action = Action::none;
  bool wake = false;
  int copied_before = 0;
  {
    std::unique_lock lock(mu_);
    if (stopping_) return;
    stats_.wal_frames = frames;
    if (frames >= options_.hard_limit_frames && requested_) {
      // Passes are not keeping up. A checkpoint of our own would only find the lock taken: wait for the
      // running pass, then copy what it left (below).
      ++stats_.writer_waits;
      CheckpointMetrics::get().writer_waits.inc();
      pass_done_.wait(lock, [this] { return stopping_ || !requested_; });
      if (stopping_) return;
    }
    if (failed_) {
      // Not again after every commit (another process may hold the checkpoint lock): after another
      // start_frames of WAL. The hard limit below still bounds the WAL.
      failed_ = false;
      next_pass_frames_ = frames + options_.start_frames;
    }
    const bool after_pass = std::exchange(done_, false);
    if (after_pass) copied_before = backfilled_;
    if (after_pass && frames - backfilled_ <= options_.finish_frames) {
      action = Action::finish;
    } else if (!requested_) {  // never set after a pass: the pass cleared it
      if (frames >= options_.hard_limit_frames) {
        action = Action::force;  // passes fall behind or keep failing: do what SQLite's auto-checkpoint would
      } else if (after_pass || frames >= next_pass_frames_) {
        requested_ = wake = true;  // after a pass, another: it copies only the frames committed during it
      }
    }
  }
  if (wake) cv_.notify_one();
  if (action != Action::none) writer_checkpoint(writer, frames, copied_before, action == Action::force);
}

void WalCheckpointer::writer_checkpoint(sqlite3* writer, int frames, int copied_before, bool forced) {
  // Inside the commit hook, as SQLite's own auto-checkpoint runs: the write lock is already released.
  int log = 0, checkpointed = 0;
  const int rc = sqlite3_wal_checkpoint_v2(writer, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &checkpointed);
  auto& metrics = CheckpointMetrics::get();
  std::lock_guard lock(mu_);
  if (rc != SQLITE_OK) {
    ++stats_.failures;
    metrics.failures.inc();
    obs::warn("store checkpoint failed", {{"error", sqlite3_errstr(rc)}, {"by", "writer"}});
    return;
  }
  forced ? ++stats_.forced : ++stats_.finishes;
  next_pass_frames_ = options_.start_frames;  // the WAL starts over with the next transaction
  metrics.writer_runs.inc();
  stats_.writer_frames_max = std::max(stats_.writer_frames_max, std::max(0, frames - copied_before));
}

void WalCheckpointer::run() {
  auto& metrics = CheckpointMetrics::get();
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || (requested_ && !done_); });
      if (stopping_) break;
    }
    int log = 0, checkpointed = 0;
    const int rc =
        sqlite3_wal_checkpoint_v2(db_->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &checkpointed);
    std::unique_lock lock(mu_);
    requested_ = false;
    if (rc == SQLITE_OK) {
      done_ = true;
      backfilled_ = checkpointed;
      ++stats_.passes;
      metrics.passes.inc();
    } else {
      failed_ = true;
      ++stats_.failures;
      metrics.failures.inc();
      obs::warn("store checkpoint failed", {{"error", sqlite3_errstr(rc)}, {"by", "checkpointer"}});
    }
    lock.unlock();
    pass_done_.notify_all();
  }
  db_.reset();  // closed on the thread that used it
}

}  // namespace fleet::store
