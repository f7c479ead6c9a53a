#pragma once
// MemoryStore: the Store contract without persistence, for tests and benchmarks. Same semantics as
// SqliteStore (per-tenant gap-free seqs, unauthorized for unknown/revoked keys, not_found across tenants,
// (ts, seq) history pagination with a seq cursor, snapshot consistency), but every call completes inline
// on the caller's thread, under one lock, so callbacks still observe commit order.
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/clock.hpp"
#include "store/store.hpp"

namespace fleet::store {

class MemoryStore final : public Store {
 public:
  // `clock` stamps created_ms / revoked_ms and must outlive the store.
  explicit MemoryStore(const Clock& clock = SystemClock::instance());

  // Store interface; see store.hpp and SqliteStore for the shared semantics. Callbacks run inline, while
  // the store's (recursive) lock is held: they may call back into the store but must not wait for
  // another thread that does.
  void append(AppendRequest req, Callback<AppendResult> done) override;
  void create_device(TenantId tenant, std::string name, std::string key_hash, Callback<Device> done) override;
  void revoke_device(TenantId tenant, DeviceId id, Callback<Device> done) override;
  void get_device(TenantId tenant, DeviceId id, Callback<Device> done) override;
  void list_devices(TenantId tenant, Callback<std::vector<Device>> done) override;
  void snapshot(TenantId tenant, Callback<Snapshot> done) override;
  void history(HistoryQuery q, Callback<HistoryPage> done) override;
  void events_after(TenantId tenant, Seq since, std::size_t max_events, Callback<Recovery> done) override;
  // Random per MemoryStore: a new store is a new seq space.
  std::string epoch(const TenantId& tenant) const override;
  bool device_key_active(std::string_view key_hash) const override;
  // Memory never refuses a write: always empty.
  std::string write_failure() const override { return {}; }
  // Afterwards every call fails with unavailable.
  void stop() override;

 private:
  struct DeviceRecord {
    Device device;
    std::vector<StoredPoint> points;  // in seq order
  };
  struct Tenant {
    Seq seq = 0;
    std::vector<std::string> device_ids;  // creation order
  };

  // Runs `op` under the lock and hands its result to `done`, or refuses once stopped.
  template <class T, class Op>
  void locked(const Callback<T>& done, Op op);
  Result<AppendResult> do_append(const AppendRequest& req);
  Result<Device> do_create(const TenantId& tenant, const std::string& name, const std::string& key_hash);
  Result<Device> do_revoke(const TenantId& tenant, const DeviceId& id);
  Result<HistoryPage> do_history(const HistoryQuery& q) const;
  Recovery do_events_after(const TenantId& tenant, Seq since, std::size_t max_events) const;
  Result<Device> do_get(const TenantId& tenant, const DeviceId& id) const;
  Result<Snapshot> do_snapshot(const TenantId& tenant) const;
  const DeviceRecord* find(const TenantId& tenant, const DeviceId& id) const;
  std::vector<Device> devices_of(const TenantId& tenant, bool include_revoked) const;

  const Clock& clock_;
  const std::string store_id_;
  mutable std::recursive_mutex mu_;
  bool stopped_ = false;
  std::unordered_map<std::string, DeviceRecord> devices_;  // device id -> record
  std::unordered_map<std::string, std::string> keys_;      // key hash -> device id
  std::unordered_map<std::string, Tenant> tenants_;
};

}  // namespace fleet::store
