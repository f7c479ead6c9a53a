#pragma once
// The device lists of groups and shares in PostgreSQL: checking that a list names only the tenant's
// active devices, and writing it as (owner, device, position) rows. Inside the caller's transaction.
#include <string>
#include <vector>

#include "core/ids.hpp"
#include "core/result.hpp"
#include "store/pg_conn.hpp"

namespace fleet::store {

// The list deduplicated (first place kept), or invalid_field "devices" naming the first device that is
// not one of the tenant's non-revoked devices. Locks the listed device rows (FOR SHARE) so a revoke on
// another node cannot slip in before the caller commits.
Result<std::vector<DeviceId>> pg_check_tenant_devices(PgConn& conn, const TenantId& tenant,
                                                      std::vector<DeviceId> ids);

// One row per device with its position, by `insert_sql` taking ($1 owner id, $2 device id, $3 position).
Result<void> pg_insert_members(PgConn& conn, const std::string& insert_sql, const std::string& owner,
                               const std::vector<DeviceId>& devices);

}  // namespace fleet::store
