#include "store/sqlite_schema.hpp"

#include <array>
#include <string>

namespace fleet::store {
namespace {

// Append-only: a released step is never edited, a change is a new step.
constexpr std::array<const char*, 3> kMigrations = {
    // 1: tenants with their persisted seq, devices with a pointer to their last point, telemetry.
    R"sql(
CREATE TABLE tenants (
  tenant_id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE TABLE devices (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(tenant_id),
  name TEXT NOT NULL,
  key_hash TEXT NOT NULL UNIQUE,
  created_ms INTEGER NOT NULL,
  revoked_ms INTEGER,
  last_seq INTEGER,
  last_ts_ms INTEGER
);
CREATE INDEX devices_by_tenant ON devices(tenant_id);

CREATE TABLE telemetry (
  tenant_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  device_id TEXT NOT NULL REFERENCES devices(id),
  ts_ms INTEGER NOT NULL,
  received_ms INTEGER NOT NULL,
  lat REAL NOT NULL,
  lon REAL NOT NULL,
  speed_kph REAL,
  heading_deg REAL,
  altitude_m REAL,
  accuracy_m REAL,
  battery_pct REAL,
  attributes_json TEXT,
  PRIMARY KEY (tenant_id, seq)
) WITHOUT ROWID;
CREATE INDEX telemetry_by_device_ts ON telemetry(device_id, ts_ms, seq);
)sql",
    // 2: the store's random id, made once: tenant epochs derive from it (store/epoch.hpp), so they survive
    // restarts and change only with a new database.
    R"sql(
CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO meta (key, value) VALUES ('store_id', lower(hex(randomblob(16))));
)sql",
    // 3: device groups for views, and read-only shares of devices (their tokens are derived from the id
    // with share_key, never stored).
    R"sql(
CREATE TABLE device_groups (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  name TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  UNIQUE (tenant_id, name)
);
CREATE TABLE group_devices (
  group_id TEXT NOT NULL REFERENCES device_groups(id),
  device_id TEXT NOT NULL REFERENCES devices(id),
  position INTEGER NOT NULL,
  PRIMARY KEY (group_id, device_id)
) WITHOUT ROWID;
CREATE TABLE shares (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  label TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL,
  revoked_ms INTEGER
);
CREATE INDEX shares_by_tenant ON shares(tenant_id);
CREATE TABLE share_devices (
  share_id TEXT NOT NULL REFERENCES shares(id),
  device_id TEXT NOT NULL REFERENCES devices(id),
  position INTEGER NOT NULL,
  PRIMARY KEY (share_id, device_id)
) WITHOUT ROWID;
INSERT INTO meta (key, value) VALUES ('share_key', lower(hex(randomblob(32))));
)sql",
};

}  // namespace

std::int64_t schema_version() noexcept { return static_cast<std::int64_t>(kMigrations.size()); }

Result<void> migrate(Db& db) {
  if (auto r = db.exec("BEGIN IMMEDIATE"); !r) return r.error();
  auto fail = [&db](Error e) -> Result<void> {
    (void)db.exec("ROLLBACK");
    e.message = "schema migration: " + e.message;
    return e;
  };
  auto current = db.query_int("PRAGMA user_version");
  if (!current) return fail(current.error());
  if (*current > schema_version()) {
    return fail(make_error(ErrorCode::internal, "database schema version " + std::to_string(*current) +
                                                    " is newer than this binary's " +
                                                    std::to_string(schema_version())));
  }
  for (std::int64_t v = *current; v < schema_version(); ++v) {
    if (auto r = db.exec(kMigrations[static_cast<std::size_t>(v)]); !r) return fail(r.error());
  }
  // PRAGMA takes no bound parameters; the value is our own integer.
  const std::string set_version = "PRAGMA user_version = " + std::to_string(schema_version());
  if (auto r = db.exec(set_version.c_str()); !r) return fail(r.error());
  if (auto r = db.exec("COMMIT"); !r) return fail(r.error());
  return {};
}

}  // namespace fleet::store
