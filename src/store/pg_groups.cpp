#include "store/pg_groups.hpp"

#include <utility>

#include "store/groups_shares.hpp"
#include "store/pg_members.hpp"
#include "store/random_id.hpp"

namespace fleet::store {
namespace {

// One row per member (or one with a NULL member for an empty group). Revoked members are filtered in
// C++ rather than in the join, so an empty or all-revoked group still yields its row.
const std::string kGroupSelect =
    "SELECT g.id, g.tenant, g.name, g.created_ms, gd.device_id, d.revoked_ms IS NULL "
    "FROM device_groups g LEFT JOIN group_devices gd ON gd.group_id = g.id "
    "LEFT JOIN devices d ON d.id = gd.device_id ";
const std::string kSelectGroups = kGroupSelect + "WHERE g.tenant = $1 ORDER BY g.ord, gd.position";
const std::string kSelectGroup = kGroupSelect + "WHERE g.tenant = $1 AND g.id = $2 ORDER BY gd.position";
const std::string kInsertGroupMember =
    "INSERT INTO group_devices (group_id, device_id, position) VALUES ($1, $2, $3)";

const std::string kShareSelect =
    "SELECT s.id, s.tenant, s.label, s.created_by, s.created_ms, s.expires_ms, s.revoked_ms, sd.device_id "
    "FROM shares s LEFT JOIN share_devices sd ON sd.share_id = s.id ";
const std::string kSelectTenantShares = kShareSelect + "WHERE s.tenant = $1 ORDER BY s.ord, sd.position";
const std::string kSelectShare = kShareSelect + "WHERE s.tenant = $1 AND s.id = $2 ORDER BY sd.position";
const std::string kSelectActiveShares =
    kShareSelect + "WHERE s.revoked_ms IS NULL AND s.expires_ms > $1 ORDER BY s.ord, sd.position";
const std::string kInsertShareMember =
    "INSERT INTO share_devices (share_id, device_id, position) VALUES ($1, $2, $3)";

Result<std::vector<Group>> query_groups(PgConn& conn, const TenantId& tenant, const std::string* only) {
  PgParams params;
  params.add(tenant.str());
  if (only != nullptr) params.add(*only);
  auto r = conn.query(only != nullptr ? kSelectGroup : kSelectGroups, params);
  if (!r) return r.error();
  std::vector<Group> out;
  for (int i = 0; i < r->rows(); ++i) {
    if (out.empty() || out.back().id != r->view(i, 0)) {
      out.push_back(Group{r->text(i, 0), TenantId(r->text(i, 1)), r->text(i, 2), r->int64(i, 3), {}});
    }
    if (!r->is_null(i, 4) && r->boolean(i, 5)) out.back().devices.emplace_back(r->text(i, 4));
  }
  return out;
}

Result<Group> get_group(PgConn& conn, const TenantId& tenant, const std::string& id) {
  auto groups = query_groups(conn, tenant, &id);
  if (!groups) return groups.error();
  if (groups->empty()) return group_not_found();
  return std::move(groups->front());
}

Result<std::vector<Share>> query_shares(PgConn& conn, const std::string& sql, const PgParams& params) {
  auto r = conn.query(sql, params);
  if (!r) return r.error();
  std::vector<Share> out;
  for (int i = 0; i < r->rows(); ++i) {
    if (out.empty() || out.back().id != r->view(i, 0)) {
      out.push_back(Share{r->text(i, 0),
                          TenantId(r->text(i, 1)),
                          r->text(i, 2),
                          r->text(i, 3),
                          {},
                          r->int64(i, 4),
                          r->int64(i, 5),
                          r->opt_int64(i, 6)});
    }
    if (!r->is_null(i, 7)) out.back().devices.emplace_back(r->text(i, 7));
  }
  return out;
}

}  // namespace

Result<Group> pg_create_group(PgConn& conn, const TenantId& tenant, const std::string& name,
                              std::vector<DeviceId> devices, std::int64_t now_ms) {
  auto id = new_group_id();
  if (!id) return id.error();
  return pg_transaction<Group>(conn, [&]() -> Result<Group> {
    auto members = pg_check_tenant_devices(conn, tenant, std::move(devices));
    if (!members) return members.error();
    // The UNIQUE (tenant, name) constraint answers "taken", atomically across nodes.
    auto ins = conn.query(
        "INSERT INTO device_groups (id, tenant, name, created_ms) VALUES ($1, $2, $3, $4) ON CONFLICT "
        "(tenant, "
        "name) DO NOTHING RETURNING id",
        PgParams().add(*id).add(tenant.str()).add(name).add(now_ms));
    if (!ins) return ins.error();
    if (ins->rows() == 0) return group_name_taken();
    if (auto r = pg_insert_members(conn, kInsertGroupMember, *id, *members); !r) return r.error();
    return Group{*id, tenant, name, now_ms, std::move(*members)};
  });
}

Result<std::vector<Group>> pg_list_groups(PgConn& conn, const TenantId& tenant) {
  return query_groups(conn, tenant, nullptr);
}

Result<Group> pg_set_group_devices(PgConn& conn, const TenantId& tenant, const std::string& id,
                                   std::vector<DeviceId> devices) {
  return pg_transaction<Group>(conn, [&]() -> Result<Group> {
    auto lock = conn.query("SELECT 1 FROM device_groups WHERE tenant = $1 AND id = $2 FOR UPDATE",
                           PgParams().add(tenant.str()).add(id));
    if (!lock) return lock.error();
    if (lock->rows() == 0) return group_not_found();
    auto group = get_group(conn, tenant, id);
    if (!group) return group.error();
    auto members = pg_check_tenant_devices(conn, tenant, std::move(devices));
    if (!members) return members.error();
    if (auto r = conn.query("DELETE FROM group_devices WHERE group_id = $1", PgParams().add(id)); !r) {
      return r.error();
    }
    if (auto r = pg_insert_members(conn, kInsertGroupMember, id, *members); !r) return r.error();
    group->devices = std::move(*members);
    return group;
  });
}

Result<Group> pg_delete_group(PgConn& conn, const TenantId& tenant, const std::string& id) {
  return pg_transaction<Group>(conn, [&]() -> Result<Group> {
    auto group = get_group(conn, tenant, id);
    if (!group) return group.error();
    // group_devices rows go with it (ON DELETE CASCADE).
    auto del = conn.query("DELETE FROM device_groups WHERE tenant = $1 AND id = $2 RETURNING id",
                          PgParams().add(tenant.str()).add(id));
    if (!del) return del.error();
    if (del->rows() == 0) return group_not_found();  // deleted by another node meanwhile
    return group;
  });
}

Result<GroupMembers> pg_group_members(PgConn& conn, const TenantId& tenant,
                                      const std::vector<std::string>& ids) {
  return resolve_group_members(
      ids, [&](const std::string& id) -> Result<std::optional<std::vector<DeviceId>>> {
        auto group = query_groups(conn, tenant, &id);
        if (!group) return group.error();
        if (group->empty()) return std::optional<std::vector<DeviceId>>();
        return std::optional<std::vector<DeviceId>>(std::move(group->front().devices));
      });
}

Result<Share> pg_create_share(PgConn& conn, Share share, std::int64_t now_ms) {
  auto id = new_share_id();
  if (!id) return id.error();
  return pg_transaction<Share>(conn, [&]() -> Result<Share> {
    auto members = pg_check_tenant_devices(conn, share.tenant, std::move(share.devices));
    if (!members) return members.error();
    share.id = std::move(*id);
    share.devices = std::move(*members);
    share.created_ms = now_ms;
    share.revoked_ms.reset();
    auto ins = conn.query(
        "INSERT INTO shares (id, tenant, label, created_by, created_ms, expires_ms) VALUES ($1, $2, $3, $4, "
        "$5, "
        "$6)",
        PgParams()
            .add(share.id)
            .add(share.tenant.str())
            .add(share.label)
            .add(share.created_by)
            .add(share.created_ms)
            .add(share.expires_ms));
    if (!ins) return ins.error();
    if (auto r = pg_insert_members(conn, kInsertShareMember, share.id, share.devices); !r) return r.error();
    return std::move(share);
  });
}

Result<std::vector<Share>> pg_list_shares(PgConn& conn, const TenantId& tenant) {
  return query_shares(conn, kSelectTenantShares, PgParams().add(tenant.str()));
}

Result<Share> pg_revoke_share(PgConn& conn, const TenantId& tenant, const std::string& id,
                              std::int64_t now_ms) {
  // One statement, so atomic without a transaction; revoked_ms IS NULL keeps the first revocation's time.
  auto upd =
      conn.query("UPDATE shares SET revoked_ms = $3 WHERE id = $1 AND tenant = $2 AND revoked_ms IS NULL",
                 PgParams().add(id).add(tenant.str()).add(now_ms));
  if (!upd) return upd.error();
  auto found = query_shares(conn, kSelectShare, PgParams().add(tenant.str()).add(id));
  if (!found) return found.error();
  if (found->empty()) return share_not_found();
  return std::move(found->front());
}

Result<std::vector<Share>> pg_active_shares(PgConn& conn, std::int64_t now_ms) {
  return query_shares(conn, kSelectActiveShares, PgParams().add(now_ms));
}

}  // namespace fleet::store
