#pragma once
// SqliteStore: the embedded, durable Store. One worker thread owns the sqlite3 connection and serves a
// bounded FIFO of requests; consecutive appends are group-committed (one transaction, one fsync) and
// acknowledged only after COMMIT returns. Snapshots of tenants seen before are served from memory
// (SnapshotCache), kept up to date by the worker at every commit.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "store/key_directory.hpp"
#include "store/snapshot_cache.hpp"
#include "store/store.hpp"

namespace fleet::obs {
class Counter;
class Gauge;
}  // namespace fleet::obs

namespace fleet::store {

class SqliteRepo;
class WalCheckpointer;

enum class SyncMode {
  normal,  // WAL + NORMAL: survives a process crash; an OS crash or power loss may lose the last commits
  full,    // WAL + FULL: every acknowledged append survives an OS crash or power loss
};

struct SqliteOptions {
  std::string path;  // database file, created if missing; its directory must exist
  SyncMode synchronous = SyncMode::full;
  std::size_t queue_capacity = 10'000;  // requests waiting for the worker; more -> unavailable
  // Memory the waiting requests may hold (their points, estimated: queue_bytes_of()); more ->
  // unavailable. A request larger than this alone is still taken when nothing else waits.
  std::size_t queue_max_bytes = 64 << 20;
  std::size_t max_batch_points = 10'000;  // points per group commit (one larger append still goes alone)
  int busy_timeout_ms = 5'000;            // only matters if another process opens the file
  // Tenants whose snapshots are kept in memory (each: one Device with its last point per non-revoked
  // device); further tenants are served by the worker as before. 0 = every snapshot queries the database.
  std::size_t snapshot_cache_tenants = 10'000;
  // Checkpoint the WAL from a thread of its own instead of inside the commit that fills it
  // (wal_checkpointer.hpp). Off: SQLite's auto-checkpoint every 10,000 frames.
  bool background_checkpoints = true;
  const Clock* clock = nullptr;  // for created_ms / revoked_ms; nullptr = SystemClock
  // While the last write failed for a storage reason (write_failure()), the idle worker tries a tiny
  // write this often, so readiness comes back by itself once the disk does, even without traffic.
  int storage_probe_interval_ms = 1'000;
  // A registered VFS to run under the store (fault_vfs.hpp, for tests); null = SQLite's default.
  const char* base_vfs = nullptr;
};

// What a queued append is estimated to hold in memory: the request and its points with their strings.
std::size_t queue_bytes_of(const AppendRequest& req) noexcept;

class SqliteStore final : public Store {
 public:
  // Opens or creates the database, applies pending schema migrations, loads the key cache and starts the
  // worker. Any failure (missing directory, not a database, newer schema, WAL unavailable) is an
  // ErrorCode::internal with a message naming the cause; nothing is left running.
  static Result<std::unique_ptr<SqliteStore>> open(const SqliteOptions& options);
  ~SqliteStore() override;  // stop()
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  // Store interface; see store.hpp. Queued requests are served strictly in submission order, so e.g. an
  // append submitted after revoke_device() returned (or after its callback ran) sees the revocation. A
  // snapshot served from memory is the exception: it sees changes whose callbacks have started, not
  // every change submitted before it.
  // Refusals for a full queue or a stopped store are delivered inline, before the call returns.
  void append(AppendRequest req, Callback<AppendResult> done) override;
  void create_device(TenantId tenant, std::string name, std::string key_hash, Callback<Device> done) override;
  void revoke_device(TenantId tenant, DeviceId id, Callback<Device> done) override;
  void get_device(TenantId tenant, DeviceId id, Callback<Device> done) override;
  void list_devices(TenantId tenant, Callback<std::vector<Device>> done) override;
  // The first snapshot of a tenant is queued like any request and caches the answer; later ones are
  // copied from memory and delivered inline, before the call returns, without waking the worker (so also
  // while the queue is full). Either way the snapshot reflects every commit whose callbacks have started
  // and possibly later ones, never a commit that failed. A tenant the database does not know gets its
  // empty snapshot inline too, without being cached.
  void snapshot(TenantId tenant, Callback<Snapshot> done) override;
  // Pages in ascending (ts, seq) order. The cursor after_seq must be the seq of a point of this device
  // (normally next_after of the previous page); the store looks up that point's ts, so pages never skip
  // or repeat points even when timestamps tie or arrive out of order. A cursor naming no point of the
  // device is invalid_field "after". limit is clamped to [1, 1000].
  void history(HistoryQuery q, Callback<HistoryPage> done) override;
  // Queued like any request: it answers from the committed state between two group commits.
  void events_after(TenantId tenant, Seq since, std::size_t max_events, Callback<Recovery> done) override;
  std::string epoch(const TenantId& tenant) const override;
  bool device_key_active(std::string_view key_hash) const override;
  // Set when a commit, create or revoke (or the worker's probe) failed with storage_unavailable, cleared
  // when one succeeds.
  std::string write_failure() const override;
  // Groups and shares are queued like any request; each change is one transaction. Their writes count
  // for write_failure() like a create or revoke.
  void create_group(TenantId tenant, std::string name, std::vector<DeviceId> devices,
                    Callback<Group> done) override;
  void list_groups(TenantId tenant, Callback<std::vector<Group>> done) override;
  void set_group_devices(TenantId tenant, std::string group_id, std::vector<DeviceId> devices,
                         Callback<Group> done) override;
  void delete_group(TenantId tenant, std::string group_id, Callback<Group> done) override;
  void group_members(TenantId tenant, std::vector<std::string> group_ids,
                     Callback<GroupMembers> done) override;
  void create_share(Share share, Callback<Share> done) override;
  void list_shares(TenantId tenant, Callback<std::vector<Share>> done) override;
  void revoke_share(TenantId tenant, std::string share_id, Callback<Share> done) override;
  void active_shares(std::int64_t now_ms, Callback<std::vector<Share>> done) override;
  // Read from the database when it opened; a copy of a constant afterwards.
  std::string share_key() const override { return share_key_; }
  // Refuses new work (snapshots included), serves everything queued, checkpoints the WAL, closes the
  // database and joins the worker. Safe to call repeatedly and from several threads. Called from a store
  // callback it only initiates the shutdown (the worker cannot join itself); the destructor finishes it.
  void stop() override;

 private:
  struct AppendJob {
    AppendRequest req;
    Callback<AppendResult> done;
  };
  // Runs a non-append request on the worker.
  using Task = std::function<void(SqliteRepo&)>;
  using Job = std::variant<AppendJob, Task>;
  struct Queued {
    Job job;
    std::size_t bytes;  // its share of queue_bytes_
  };

  SqliteStore(std::unique_ptr<SqliteRepo> repo, std::unique_ptr<WalCheckpointer> checkpointer,
              const SqliteOptions& options);
  template <class T, class Op>
  void submit(Callback<T> done, Op op);
  // Moves from job only on success; otherwise returns why not (the queue is full, the store stopping).
  std::optional<Error> try_push(Job& job);
  void run();
  void commit_group(std::vector<AppendJob>& group);
  // Records the outcome of a write for write_failure().
  void note_write(const Result<void>& r);
  void note_write(const Error& e);
  // note_write() for the outcome of a change, passed through.
  template <class T>
  Result<T> noted(Result<T> r);
  void probe_storage();

  std::unique_ptr<SqliteRepo> repo_;               // touched only by the worker thread once it runs
  std::unique_ptr<WalCheckpointer> checkpointer_;  // null: SQLite checkpoints inside commits
  SnapshotCache snapshots_;      // written by the worker after each change commits, read by anyone
  const std::string store_id_;   // from the database, read before the worker starts
  const std::string share_key_;  // likewise
  const std::shared_ptr<const KeyDirectory> active_keys_;  // the repo's; outlives it after stop()
  const Clock& clock_;
  const std::size_t queue_capacity_;
  const std::size_t queue_max_bytes_;
  const std::size_t max_batch_points_;
  const std::chrono::milliseconds probe_interval_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Queued> queue_;
  std::size_t queue_bytes_ = 0;  // queue_bytes_of() summed over queue_
  bool stopping_ = false;

  // Whether the last write failed for a storage reason, and its message. Written by the worker, read
  // by anyone (readiness); failure_mu_ is a leaf lock held only to copy the string.
  std::atomic<bool> write_failing_{false};
  mutable std::mutex failure_mu_;
  std::string write_failure_;

  std::mutex join_mu_;  // serialises concurrent stop() calls around join()
  std::thread worker_;

  obs::Counter& commits_;
  obs::Counter& points_;
  obs::Counter& commit_failures_;
  obs::Gauge& queue_depth_;
  obs::Gauge& queue_bytes_gauge_;
  obs::Counter& queue_rejected_;
  obs::Counter& storage_probes_;
};

}  // namespace fleet::store
