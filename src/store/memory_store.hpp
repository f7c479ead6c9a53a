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
  // Random per MemoryStore, like the epoch.
  std::string share_key() const override { return share_key_; }
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
    std::vector<std::string> group_ids;   // creation order
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
  // The list deduplicated, or invalid_field "devices" unless every one is the tenant's and not revoked.
  Result<std::vector<DeviceId>> check_devices(const TenantId& tenant, std::vector<DeviceId> devices) const;
  Result<Group> do_create_group(const TenantId& tenant, const std::string& name,
                                std::vector<DeviceId> devices);
  Result<Group> do_set_group_devices(const TenantId& tenant, const std::string& id,
                                     std::vector<DeviceId> devices);
  Result<Group> do_delete_group(const TenantId& tenant, const std::string& id);
  GroupMembers do_group_members(const TenantId& tenant, const std::vector<std::string>& ids) const;
  Result<Share> do_create_share(Share share);
  Result<Share> do_revoke_share(const TenantId& tenant, const std::string& id);
  // The tenant's group `id`, or null (missing or another tenant's).
  Group* find_group(const TenantId& tenant, const std::string& id);
  // A stored group as readers see it: revoked members left out.
  Group group_view(const Group& g) const;
  std::vector<Device> devices_of(const TenantId& tenant, bool include_revoked) const;

  const Clock& clock_;
  const std::string store_id_;
  mutable std::recursive_mutex mu_;
  bool stopped_ = false;
  std::unordered_map<std::string, DeviceRecord> devices_;  // device id -> record
  std::unordered_map<std::string, std::string> keys_;      // key hash -> device id
  std::unordered_map<std::string, Tenant> tenants_;
  std::unordered_map<std::string, Group> groups_;  // group id -> group (members as given, deduplicated)
  std::unordered_map<std::string, Share> shares_;  // share id -> share
  std::vector<std::string> share_ids_;             // every tenant's, creation order
  const std::string share_key_;
};

}  // namespace fleet::store
