#include "store/sqlite_repo.hpp"

#include <algorithm>
#include <limits>
#include <utility>

#include "store/groups_shares.hpp"
#include "store/random_id.hpp"

namespace fleet::store {
namespace {

constexpr std::size_t kMaxHistoryLimit = 1000;

// Column list shared by every query that reads a point, so read_point() has one layout to follow.
#define FLEET_POINT_COLUMNS                                                                              \
  "t.seq, t.device_id, t.received_ms, t.ts_ms, t.lat, t.lon, t.speed_kph, t.heading_deg, t.altitude_m, " \
  "t.accuracy_m, t.battery_pct, t.attributes_json"

#define FLEET_DEVICE_SELECT                                                            \
  "SELECT d.id, d.tenant_id, d.name, d.created_ms, d.revoked_ms, " FLEET_POINT_COLUMNS \
  " FROM devices d LEFT JOIN telemetry t ON t.tenant_id = d.tenant_id AND t.seq = d.last_seq "

constexpr const char* kSelectOneDevice = FLEET_DEVICE_SELECT "WHERE d.tenant_id = ?1 AND d.id = ?2";
constexpr const char* kSelectAllDevices = FLEET_DEVICE_SELECT "WHERE d.tenant_id = ?1 ORDER BY d.rowid";
constexpr const char* kSelectActiveDevices =
    FLEET_DEVICE_SELECT "WHERE d.tenant_id = ?1 AND d.revoked_ms IS NULL ORDER BY d.rowid";

constexpr int kInsertColumns = 13;
constexpr const char* kInsertHead =
    "INSERT INTO telemetry (tenant_id, seq, device_id, ts_ms, received_ms, lat, lon, speed_kph, heading_deg, "
    "altitude_m, accuracy_m, battery_pct, attributes_json) VALUES ";

// INSERT ... VALUES (?,...,?),(?,...,?)... for `rows` rows; parameters are numbered in order.
std::string insert_sql(std::size_t rows) {
  std::string sql = kInsertHead;
  for (std::size_t r = 0; r < rows; ++r) {
    sql += r == 0 ? "(" : ",(";
    for (int c = 0; c < kInsertColumns; ++c) sql += c == 0 ? "?" : ",?";
    sql += ')';
  }
  return sql;
}
constexpr const char* kUpdateTenantSeq = "UPDATE tenants SET seq = ?2 WHERE tenant_id = ?1";
// "Last" is newest by device time; a later seq wins a tie, and the new seq is always the latest.
constexpr const char* kUpdateLast =
    "UPDATE devices SET last_seq = ?2, last_ts_ms = ?3 WHERE id = ?1 AND (last_ts_ms IS NULL OR last_ts_ms "
    "<= ?3)";

constexpr const char* kHistory = "SELECT " FLEET_POINT_COLUMNS
                                 " FROM telemetry t WHERE t.device_id = ?1 AND t.ts_ms >= ?2 AND t.ts_ms < "
                                 "?3 AND (t.ts_ms, t.seq) > (?4, ?5)"
                                 " ORDER BY t.ts_ms, t.seq LIMIT ?6";

constexpr const char* kEventsAfter =
    "SELECT " FLEET_POINT_COLUMNS
    " FROM telemetry t WHERE t.tenant_id = ?1 AND t.seq > ?2 ORDER BY t.seq LIMIT ?3";

#undef FLEET_DEVICE_SELECT
#undef FLEET_POINT_COLUMNS

StoredPoint read_point(const Stmt& st, int c) {
  StoredPoint sp;
  sp.seq = static_cast<Seq>(st.int64(c));
  sp.device = DeviceId(st.text(c + 1));
  sp.received_ms = st.int64(c + 2);
  TelemetryPoint& p = sp.point;
  p.ts_ms = st.int64(c + 3);
  p.lat = st.real(c + 4);
  p.lon = st.real(c + 5);
  p.speed_kph = st.opt_real(c + 6);
  p.heading_deg = st.opt_real(c + 7);
  p.altitude_m = st.opt_real(c + 8);
  p.accuracy_m = st.opt_real(c + 9);
  p.battery_pct = st.opt_real(c + 10);
  p.attributes_json = st.text(c + 11);
  return sp;
}

Device read_device(const Stmt& st) {
  Device d;
  d.id = DeviceId(st.text(0));
  d.tenant = TenantId(st.text(1));
  d.name = st.text(2);
  d.created_ms = st.int64(3);
  d.revoked_ms = st.opt_int64(4);
  if (!st.is_null(5)) d.last = read_point(st, 5);
  return d;
}

Error not_found() { return make_error(ErrorCode::not_found, "no such device"); }

}  // namespace

SqliteRepo::SqliteRepo(std::unique_ptr<Db> db) : db_(std::move(db)), groups_(*db_), shares_(*db_) {
  for (std::size_t rows = 1; rows <= kMaxRowsPerInsert; rows *= 2) insert_sql_.push_back(insert_sql(rows));
}

Result<std::unique_ptr<SqliteRepo>> SqliteRepo::load(std::unique_ptr<Db> db) {
  std::unique_ptr<SqliteRepo> repo(new SqliteRepo(std::move(db)));
  if (auto r = repo->load_caches(); !r) return r.error();
  return repo;
}

Result<void> SqliteRepo::load_caches() {
  auto keys = db_->prepare("SELECT key_hash, id, tenant_id, revoked_ms IS NOT NULL FROM devices");
  if (!keys) return keys.error();
  for (;;) {
    auto row = (*keys)->step();
    if (!row) return row.error();
    if (!*row) break;
    const bool revoked = (*keys)->int64(3) != 0;
    keys_[(*keys)->text(0)] = KeyEntry{DeviceId((*keys)->text(1)), TenantId((*keys)->text(2)), revoked};
    if (!revoked) active_keys_->insert((*keys)->text(0));
  }
  auto id = db_->query_text("SELECT value FROM meta WHERE key = 'store_id'");
  if (!id) return id.error();
  if (id->empty()) return make_error(ErrorCode::internal, "database has an empty store id");
  store_id_ = std::move(*id);
  auto share_key = db_->query_text("SELECT value FROM meta WHERE key = 'share_key'");
  if (!share_key) return share_key.error();
  share_key_ = decode_share_key(*share_key);
  if (share_key_.empty()) return make_error(ErrorCode::internal, "database has a malformed share key");
  auto seqs = db_->prepare("SELECT tenant_id, seq FROM tenants");
  if (!seqs) return seqs.error();
  for (;;) {
    auto row = (*seqs)->step();
    if (!row) return row.error();
    if (!*row) break;
    seqs_[(*seqs)->text(0)] = static_cast<Seq>((*seqs)->int64(1));
  }
  return {};
}

std::vector<std::string> SqliteRepo::loaded_tenants() const {
  std::vector<std::string> out;
  out.reserve(seqs_.size());
  for (const auto& entry : seqs_) out.push_back(entry.first);
  return out;
}

Seq SqliteRepo::current_seq(const std::string& tenant) const {
  if (auto it = staged_seqs_.find(tenant); it != staged_seqs_.end()) return it->second;
  if (auto it = seqs_.find(tenant); it != seqs_.end()) return it->second;
  return 0;
}

void SqliteRepo::clear_staged() {
  staged_seqs_.clear();
  staged_last_.clear();
  pending_.clear();
}

Result<void> SqliteRepo::begin() {
  clear_staged();
  // IMMEDIATE takes the write lock now, so COMMIT cannot fail with SQLITE_BUSY on lock upgrade.
  return db_->exec("BEGIN IMMEDIATE");
}

Result<void> SqliteRepo::flush_rows(bool all) {
  std::size_t done = 0;
  while (done < pending_.size()) {
    const std::size_t left = pending_.size() - done;
    if (!all && left < kMaxRowsPerInsert) break;
    std::size_t level = 0;  // the largest power of two <= min(left, kMaxRowsPerInsert)
    while (level + 1 < insert_sql_.size() && (std::size_t{2} << level) <= left) ++level;
    const std::size_t rows = std::size_t{1} << level;
    auto insert = db_->prepare(insert_sql_[level].c_str());
    if (!insert) return insert.error();
    Stmt& ins = **insert;
    int c = 1;
    for (std::size_t i = done; i < done + rows; ++i, c += kInsertColumns) {
      const PendingRow& row = pending_[i];
      const TelemetryPoint& p = *row.point;
      // Text is bound without copies: the key cache and the request outlive the statement's execution.
      ins.bind_static(c, row.dev->tenant.str())
          .bind(c + 1, static_cast<std::int64_t>(row.seq))
          .bind_static(c + 2, row.dev->device.str())
          .bind(c + 3, p.ts_ms)
          .bind(c + 4, row.received_ms)
          .bind(c + 5, p.lat)
          .bind(c + 6, p.lon)
          .bind(c + 7, p.speed_kph)
          .bind(c + 8, p.heading_deg)
          .bind(c + 9, p.altitude_m)
          .bind(c + 10, p.accuracy_m)
          .bind(c + 11, p.battery_pct);
      if (p.attributes_json.empty()) {
        ins.bind_null(c + 12);
      } else {
        ins.bind_static(c + 12, p.attributes_json);
      }
    }
    if (auto r = ins.run(); !r) return r.error();
    done += rows;
  }
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(done));
  return {};
}

Result<void> SqliteRepo::commit() {
  auto finish = [this]() -> Result<void> {
    if (auto r = flush_rows(true); !r) return r;
    // Once per tenant and per device of the group, not once per append: same end state, fewer statements.
    for (const auto& [tenant, seq] : staged_seqs_) {
      auto st = db_->prepare(kUpdateTenantSeq);
      if (!st) return st.error();
      if (auto r = (*st)->bind_static(1, tenant).bind(2, static_cast<std::int64_t>(seq)).run(); !r) return r;
    }
    for (const auto& [dev, last] : staged_last_) {
      auto st = db_->prepare(kUpdateLast);
      if (!st) return st.error();
      if (auto r = (*st)
                       ->bind_static(1, dev->device.str())
                       .bind(2, static_cast<std::int64_t>(last.seq))
                       .bind(3, last.ts_ms)
                       .run();
          !r) {
        return r;
      }
    }
    return db_->exec("COMMIT");
  };
  if (auto r = finish(); !r) {
    rollback();
    return r.error();
  }
  for (auto& [tenant, seq] : staged_seqs_) seqs_[tenant] = seq;
  clear_staged();
  return {};
}

void SqliteRepo::rollback() {
  // Fails harmlessly when SQLite already rolled back on its own (e.g. after SQLITE_FULL).
  (void)db_->exec("ROLLBACK");
  clear_staged();
}

Result<void> SqliteRepo::precheck(const AppendRequest& req) const {
  auto key = keys_.find(req.key_hash);
  if (key == keys_.end() || key->second.revoked) {
    return make_error(ErrorCode::unauthorized, "unknown or revoked device key");
  }
  if (req.points.empty()) return Error{ErrorCode::invalid_field, "empty batch", std::nullopt, "points"};
  return {};
}

Result<AppendResult> SqliteRepo::stage_append(const AppendRequest& req) {
  if (auto r = precheck(req); !r) return r.error();
  const KeyEntry& dev = keys_.at(req.key_hash);

  AppendResult out;
  out.tenant = dev.tenant;
  out.device = dev.device;
  out.points.reserve(req.points.size());
  Seq seq = current_seq(dev.tenant.str());
  // "Last" is newest by device time; a later seq wins a tie (the same rule as kUpdateLast's condition).
  auto last = staged_last_.try_emplace(&dev, StagedLast{req.points.front().ts_ms, seq + 1}).first;
  for (const TelemetryPoint& p : req.points) {
    ++seq;
    pending_.push_back(PendingRow{&p, &dev, seq, req.received_ms});
    if (p.ts_ms >= last->second.ts_ms) last->second = StagedLast{p.ts_ms, seq};
    out.points.push_back(StoredPoint{seq, dev.device, req.received_ms, p});
  }
  staged_seqs_[dev.tenant.str()] = seq;
  out.last_seq = seq;
  if (pending_.size() >= kMaxRowsPerInsert) {
    if (auto r = flush_rows(false); !r) return r.error();
  }
  return out;
}

Result<Device> SqliteRepo::create_device(const TenantId& tenant, const std::string& name,
                                         const std::string& key_hash, std::int64_t now_ms) {
  if (key_hash.empty()) return Error{ErrorCode::invalid_field, "empty key hash", std::nullopt, "key_hash"};
  // The cache holds every key ever registered (revoked included), so it answers uniqueness exactly.
  if (keys_.contains(key_hash)) {
    return Error{ErrorCode::invalid_field, "key already registered", std::nullopt, "key_hash"};
  }
  auto id = new_device_id();
  if (!id) return id.error();

  if (auto r = db_->exec("BEGIN IMMEDIATE"); !r) return r.error();
  auto run = [&]() -> Result<void> {
    auto t = db_->prepare("INSERT OR IGNORE INTO tenants (tenant_id, seq) VALUES (?1, 0)");
    if (!t) return t.error();
    if (auto r = (*t)->bind(1, tenant.str()).run(); !r) return r;
    auto d = db_->prepare(
        "INSERT INTO devices (id, tenant_id, name, key_hash, created_ms) VALUES (?1, ?2, ?3, ?4, ?5)");
    if (!d) return d.error();
    if (auto r =
            (*d)->bind(1, *id).bind(2, tenant.str()).bind(3, name).bind(4, key_hash).bind(5, now_ms).run();
        !r) {
      return r;
    }
    return db_->exec("COMMIT");
  };
  if (auto r = run(); !r) {
    (void)db_->exec("ROLLBACK");
    return r.error();
  }
  keys_[key_hash] = KeyEntry{DeviceId(*id), tenant, false};
  active_keys_->insert(key_hash);
  seqs_.try_emplace(tenant.str(), 0);
  return Device{DeviceId(*id), tenant, name, now_ms, std::nullopt, std::nullopt};
}

Result<Device> SqliteRepo::revoke_device(const TenantId& tenant, const DeviceId& id, std::int64_t now_ms) {
  auto find = db_->prepare("SELECT key_hash, revoked_ms FROM devices WHERE id = ?1 AND tenant_id = ?2");
  if (!find) return find.error();
  auto row = (*find)->bind(1, id.str()).bind(2, tenant.str()).step();
  if (!row) return row.error();
  if (!*row) return not_found();
  const std::string key_hash = (*find)->text(0);
  const bool already = !(*find)->is_null(1);
  (*find)->reset();
  if (!already) {
    auto upd = db_->prepare("UPDATE devices SET revoked_ms = ?2 WHERE id = ?1");
    if (!upd) return upd.error();
    if (auto r = (*upd)->bind(1, id.str()).bind(2, now_ms).run(); !r) return r.error();
  }
  // Only after the UPDATE committed: appends dequeued from now on see the revocation.
  if (auto it = keys_.find(key_hash); it != keys_.end()) it->second.revoked = true;
  active_keys_->erase(key_hash);
  return get_device(tenant, id);
}

Result<std::vector<Device>> SqliteRepo::query_devices(const TenantId& tenant, const DeviceId* only,
                                                      bool include_revoked) {
  const char* sql = only != nullptr   ? kSelectOneDevice
                    : include_revoked ? kSelectAllDevices
                                      : kSelectActiveDevices;
  auto st = db_->prepare(sql);
  if (!st) return st.error();
  (*st)->bind(1, tenant.str());
  if (only != nullptr) (*st)->bind(2, only->str());
  std::vector<Device> out;
  for (;;) {
    auto row = (*st)->step();
    if (!row) return row.error();
    if (!*row) break;
    out.push_back(read_device(**st));
  }
  return out;
}

Result<Device> SqliteRepo::get_device(const TenantId& tenant, const DeviceId& id) {
  auto devices = query_devices(tenant, &id, true);
  if (!devices) return devices.error();
  if (devices->empty()) return not_found();
  return std::move(devices->front());
}

Result<std::vector<Device>> SqliteRepo::list_devices(const TenantId& tenant) {
  return query_devices(tenant, nullptr, true);
}

Result<Snapshot> SqliteRepo::snapshot(const TenantId& tenant) {
  auto devices = query_devices(tenant, nullptr, false);
  if (!devices) return devices.error();
  return Snapshot{current_seq(tenant.str()), std::move(*devices)};
}

Result<HistoryPage> SqliteRepo::history(const HistoryQuery& q) {
  auto owner = db_->prepare("SELECT 1 FROM devices WHERE id = ?1 AND tenant_id = ?2");
  if (!owner) return owner.error();
  auto owned = (*owner)->bind(1, q.device.str()).bind(2, q.tenant.str()).step();
  if (!owned) return owned.error();
  if (!*owned) return not_found();

  // The cursor is a seq; its ts comes from the row itself, which makes (ts, seq) a total order to resume
  // from without trusting the client with two values.
  std::int64_t after_ts = std::numeric_limits<std::int64_t>::min();
  std::int64_t after_seq = 0;
  if (q.after_seq) {
    auto cur = db_->prepare("SELECT ts_ms, device_id FROM telemetry WHERE tenant_id = ?1 AND seq = ?2");
    if (!cur) return cur.error();
    auto row = (*cur)->bind(1, q.tenant.str()).bind(2, static_cast<std::int64_t>(*q.after_seq)).step();
    if (!row) return row.error();
    if (!*row || (*cur)->text(1) != q.device.str()) {
      return Error{ErrorCode::invalid_field, "cursor does not name a point of this device", std::nullopt,
                   "after"};
    }
    after_ts = (*cur)->int64(0);
    after_seq = static_cast<std::int64_t>(*q.after_seq);
  }

  const std::size_t limit = std::clamp<std::size_t>(q.limit, 1, kMaxHistoryLimit);
  auto st = db_->prepare(kHistory);
  if (!st) return st.error();
  (*st)
      ->bind(1, q.device.str())
      .bind(2, q.from_ms)
      .bind(3, q.to_ms)
      .bind(4, after_ts)
      .bind(5, after_seq)
      .bind(6, static_cast<std::int64_t>(limit + 1));
  HistoryPage page;
  for (;;) {
    auto row = (*st)->step();
    if (!row) return row.error();
    if (!*row) break;
    page.points.push_back(read_point(**st, 0));
  }
  if (page.points.size() > limit) {
    page.points.pop_back();
    page.next_after = page.points.back().seq;
  }
  return page;
}

Result<Recovery> SqliteRepo::events_after(const TenantId& tenant, Seq since, std::size_t max_events) {
  Recovery out;
  out.seq = current_seq(tenant.str());
  // Seqs are gap-free per tenant, so the count is known before reading a row.
  if (since > out.seq || out.seq - since > max_events) return out;
  const Seq want = out.seq - since;
  if (want == 0) {
    out.complete = true;
    return out;
  }
  auto st = db_->prepare(kEventsAfter);
  if (!st) return st.error();
  (*st)
      ->bind(1, tenant.str())
      .bind(2, static_cast<std::int64_t>(since))
      .bind(3, static_cast<std::int64_t>(want));
  out.points.reserve(static_cast<std::size_t>(want));
  for (;;) {
    auto row = (*st)->step();
    if (!row) return row.error();
    if (!*row) break;
    out.points.push_back(read_point(**st, 0));
  }
  // Anything but exactly since+1 .. seq would be a partial recovery: refuse it rather than send it.
  out.complete =
      out.points.size() == want && out.points.front().seq == since + 1 && out.points.back().seq == out.seq;
  if (!out.complete) out.points.clear();
  return out;
}

Result<void> SqliteRepo::probe_write() {
  // The insert dirties meta's page and the delete leaves it as it was; the commit still writes and syncs
  // the dirty page.
  auto r = db_->exec(
      "BEGIN IMMEDIATE; INSERT INTO meta (key, value) VALUES ('write_probe', '1'); "
      "DELETE FROM meta WHERE key = 'write_probe'; COMMIT");
  if (!r) (void)db_->exec("ROLLBACK");
  return r;
}

Result<void> SqliteRepo::checkpoint() {
  auto r = db_->query_int("PRAGMA wal_checkpoint(TRUNCATE)");
  if (!r) return r.error();
  return {};
}

}  // namespace fleet::store
