#pragma once
// Device groups and shares in PostgreSQL (store.hpp, "Device groups", "Shares"), synchronous over one
// connection. Every change is one transaction: a refused member list or a lost connection leaves the
// group or share as it was. Names are unique per tenant by a UNIQUE constraint, so also across nodes.
#include <cstdint>
#include <string>
#include <vector>

#include "core/ids.hpp"
#include "core/result.hpp"
#include "store/pg_conn.hpp"
#include "store/store.hpp"

namespace fleet::store {

Result<Group> pg_create_group(PgConn& conn, const TenantId& tenant, const std::string& name,
                              std::vector<DeviceId> devices, std::int64_t now_ms);
Result<std::vector<Group>> pg_list_groups(PgConn& conn, const TenantId& tenant);
Result<Group> pg_set_group_devices(PgConn& conn, const TenantId& tenant, const std::string& id,
                                   std::vector<DeviceId> devices);
Result<Group> pg_delete_group(PgConn& conn, const TenantId& tenant, const std::string& id);
Result<GroupMembers> pg_group_members(PgConn& conn, const TenantId& tenant,
                                      const std::vector<std::string>& ids);

Result<Share> pg_create_share(PgConn& conn, Share share, std::int64_t now_ms);
Result<std::vector<Share>> pg_list_shares(PgConn& conn, const TenantId& tenant);
Result<Share> pg_revoke_share(PgConn& conn, const TenantId& tenant, const std::string& id,
                              std::int64_t now_ms);
Result<std::vector<Share>> pg_active_shares(PgConn& conn, std::int64_t now_ms);

}  // namespace fleet::store
