#include "store/pg_devices.hpp"

#include <algorithm>
#include <limits>
#include <utility>

#include "store/random_id.hpp"

namespace fleet::store {

const char* const kPgPointColumns =
    "t.seq, t.device_id, t.received_ms, t.ts_ms, t.lat, t.lon, t.speed_kph, t.heading_deg, t.altitude_m, "
    "t.accuracy_m, t.battery_pct, t.attributes_json";

namespace {

constexpr std::size_t kMaxHistoryLimit = 1000;

const std::string kDeviceSelect = std::string("SELECT d.id, d.tenant, d.name, d.created_ms, d.revoked_ms, ") +
                                  kPgPointColumns +
                                  " FROM devices d LEFT JOIN telemetry t ON t.tenant = d.tenant AND t.seq = "
                                  "d.last_seq ";
const std::string kSelectOneDevice = kDeviceSelect + "WHERE d.tenant = $1 AND d.id = $2";
const std::string kSelectAllDevices = kDeviceSelect + "WHERE d.tenant = $1 ORDER BY d.ord";
const std::string kSelectActiveDevices =
    kDeviceSelect + "WHERE d.tenant = $1 AND d.revoked_ms IS NULL ORDER BY d.ord";

const std::string kHistory =
    std::string("SELECT ") + kPgPointColumns +
    " FROM telemetry t WHERE t.device_id = $1 AND t.ts_ms >= $2 AND t.ts_ms < $3 AND "
    "(t.ts_ms, t.seq) > ($4, $5) ORDER BY t.ts_ms, t.seq LIMIT $6";
const std::string kEventsAfter =
    std::string("SELECT ") + kPgPointColumns +
    " FROM telemetry t WHERE t.tenant = $1 AND t.seq > $2 AND t.seq <= $3 ORDER BY "
    "t.seq";
const std::string kTenantHead = "SELECT seq FROM tenant_stream WHERE tenant = $1";
// Taken first by every create and revoke, held until COMMIT: device changes commit in counter order.
const std::string kNextChange =
    "UPDATE meta SET value = (value::bigint + 1)::text WHERE key = 'device_changes' RETURNING value::bigint";

Device read_device(const PgResult& r, int row) {
  Device d;
  d.id = DeviceId(r.text(row, 0));
  d.tenant = TenantId(r.text(row, 1));
  d.name = r.text(row, 2);
  d.created_ms = r.int64(row, 3);
  d.revoked_ms = r.opt_int64(row, 4);
  if (!r.is_null(row, 5)) d.last = pg_read_point(r, row, 5);
  return d;
}

Error not_found() { return make_error(ErrorCode::not_found, "no such device"); }

Result<std::vector<Device>> query_devices(PgConn& conn, const std::string& sql, const PgParams& params) {
  auto r = conn.query(sql, params);
  if (!r) return r.error();
  std::vector<Device> out;
  out.reserve(static_cast<std::size_t>(r->rows()));
  for (int i = 0; i < r->rows(); ++i) out.push_back(read_device(*r, i));
  return out;
}

Result<Seq> tenant_head(PgConn& conn, const TenantId& tenant) {
  auto r = conn.query(kTenantHead, PgParams().add(tenant.str()));
  if (!r) return r.error();
  return r->rows() == 0 ? Seq{0} : static_cast<Seq>(r->int64(0, 0));
}

Result<std::int64_t> next_change(PgConn& conn) {
  auto r = conn.query(kNextChange);
  if (!r) return r.error();
  if (r->rows() != 1) return make_error(ErrorCode::internal, "meta has no device_changes row");
  return r->int64(0, 0);
}

constexpr const char* kBeginSnapshot = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

}  // namespace

StoredPoint pg_read_point(const PgResult& r, int row, int c) {
  StoredPoint sp;
  sp.seq = static_cast<Seq>(r.int64(row, c));
  sp.device = DeviceId(r.text(row, c + 1));
  sp.received_ms = r.int64(row, c + 2);
  TelemetryPoint& p = sp.point;
  p.ts_ms = r.int64(row, c + 3);
  p.lat = r.real(row, c + 4);
  p.lon = r.real(row, c + 5);
  p.speed_kph = r.opt_real(row, c + 6);
  p.heading_deg = r.opt_real(row, c + 7);
  p.altitude_m = r.opt_real(row, c + 8);
  p.accuracy_m = r.opt_real(row, c + 9);
  p.battery_pct = r.opt_real(row, c + 10);
  p.attributes_json = r.text(row, c + 11);  // "" for NULL: no attributes
  return sp;
}

Result<PgDeviceChange> pg_create_device(PgConn& conn, const TenantId& tenant, const std::string& name,
                                        const std::string& key_hash, std::int64_t now_ms) {
  if (key_hash.empty()) return Error{ErrorCode::invalid_field, "empty key hash", std::nullopt, "key_hash"};
  auto id = new_device_id();
  if (!id) return id.error();
  return pg_transaction<PgDeviceChange>(conn, [&]() -> Result<PgDeviceChange> {
    auto change = next_change(conn);
    if (!change) return change.error();
    // The UNIQUE key_hash answers "already registered" atomically, also against other nodes.
    auto ins = conn.query(
        "INSERT INTO devices (id, tenant, name, key_hash, created_ms, change_seq) VALUES ($1, $2, $3, $4, "
        "$5, "
        "$6) ON CONFLICT (key_hash) DO NOTHING RETURNING id",
        PgParams().add(*id).add(tenant.str()).add(name).add(key_hash).add(now_ms).add(*change));
    if (!ins) return ins.error();
    if (ins->rows() == 0)
      return Error{ErrorCode::invalid_field, "key already registered", std::nullopt, "key_hash"};
    return PgDeviceChange{Device{DeviceId(*id), tenant, name, now_ms, std::nullopt, std::nullopt},
                          PgKeyChange{key_hash, true, *change}};
  });
}

Result<PgDeviceChange> pg_revoke_device(PgConn& conn, const TenantId& tenant, const DeviceId& id,
                                        std::int64_t now_ms) {
  auto revoked = pg_transaction<PgKeyChange>(conn, [&]() -> Result<PgKeyChange> {
    auto change = next_change(conn);
    if (!change) return change.error();
    auto upd = conn.query(
        "UPDATE devices SET revoked_ms = COALESCE(revoked_ms, $3), change_seq = $4 WHERE id = $1 AND tenant "
        "= "
        "$2 RETURNING key_hash",
        PgParams().add(id.str()).add(tenant.str()).add(now_ms).add(*change));
    if (!upd) return upd.error();
    if (upd->rows() == 0) return not_found();
    return PgKeyChange{upd->text(0, 0), false, *change};
  });
  if (!revoked) return revoked.error();
  auto device = pg_get_device(conn, tenant, id);
  if (!device) return device.error();
  return PgDeviceChange{std::move(*device), std::move(*revoked)};
}

Result<Device> pg_get_device(PgConn& conn, const TenantId& tenant, const DeviceId& id) {
  auto devices = query_devices(conn, kSelectOneDevice, PgParams().add(tenant.str()).add(id.str()));
  if (!devices) return devices.error();
  if (devices->empty()) return not_found();
  return std::move(devices->front());
}

Result<std::vector<Device>> pg_list_devices(PgConn& conn, const TenantId& tenant) {
  return query_devices(conn, kSelectAllDevices, PgParams().add(tenant.str()));
}

Result<Snapshot> pg_snapshot(PgConn& conn, const TenantId& tenant) {
  return pg_transaction<Snapshot>(
      conn,
      [&]() -> Result<Snapshot> {
        auto head = tenant_head(conn, tenant);
        if (!head) return head.error();
        auto devices = query_devices(conn, kSelectActiveDevices, PgParams().add(tenant.str()));
        if (!devices) return devices.error();
        return Snapshot{*head, std::move(*devices)};
      },
      kBeginSnapshot);
}

Result<HistoryPage> pg_history(PgConn& conn, const HistoryQuery& q) {
  auto owner = conn.query("SELECT 1 FROM devices WHERE id = $1 AND tenant = $2",
                          PgParams().add(q.device.str()).add(q.tenant.str()));
  if (!owner) return owner.error();
  if (owner->rows() == 0) return not_found();

  // The cursor is a seq; its ts comes from the row itself, which makes (ts, seq) a total order to resume
  // from without trusting the client with two values.
  std::int64_t after_ts = std::numeric_limits<std::int64_t>::min();
  std::int64_t after_seq = 0;
  if (q.after_seq) {
    auto cur = conn.query("SELECT ts_ms, device_id FROM telemetry WHERE tenant = $1 AND seq = $2",
                          PgParams().add(q.tenant.str()).add(static_cast<std::int64_t>(*q.after_seq)));
    if (!cur) return cur.error();
    if (cur->rows() == 0 || cur->view(0, 1) != q.device.str()) {
      return Error{ErrorCode::invalid_field, "cursor does not name a point of this device", std::nullopt,
                   "after"};
    }
    after_ts = cur->int64(0, 0);
    after_seq = static_cast<std::int64_t>(*q.after_seq);
  }
  const std::size_t limit = std::clamp<std::size_t>(q.limit, 1, kMaxHistoryLimit);
  auto r = conn.query(kHistory, PgParams()
                                    .add(q.device.str())
                                    .add(q.from_ms)
                                    .add(q.to_ms)
                                    .add(after_ts)
                                    .add(after_seq)
                                    .add(static_cast<std::int64_t>(limit + 1)));
  if (!r) return r.error();
  HistoryPage page;
  page.points.reserve(static_cast<std::size_t>(r->rows()));
  for (int i = 0; i < r->rows(); ++i) page.points.push_back(pg_read_point(*r, i, 0));
  if (page.points.size() > limit) {
    page.points.pop_back();
    page.next_after = page.points.back().seq;
  }
  return page;
}

Result<Recovery> pg_events_after(PgConn& conn, const TenantId& tenant, Seq since, std::size_t max_events) {
  return pg_transaction<Recovery>(
      conn,
      [&]() -> Result<Recovery> {
        Recovery out;
        auto head = tenant_head(conn, tenant);
        if (!head) return head.error();
        out.seq = *head;
        // Seqs are gap-free per tenant, so the count is known before reading a row.
        if (since > out.seq || out.seq - since > max_events) return out;
        const Seq want = out.seq - since;
        if (want == 0) {
          out.complete = true;
          return out;
        }
        auto r = conn.query(kEventsAfter, PgParams()
                                              .add(tenant.str())
                                              .add(static_cast<std::int64_t>(since))
                                              .add(static_cast<std::int64_t>(out.seq)));
        if (!r) return r.error();
        out.points.reserve(static_cast<std::size_t>(r->rows()));
        for (int i = 0; i < r->rows(); ++i) out.points.push_back(pg_read_point(*r, i, 0));
        // Anything but exactly since+1 .. seq would be a partial recovery: refuse it rather than send it.
        out.complete = out.points.size() == want && out.points.front().seq == since + 1 &&
                       out.points.back().seq == out.seq;
        if (!out.complete) out.points.clear();
        return out;
      },
      kBeginSnapshot);
}

Result<std::vector<PgKeyChange>> pg_key_changes(PgConn& conn, std::int64_t after) {
  auto r = conn.query(
      "SELECT key_hash, revoked_ms IS NULL, change_seq FROM devices WHERE change_seq > $1 ORDER BY "
      "change_seq",
      PgParams().add(after));
  if (!r) return r.error();
  std::vector<PgKeyChange> out;
  out.reserve(static_cast<std::size_t>(r->rows()));
  for (int i = 0; i < r->rows(); ++i)
    out.push_back(PgKeyChange{r->text(i, 0), r->boolean(i, 1), r->int64(i, 2)});
  return out;
}

Result<void> pg_probe_write(PgConn& conn) {
  auto r = conn.query("UPDATE meta SET value = value WHERE key = 'schema_version'");
  if (!r) return r.error();
  return {};
}

}  // namespace fleet::store
