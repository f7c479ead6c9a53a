#pragma once
// The store's SQL, synchronous and single-threaded: SqliteStore's worker thread is its only caller, which
// is what makes its caches (key -> device, tenant -> seq) authoritative without locks.
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/result.hpp"
#include "store/sqlite_db.hpp"
#include "store/store.hpp"

namespace fleet::store {

class SqliteRepo {
 public:
  // Takes a migrated database and loads the caches from it.
  static Result<std::unique_ptr<SqliteRepo>> load(std::unique_ptr<Db> db);

  // --- Group commit. Between begin() and commit()/rollback(), stage_append() may be called many times.
  Result<void> begin();
  // Commits; on success the staged tenant seqs become the committed ones. On failure the transaction is
  // rolled back and the staged seqs are discarded, exactly as after rollback().
  Result<void> commit();
  void rollback();
  // Inserts the batch and advances the tenant seq and the device's last position. An unknown or revoked
  // key fails with unauthorized and an empty batch with invalid_field, both without touching the database,
  // so the transaction stays usable for the other appends. Any other error means the transaction must be
  // rolled back.
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
  Result<HistoryPage> history(const HistoryQuery& q);

  // Folds the WAL back into the database file so a clean shutdown leaves one self-contained file.
  Result<void> checkpoint();

 private:
  struct KeyEntry {
    DeviceId device;
    TenantId tenant;
    bool revoked = false;
  };

  explicit SqliteRepo(std::unique_ptr<Db> db) : db_(std::move(db)) {}
  Result<void> load_caches();
  Seq current_seq(const std::string& tenant) const;
  Result<std::vector<Device>> query_devices(const TenantId& tenant, const DeviceId* only, bool include_revoked);

  std::unique_ptr<Db> db_;
  std::unordered_map<std::string, KeyEntry> keys_;     // key_hash -> device
  std::unordered_map<std::string, Seq> seqs_;          // tenant -> committed seq
  std::unordered_map<std::string, Seq> staged_seqs_;   // tenant -> seq inside the open transaction
};

}  // namespace fleet::store
