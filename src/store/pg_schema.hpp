#pragma once
// PgStore's schema: versioned, append-only migrations like SQLite's (sqlite_schema.hpp), with the version,
// the store id (tenant epochs, epoch.hpp) and the share key in the `meta` table. Several nodes may open
// one database at once: migrations run under an advisory lock, so exactly one applies each step.
#include <cstdint>
#include <string>

#include "core/result.hpp"
#include "store/pg_conn.hpp"

namespace fleet::store {

// The schema version this binary writes and understands.
std::int64_t pg_schema_version() noexcept;

struct PgMeta {
  std::string store_id;   // 32 hex digits, made with the database
  std::string share_key;  // 32 raw bytes, made with the database
};

// Brings the database to pg_schema_version() in one transaction and reads the meta values. A database
// at a newer version is refused: "database schema version N is newer than this fleetd (M)".
Result<PgMeta> pg_migrate(PgConn& conn);

}  // namespace fleet::store
