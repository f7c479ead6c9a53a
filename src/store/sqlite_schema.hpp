#pragma once
// The database schema as an ordered list of migrations, tracked by PRAGMA user_version.
#include <cstdint>

#include "core/result.hpp"
#include "store/sqlite_db.hpp"

namespace fleet::store {

// The schema version this binary writes (the number of migration steps).
std::int64_t schema_version() noexcept;

// Applies every migration step newer than the database's user_version, all in one IMMEDIATE
// transaction, so a crash mid-upgrade leaves the previous version intact. Refuses a database whose
// version is newer than this binary knows (downgrades would silently misread it).
Result<void> migrate(Db& db);

}  // namespace fleet::store
