#include "store/sqlite_members.hpp"

#include <cstdint>
#include <utility>

#include "store/groups_shares.hpp"

namespace fleet::store {

Result<std::vector<DeviceId>> check_tenant_devices(Db& db, const TenantId& tenant,
                                                   std::vector<DeviceId> ids) {
  ids = unique_devices(std::move(ids));
  if (ids.empty()) return ids;
  auto st = db.prepare("SELECT 1 FROM devices WHERE id = ?1 AND tenant_id = ?2 AND revoked_ms IS NULL");
  if (!st) return st.error();
  for (const DeviceId& id : ids) {
    (*st)->reset();
    auto row = (*st)->bind_static(1, id.str()).bind_static(2, tenant.str()).step();
    if (!row) return row.error();
    if (!*row) return not_a_tenant_device(id);
  }
  return ids;
}

Result<void> insert_members(Db& db, const char* insert_sql, const std::string& owner,
                            const std::vector<DeviceId>& devices) {
  if (devices.empty()) return {};
  auto st = db.prepare(insert_sql);
  if (!st) return st.error();
  std::int64_t position = 0;
  for (const DeviceId& id : devices) {
    (*st)->reset();
    if (auto r = (*st)->bind_static(1, owner).bind_static(2, id.str()).bind(3, position++).run(); !r)
      return r;
  }
  return {};
}

}  // namespace fleet::store
