#pragma once
// PgStore: the Store on PostgreSQL, for several fleetd nodes sharing one database (docs/architecture.md,
// "PostgreSQL store"). PostgreSQL is the system of record and each tenant's sequencer: an append takes
// the tenant's next seq range inside the transaction that stores its points, under the tenant row's
// lock, so seq order is commit order across every node.
//
// Threads: a writer lane (one connection) serves appends, group-committed like SqliteStore, and every
// change; a reader lane (a second connection) serves reads and refreshes the key directory from the
// database every 500 ms, so devices created or revoked on another node count here too. Callbacks run on
// the lane that served the request: appends and changes in commit order on the writer, reads on the
// reader. A read reflects every change whose callback has started (it commits before the callback runs).
// Lock order: queue mutexes, then keys_mu_, then failure_mu_; none is held across I/O or a callback.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <variant>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "store/key_directory.hpp"
#include "store/store.hpp"

namespace fleet::obs {
class Counter;
}  // namespace fleet::obs

namespace fleet::store {

class PgConn;
class PgLink;
class PgAppender;
struct PgKeyChange;

struct PgOptions {
  // postgres://user:password@host:port/database?options (or a libpq key=value string). connect_timeout=5
  // is added unless the URI sets its own.
  std::string uri;
  const Clock* clock = &SystemClock::instance();  // for created_ms / revoked_ms
  std::size_t max_queue = 4096;                   // requests waiting per lane; more -> unavailable
  // Every statement must answer within this, or it fails storage_unavailable and its connection is
  // replaced: a hung server (or path to it) makes appends fail and readiness drop instead of stalling.
  std::chrono::milliseconds query_timeout{10'000};
};

class PgStore final : public Store {
 public:
  // Points per group commit (one larger append still goes alone).
  static constexpr std::size_t kMaxBatchPoints = 10'000;
  // How often the key directory asks the database for other nodes' device changes.
  static constexpr std::chrono::milliseconds kKeyRefresh{250};

  // Connects (both lanes), migrates the schema, loads the key directory and starts the lanes. Failures
  // name the cause and never the password: "cannot connect to PostgreSQL at host:port: password
  // authentication failed for user \"x\"", "... database \"x\" does not exist", or "database schema
  // version N is newer than this fleetd (M)". Nothing is left running.
  static Result<std::unique_ptr<PgStore>> open(const PgOptions& options);
  ~PgStore() override;  // stop()
  PgStore(const PgStore&) = delete;
  PgStore& operator=(const PgStore&) = delete;

  // Store interface; see store.hpp. While the database is unreachable, appends and changes fail with
  // storage_unavailable (never a false success) and reads likewise; both lanes reconnect on their own
  // with a backoff of at most 1 s. An append whose COMMIT was sent when the connection broke is answered
  // storage_unavailable although it may have committed: the client retries, nothing acknowledged is lost.
  void append(AppendRequest req, Callback<AppendResult> done) override;
  void create_device(TenantId tenant, std::string name, std::string key_hash, Callback<Device> done) override;
  void revoke_device(TenantId tenant, DeviceId id, Callback<Device> done) override;
  void get_device(TenantId tenant, DeviceId id, Callback<Device> done) override;
  void list_devices(TenantId tenant, Callback<std::vector<Device>> done) override;
  // Never inline: the head seq and the devices are read in one REPEATABLE READ transaction.
  void snapshot(TenantId tenant, Callback<Snapshot> done) override;
  void history(HistoryQuery q, Callback<HistoryPage> done) override;
  void events_after(TenantId tenant, Seq since, std::size_t max_events, Callback<Recovery> done) override;
  std::string epoch(const TenantId& tenant) const override;
  // This store's creates and revokes count from their callbacks on; another node's within kKeyRefresh
  // of its commit (plus the time a refresh query takes).
  bool device_key_active(std::string_view key_hash) const override;
  // Set while the writer cannot reach the database or a write failed for a storage reason; cleared by
  // the next successful write. An idle writer pings the database every second, so the failure shows
  // without traffic too; while it is set, the idle writer tries a tiny write every backoff, so it clears
  // without traffic once the database is back.
  std::string write_failure() const override;
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
  std::string share_key() const override { return share_key_; }
  // Refuses new work, serves everything queued on both lanes, closes the connections and joins the
  // lanes. Safe to call repeatedly and from several threads; called from a callback it only initiates
  // the shutdown (a lane cannot join itself) and the destructor finishes it.
  void stop() override;

 private:
  struct AppendJob {
    AppendRequest req;
    Callback<AppendResult> done;
  };
  // A request run on a lane with its link (the lane's connection).
  using Task = std::function<void(PgLink&)>;
  using Job = std::variant<AppendJob, Task>;

  // A thread with its own connection and FIFO.
  struct Lane {
    std::unique_ptr<PgLink> link;
    std::mutex mu;
    std::condition_variable cv;
    std::deque<Job> queue;  // guarded by mu
    std::thread thread;
  };

  PgStore(const PgOptions& options, std::unique_ptr<PgConn> writer, std::unique_ptr<PgConn> reader,
          std::string store_id, std::string share_key);
  // Moves from job only on success; otherwise returns why not (queue full, store stopping).
  std::optional<Error> try_push(Lane& lane, Job& job);
  // Runs op(PgConn&) -> Result<T> on the lane; `write` says whether its failures count for write_failure.
  template <class T, class Op>
  void submit(Lane& lane, bool write, Callback<T> done, Op op);
  void run_writer();
  void run_reader();
  void commit_group(std::vector<AppendJob>& group);
  void probe_storage();
  // A statement as cheap as it gets, on the writer's connection, to learn that the database is gone
  // before a write does.
  void ping_database();
  void refresh_keys();
  // Applies a key change unless a newer one of the same key was applied already (the writer's own
  // changes and the reader's refreshes race).
  void apply_key(const PgKeyChange& change);
  void note_write(const Error& e);
  void note_write_ok();
  void observe_transaction(std::chrono::steady_clock::time_point started);

  const std::string store_id_;
  const std::string share_key_;
  const Clock& clock_;
  const std::size_t max_queue_;
  const std::unique_ptr<PgAppender> appender_;  // the writer lane's row buffers, reused from group to group
  std::atomic<bool> stopping_{false};

  Lane writer_;
  Lane reader_;

  const std::shared_ptr<KeyDirectory> active_keys_ = std::make_shared<KeyDirectory>();
  std::mutex keys_mu_;                                         // leaf below the lanes' mutexes
  std::unordered_map<std::string, std::int64_t> key_changes_;  // key_hash -> newest change applied
  std::int64_t refresh_cursor_ = 0;  // newest change the refresh has read; reader lane only (after open)
  std::chrono::steady_clock::time_point next_refresh_{};  // reader lane only

  std::atomic<bool> write_failing_{false};
  mutable std::mutex failure_mu_;
  std::string write_failure_;  // guarded by failure_mu_

  std::mutex join_mu_;  // serialises concurrent stop() calls around join()

  obs::Counter& transactions_;
  obs::Counter& transaction_us_;
  obs::Counter& errors_;
};

}  // namespace fleet::store
