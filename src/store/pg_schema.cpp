#include "store/pg_schema.hpp"

#include <array>
#include <charconv>
#include <string_view>

#include "store/groups_shares.hpp"
#include "store/random_id.hpp"

namespace fleet::store {
namespace {

// Any constant shared by every fleetd: the advisory lock that serialises migrations across nodes.
constexpr const char* kLockMigrations = "SELECT pg_advisory_xact_lock(7243510901)";

// Append-only: a released step is never edited, a change is a new step.
constexpr std::array<const char*, 1> kMigrations = {
    // 1: the per-tenant sequencer, devices (with their last point and a change counter other nodes poll
    // for keys), telemetry, device groups and shares.
    R"sql(
CREATE TABLE tenant_stream (
  tenant text PRIMARY KEY,
  seq bigint NOT NULL
);
CREATE TABLE devices (
  id text PRIMARY KEY,
  ord bigint GENERATED ALWAYS AS IDENTITY,
  tenant text NOT NULL,
  name text NOT NULL,
  key_hash text NOT NULL UNIQUE,
  created_ms bigint NOT NULL,
  revoked_ms bigint,
  last_seq bigint,
  last_ts_ms bigint,
  change_seq bigint NOT NULL
);
CREATE INDEX devices_by_tenant ON devices (tenant, ord);
CREATE INDEX devices_by_change ON devices (change_seq);
CREATE TABLE telemetry (
  tenant text NOT NULL,
  seq bigint NOT NULL,
  device_id text NOT NULL,
  ts_ms bigint NOT NULL,
  received_ms bigint NOT NULL,
  lat double precision NOT NULL,
  lon double precision NOT NULL,
  speed_kph double precision,
  heading_deg double precision,
  altitude_m double precision,
  accuracy_m double precision,
  battery_pct double precision,
  attributes_json text,
  PRIMARY KEY (tenant, seq)
);
CREATE INDEX telemetry_by_device_ts ON telemetry (device_id, ts_ms, seq);
CREATE TABLE device_groups (
  id text PRIMARY KEY,
  ord bigint GENERATED ALWAYS AS IDENTITY,
  tenant text NOT NULL,
  name text NOT NULL,
  created_ms bigint NOT NULL,
  UNIQUE (tenant, name)
);
CREATE TABLE group_devices (
  group_id text NOT NULL REFERENCES device_groups (id) ON DELETE CASCADE,
  device_id text NOT NULL REFERENCES devices (id),
  position integer NOT NULL,
  PRIMARY KEY (group_id, device_id)
);
CREATE TABLE shares (
  id text PRIMARY KEY,
  ord bigint GENERATED ALWAYS AS IDENTITY,
  tenant text NOT NULL,
  label text NOT NULL,
  created_by text NOT NULL,
  created_ms bigint NOT NULL,
  expires_ms bigint NOT NULL,
  revoked_ms bigint
);
CREATE INDEX shares_by_tenant ON shares (tenant, ord);
CREATE TABLE share_devices (
  share_id text NOT NULL REFERENCES shares (id),
  device_id text NOT NULL REFERENCES devices (id),
  position integer NOT NULL,
  PRIMARY KEY (share_id, device_id)
);
INSERT INTO meta (key, value) VALUES ('device_changes', '0');
)sql",
};

Result<std::string> meta_value(PgConn& conn, std::string_view key) {
  auto r = conn.query("SELECT value FROM meta WHERE key = $1", PgParams().add(key));
  if (!r) return r.error();
  return r->rows() == 0 ? std::string() : r->text(0, 0);
}

Result<void> put_meta(PgConn& conn, std::string_view key, std::string_view value) {
  auto r = conn.query(
      "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
      PgParams().add(key).add(value));
  if (!r) return r.error();
  return {};
}

Result<PgMeta> migrate_locked(PgConn& conn) {
  if (auto r = conn.exec(kLockMigrations); !r) return r.error();
  // Asked before creating, so a node whose role may not create tables still opens a migrated database.
  auto exists = conn.query("SELECT to_regclass('meta') IS NOT NULL");
  if (!exists) return exists.error();
  if (!exists->boolean(0, 0)) {
    if (auto r = conn.exec("CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL)"); !r)
      return r.error();
  }
  auto stored = meta_value(conn, "schema_version");
  if (!stored) return stored.error();
  std::int64_t current = 0;
  if (!stored->empty()) {
    auto [end, ec] = std::from_chars(stored->data(), stored->data() + stored->size(), current);
    if (ec != std::errc() || end != stored->data() + stored->size() || current < 0) {
      return make_error(ErrorCode::internal, "database has a malformed schema version \"" + *stored + "\"");
    }
  }
  if (current > pg_schema_version()) {
    return make_error(ErrorCode::internal, "database schema version " + std::to_string(current) +
                                               " is newer than this fleetd (" +
                                               std::to_string(pg_schema_version()) + ")");
  }
  if (current == 0) {
    // Made here rather than in SQL: OpenSSL's CSPRNG, like every other id (random_id.hpp).
    auto store_id = new_random_id("");
    auto key_a = new_random_id("");
    auto key_b = new_random_id("");
    if (!store_id || !key_a || !key_b) return make_error(ErrorCode::internal, "cannot make random ids");
    if (auto r = put_meta(conn, "store_id", *store_id); !r) return r.error();
    if (auto r = put_meta(conn, "share_key", *key_a + *key_b); !r) return r.error();
  }
  for (std::int64_t v = current; v < pg_schema_version(); ++v) {
    if (auto r = conn.exec(kMigrations[static_cast<std::size_t>(v)]); !r) return r.error();
  }
  if (auto r = put_meta(conn, "schema_version", std::to_string(pg_schema_version())); !r) return r.error();

  PgMeta meta;
  auto id = meta_value(conn, "store_id");
  if (!id) return id.error();
  if (id->empty()) return make_error(ErrorCode::internal, "database has an empty store id");
  meta.store_id = std::move(*id);
  auto key = meta_value(conn, "share_key");
  if (!key) return key.error();
  meta.share_key = decode_share_key(*key);
  if (meta.share_key.empty()) return make_error(ErrorCode::internal, "database has a malformed share key");
  return meta;
}

}  // namespace

std::int64_t pg_schema_version() noexcept { return static_cast<std::int64_t>(kMigrations.size()); }

Result<PgMeta> pg_migrate(PgConn& conn) {
  if (auto r = conn.exec("BEGIN"); !r) return r.error();
  auto meta = migrate_locked(conn);
  if (auto r = meta ? conn.exec("COMMIT") : conn.exec("ROLLBACK"); !r && meta) return r.error();
  return meta;
}

}  // namespace fleet::store
