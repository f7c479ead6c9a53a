#pragma once
// The store's SQL, synchronous and single-threaded: SqliteStore's worker thread is its only caller, which
// is what makes its caches (key -> device, tenant -> seq) authoritative without locks.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/result.hpp"
#include "store/key_directory.hpp"
#include "store/sqlite_db.hpp"
#include "store/sqlite_groups.hpp"
#include "store/sqlite_shares.hpp"
#include "store/store.hpp"

namespace fleet::store {

class SqliteRepo {
 public:
  // Rows per INSERT statement. One statement per row spent most of its time in per-statement work
  // (bindings reset, statement journal, VdbeHalt); 64 rows x 13 columns stays far below SQLite's
  // parameter limit. Measured in docs/benchmarks.md ("Profiling notes: ingest").
  static constexpr std::size_t kMaxRowsPerInsert = 64;

  // Takes a migrated database and loads the caches from it.
  static Result<std::unique_ptr<SqliteRepo>> load(std::unique_ptr<Db> db);

  // --- Group commit. Between begin() and commit()/rollback(), stage_append() may be called many times.
  Result<void> begin();
  // Writes what is still staged (remaining rows, each touched tenant's seq, each touched device's last
  // position) and commits; on success the staged tenant seqs become the committed ones. On failure the
  // transaction is rolled back and the staged seqs are discarded, exactly as after rollback().
  Result<void> commit();
  void rollback();
  // Assigns the batch its seqs and stages its rows, the tenant seq and the device's last position. Rows
  // are written in multi-row INSERTs of up to kMaxRowsPerInsert rows, shared across the appends of the
  // group; seqs and last positions are written once per tenant / device in commit(). So `req` must stay
  // alive and unchanged until commit() or rollback() (the rows are bound without copying).
  // An unknown or revoked key fails with unauthorized and an empty batch with invalid_field, both without
  // staging anything, so the transaction stays usable for the other appends. Any other error means the
  // transaction must be rolled back (it may also stem from rows of an earlier append of the group).
  Result<AppendResult> stage_append(const AppendRequest& req);
  // The refusals stage_append() would give (unauthorized, invalid_field) without staging anything, so
  // appends that never reached a failed transaction still get their own answer.
  Result<void> precheck(const AppendRequest& req) const;

  // --- Everything else runs in its own transaction (or a single statement).
  Result<Device> create_device(const TenantId& tenant, const std::string& name, const std::string& key_hash,
                               std::int64_t now_ms);
  Result<Device> revoke_device(const TenantId& tenant, const DeviceId& id, std::int64_t now_ms);
  Result<Device> get_device(const TenantId& tenant, const DeviceId& id);
  Result<std::vector<Device>> list_devices(const TenantId& tenant);
  Result<Snapshot> snapshot(const TenantId& tenant);
  // Every tenant with a row in `tenants` when the repo was loaded (one per tenant that ever had a device).
  std::vector<std::string> loaded_tenants() const;
  Result<HistoryPage> history(const HistoryQuery& q);

  // Store::events_after; outside any transaction (on the store thread, between groups).
  Result<Recovery> events_after(const TenantId& tenant, Seq since, std::size_t max_events);
  // The random id made with the database (schema step 2), loaded with the caches.
  const std::string& store_id() const noexcept { return store_id_; }
  // The share key made with schema step 3 (32 raw bytes), loaded with the caches.
  const std::string& share_key() const noexcept { return share_key_; }

  // Device groups and shares, each change in its own transaction (outside any group commit).
  SqliteGroups& groups() noexcept { return groups_; }
  SqliteShares& shares() noexcept { return shares_; }
  // The only state other threads may read (it locks itself). Shared, because readers may outlive the
  // repo: the store releases the repo when it stops, while requests can still ask.
  std::shared_ptr<const KeyDirectory> active_keys() const noexcept { return active_keys_; }

  // Folds the WAL back into the database file so a clean shutdown leaves one self-contained file.
  Result<void> checkpoint();
  // A real write as small as it gets (one page of `meta` to the WAL and its sync, nothing left behind),
  // to learn whether the disk takes writes again.
  Result<void> probe_write();

 private:
  struct KeyEntry {
    DeviceId device;
    TenantId tenant;
    bool revoked = false;
  };

  // A point waiting for its multi-row INSERT. Everything it points to (the request's point, the key
  // cache entry) outlives the transaction.
  struct PendingRow {
    const TelemetryPoint* point;
    const KeyEntry* dev;
    Seq seq;
    std::int64_t received_ms;
  };
  // The newest staged point of a device: greatest ts, a later seq winning a tie.
  struct StagedLast {
    std::int64_t ts_ms;
    Seq seq;
  };

  explicit SqliteRepo(std::unique_ptr<Db> db);
  Result<void> load_caches();
  // Inserts pending rows in chunks: only full chunks of kMaxRowsPerInsert, or (all) every row, the rest in
  // power-of-two chunks so at most a handful of statements are ever prepared.
  Result<void> flush_rows(bool all);
  void clear_staged();
  Seq current_seq(const std::string& tenant) const;
  Result<std::vector<Device>> query_devices(const TenantId& tenant, const DeviceId* only,
                                            bool include_revoked);

  std::unique_ptr<Db> db_;
  SqliteGroups groups_;                                                           // over *db_
  SqliteShares shares_;                                                           // over *db_
  std::unordered_map<std::string, KeyEntry> keys_;                                // key_hash -> device
  std::shared_ptr<KeyDirectory> active_keys_ = std::make_shared<KeyDirectory>();  // keys_ minus the revoked
  std::unordered_map<std::string, Seq> seqs_;                                     // tenant -> committed seq
  std::unordered_map<std::string, Seq> staged_seqs_;             // tenant -> seq inside the open transaction
  std::unordered_map<const KeyEntry*, StagedLast> staged_last_;  // device -> newest point in the transaction
  std::vector<PendingRow> pending_;                              // staged rows not yet INSERTed
  std::vector<std::string> insert_sql_;                          // [k] = INSERT of 2^k rows
  std::string store_id_;
  std::string share_key_;
};

}  // namespace fleet::store
