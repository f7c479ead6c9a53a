#pragma once
// Device groups in SQLite (store.hpp, "Device groups"): tables device_groups and group_devices (schema
// step 3). Synchronous, on the store thread only (SqliteRepo owns it and is its only caller). Every change
// is one transaction: a refused member list or a failing disk leaves the group as it was.
#include <cstdint>
#include <string>
#include <vector>

#include "core/ids.hpp"
#include "core/result.hpp"
#include "store/sqlite_db.hpp"
#include "store/store.hpp"

namespace fleet::store {

class SqliteGroups {
 public:
  explicit SqliteGroups(Db& db) noexcept : db_(db) {}

  Result<Group> create(const TenantId& tenant, const std::string& name, std::vector<DeviceId> devices,
                       std::int64_t now_ms);
  Result<std::vector<Group>> list(const TenantId& tenant);
  Result<Group> set_devices(const TenantId& tenant, const std::string& id, std::vector<DeviceId> devices);
  Result<Group> remove(const TenantId& tenant, const std::string& id);
  Result<GroupMembers> members(const TenantId& tenant, const std::vector<std::string>& ids);

 private:
  // The tenant's groups (or only group `*only`) in creation order, members in position order, revoked
  // members left out.
  Result<std::vector<Group>> query(const TenantId& tenant, const std::string* only);
  // The tenant's group `id`, or not_found.
  Result<Group> get(const TenantId& tenant, const std::string& id);

  Db& db_;
};

}  // namespace fleet::store
