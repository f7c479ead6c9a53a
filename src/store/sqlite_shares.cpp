#include "store/sqlite_shares.hpp"

#include <utility>

#include "store/groups_shares.hpp"
#include "store/random_id.hpp"
#include "store/sqlite_members.hpp"

namespace fleet::store {
namespace {

// One row per shared device, in creation order of the shares and position order within each.
#define FLEET_SHARE_SELECT                                                                      \
  "SELECT s.id, s.tenant_id, s.label, s.created_by, s.created_ms, s.expires_ms, s.revoked_ms, " \
  "sd.device_id FROM shares s LEFT JOIN share_devices sd ON sd.share_id = s.id "

constexpr const char* kSelectTenantShares =
    FLEET_SHARE_SELECT "WHERE s.tenant_id = ?1 ORDER BY s.rowid, sd.position";
constexpr const char* kSelectShare =
    FLEET_SHARE_SELECT "WHERE s.tenant_id = ?1 AND s.id = ?2 ORDER BY sd.position";
constexpr const char* kSelectActiveShares =
    FLEET_SHARE_SELECT "WHERE s.revoked_ms IS NULL AND s.expires_ms > ?1 ORDER BY s.rowid, sd.position";

#undef FLEET_SHARE_SELECT

constexpr const char* kInsertMember =
    "INSERT INTO share_devices (share_id, device_id, position) VALUES (?1, ?2, ?3)";

}  // namespace

template <class Bind>
Result<std::vector<Share>> SqliteShares::query(const char* sql, Bind bind) {
  auto st = db_.prepare(sql);
  if (!st) return st.error();
  bind(**st);
  std::vector<Share> out;
  for (;;) {
    auto row = (*st)->step();
    if (!row) return row.error();
    if (!*row) break;
    const Stmt& r = **st;
    std::string id = r.text(0);
    if (out.empty() || out.back().id != id) {
      out.push_back(Share{std::move(id),
                          TenantId(r.text(1)),
                          r.text(2),
                          r.text(3),
                          {},
                          r.int64(4),
                          r.int64(5),
                          r.opt_int64(6)});
    }
    if (!r.is_null(7)) out.back().devices.emplace_back(r.text(7));
  }
  return out;
}

Result<Share> SqliteShares::create(Share share, std::int64_t now_ms) {
  auto id = new_share_id();
  if (!id) return id.error();
  return in_transaction<Share>(db_, [&]() -> Result<Share> {
    auto members = check_tenant_devices(db_, share.tenant, std::move(share.devices));
    if (!members) return members.error();
    share.id = std::move(*id);
    share.devices = std::move(*members);
    share.created_ms = now_ms;
    share.revoked_ms.reset();
    auto ins = db_.prepare(
        "INSERT INTO shares (id, tenant_id, label, created_by, created_ms, expires_ms) VALUES (?1, ?2, ?3, "
        "?4, ?5, "
        "?6)");
    if (!ins) return ins.error();
    if (auto r = (*ins)
                     ->bind_static(1, share.id)
                     .bind_static(2, share.tenant.str())
                     .bind_static(3, share.label)
                     .bind_static(4, share.created_by)
                     .bind(5, share.created_ms)
                     .bind(6, share.expires_ms)
                     .run();
        !r) {
      return r.error();
    }
    if (auto r = insert_members(db_, kInsertMember, share.id, share.devices); !r) return r.error();
    return std::move(share);
  });
}

Result<std::vector<Share>> SqliteShares::list(const TenantId& tenant) {
  return query(kSelectTenantShares, [&](Stmt& st) { st.bind_static(1, tenant.str()); });
}

Result<Share> SqliteShares::revoke(const TenantId& tenant, const std::string& id, std::int64_t now_ms) {
  // One statement, so atomic without a transaction; revoked_ms IS NULL keeps the first revocation's time.
  auto upd = db_.prepare(
      "UPDATE shares SET revoked_ms = ?3 WHERE id = ?1 AND tenant_id = ?2 AND revoked_ms IS NULL");
  if (!upd) return upd.error();
  if (auto r = (*upd)->bind_static(1, id).bind_static(2, tenant.str()).bind(3, now_ms).run(); !r)
    return r.error();
  auto found = query(kSelectShare, [&](Stmt& st) { st.bind_static(1, tenant.str()).bind_static(2, id); });
  if (!found) return found.error();
  if (found->empty()) return share_not_found();
  return std::move(found->front());
}

Result<std::vector<Share>> SqliteShares::active(std::int64_t now_ms) {
  return query(kSelectActiveShares, [&](Stmt& st) { st.bind(1, now_ms); });
}

}  // namespace fleet::store
