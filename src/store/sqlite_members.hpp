#pragma once
// The device lists of groups and shares in SQLite: checking that a list names only the tenant's active
// devices, and writing it as (owner, device, position) rows. Inside the caller's transaction, on the
// store thread.
#include <string>
#include <vector>

#include "core/ids.hpp"
#include "core/result.hpp"
#include "store/sqlite_db.hpp"

namespace fleet::store {

// The list deduplicated (first place kept), or invalid_field "devices" naming the first device that is
// not one of the tenant's non-revoked devices.
Result<std::vector<DeviceId>> check_tenant_devices(Db& db, const TenantId& tenant, std::vector<DeviceId> ids);

// Inserts one row per device with its position, by `insert_sql` taking (?1 owner id, ?2 device id,
// ?3 position).
Result<void> insert_members(Db& db, const char* insert_sql, const std::string& owner,
                            const std::vector<DeviceId>& devices);

}  // namespace fleet::store
