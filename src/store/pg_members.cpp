#include "store/pg_members.hpp"

#include <cstdint>
#include <unordered_set>
#include <utility>

#include "store/groups_shares.hpp"

namespace fleet::store {

Result<std::vector<DeviceId>> pg_check_tenant_devices(PgConn& conn, const TenantId& tenant,
                                                      std::vector<DeviceId> ids) {
  ids = unique_devices(std::move(ids));
  if (ids.empty()) return ids;
  std::vector<std::string_view> names;
  names.reserve(ids.size());
  for (const DeviceId& id : ids) names.emplace_back(id.str());
  // One round trip for the whole list; the first missing one in list order is named.
  auto r = conn.query(
      "SELECT id FROM devices WHERE tenant = $1 AND revoked_ms IS NULL AND id = ANY($2::text[]) FOR SHARE",
      PgParams().add(tenant.str()).add_text_array(names));
  if (!r) return r.error();
  std::unordered_set<std::string_view> found;
  for (int i = 0; i < r->rows(); ++i) found.insert(r->view(i, 0));
  for (const DeviceId& id : ids) {
    if (!found.contains(id.str())) return not_a_tenant_device(id);
  }
  return ids;
}

Result<void> pg_insert_members(PgConn& conn, const std::string& insert_sql, const std::string& owner,
                               const std::vector<DeviceId>& devices) {
  std::int64_t position = 0;
  for (const DeviceId& id : devices) {
    if (auto r = conn.query(insert_sql, PgParams().add(owner).add(id.str()).add(position++)); !r) {
      return r.error();
    }
  }
  return {};
}

}  // namespace fleet::store
