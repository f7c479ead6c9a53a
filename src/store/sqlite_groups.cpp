#include "store/sqlite_groups.hpp"

#include <utility>

#include "store/groups_shares.hpp"
#include "store/random_id.hpp"
#include "store/sqlite_members.hpp"

namespace fleet::store {
namespace {

// One row per member (or one with a NULL member for an empty group). Revoked members are filtered in
// C++ rather than in the join, so an empty or all-revoked group still yields its row.
#define FLEET_GROUP_SELECT                                                              \
  "SELECT g.id, g.tenant_id, g.name, g.created_ms, gd.device_id, d.revoked_ms IS NULL " \
  "FROM device_groups g LEFT JOIN group_devices gd ON gd.group_id = g.id "              \
  "LEFT JOIN devices d ON d.id = gd.device_id "

constexpr const char* kSelectGroups =
    FLEET_GROUP_SELECT "WHERE g.tenant_id = ?1 ORDER BY g.rowid, gd.position";
constexpr const char* kSelectGroup =
    FLEET_GROUP_SELECT "WHERE g.tenant_id = ?1 AND g.id = ?2 ORDER BY gd.position";

#undef FLEET_GROUP_SELECT

constexpr const char* kInsertMember =
    "INSERT INTO group_devices (group_id, device_id, position) VALUES (?1, ?2, ?3)";

}  // namespace

Result<std::vector<Group>> SqliteGroups::query(const TenantId& tenant, const std::string* only) {
  auto st = db_.prepare(only != nullptr ? kSelectGroup : kSelectGroups);
  if (!st) return st.error();
  (*st)->bind_static(1, tenant.str());
  if (only != nullptr) (*st)->bind_static(2, *only);
  std::vector<Group> out;
  for (;;) {
    auto row = (*st)->step();
    if (!row) return row.error();
    if (!*row) break;
    std::string id = (*st)->text(0);
    if (out.empty() || out.back().id != id) {
      out.push_back(Group{std::move(id), TenantId((*st)->text(1)), (*st)->text(2), (*st)->int64(3), {}});
    }
    if (!(*st)->is_null(4) && (*st)->int64(5) != 0) out.back().devices.emplace_back((*st)->text(4));
  }
  return out;
}

Result<Group> SqliteGroups::get(const TenantId& tenant, const std::string& id) {
  auto groups = query(tenant, &id);
  if (!groups) return groups.error();
  if (groups->empty()) return group_not_found();
  return std::move(groups->front());
}

Result<Group> SqliteGroups::create(const TenantId& tenant, const std::string& name,
                                   std::vector<DeviceId> devices, std::int64_t now_ms) {
  auto id = new_group_id();
  if (!id) return id.error();
  return in_transaction<Group>(db_, [&]() -> Result<Group> {
    auto members = check_tenant_devices(db_, tenant, std::move(devices));
    if (!members) return members.error();
    // Asked first rather than read from the UNIQUE constraint's failure, which SQLite reports only as a
    // message; the constraint stays as the schema's own guarantee.
    auto taken = db_.prepare("SELECT 1 FROM device_groups WHERE tenant_id = ?1 AND name = ?2");
    if (!taken) return taken.error();
    auto row = (*taken)->bind_static(1, tenant.str()).bind_static(2, name).step();
    if (!row) return row.error();
    if (*row) return group_name_taken();

    auto ins =
        db_.prepare("INSERT INTO device_groups (id, tenant_id, name, created_ms) VALUES (?1, ?2, ?3, ?4)");
    if (!ins) return ins.error();
    if (auto r = (*ins)
                     ->bind_static(1, *id)
                     .bind_static(2, tenant.str())
                     .bind_static(3, name)
                     .bind(4, now_ms)
                     .run();
        !r) {
      return r.error();
    }
    if (auto r = insert_members(db_, kInsertMember, *id, *members); !r) return r.error();
    return Group{*id, tenant, name, now_ms, std::move(*members)};
  });
}

Result<std::vector<Group>> SqliteGroups::list(const TenantId& tenant) { return query(tenant, nullptr); }

Result<Group> SqliteGroups::set_devices(const TenantId& tenant, const std::string& id,
                                        std::vector<DeviceId> devices) {
  return in_transaction<Group>(db_, [&]() -> Result<Group> {
    auto group = get(tenant, id);
    if (!group) return group.error();
    auto members = check_tenant_devices(db_, tenant, std::move(devices));
    if (!members) return members.error();
    auto del = db_.prepare("DELETE FROM group_devices WHERE group_id = ?1");
    if (!del) return del.error();
    if (auto r = (*del)->bind_static(1, id).run(); !r) return r.error();
    if (auto r = insert_members(db_, kInsertMember, id, *members); !r) return r.error();
    group->devices = std::move(*members);
    return group;
  });
}

Result<Group> SqliteGroups::remove(const TenantId& tenant, const std::string& id) {
  return in_transaction<Group>(db_, [&]() -> Result<Group> {
    auto group = get(tenant, id);
    if (!group) return group.error();
    auto members = db_.prepare("DELETE FROM group_devices WHERE group_id = ?1");
    if (!members) return members.error();
    if (auto r = (*members)->bind_static(1, id).run(); !r) return r.error();
    auto del = db_.prepare("DELETE FROM device_groups WHERE id = ?1");
    if (!del) return del.error();
    if (auto r = (*del)->bind_static(1, id).run(); !r) return r.error();
    return group;
  });
}

Result<GroupMembers> SqliteGroups::members(const TenantId& tenant, const std::vector<std::string>& ids) {
  return resolve_group_members(
      ids, [&](const std::string& id) -> Result<std::optional<std::vector<DeviceId>>> {
        auto group = query(tenant, &id);
        if (!group) return group.error();
        if (group->empty()) return std::optional<std::vector<DeviceId>>();
        return std::optional<std::vector<DeviceId>>(std::move(group->front().devices));
      });
}

}  // namespace fleet::store
