#include "store/sqlite_db.hpp"

#include <sqlite3.h>

namespace fleet::store {
namespace {

Error db_error(sqlite3* db, std::string_view context, int rc) {
  std::string msg(context);
  msg += ": ";
  msg += db != nullptr ? sqlite3_errmsg(db) : "out of memory";
  return make_error(storage_error_code(rc), std::move(msg));
}

Error db_error(sqlite3* db, std::string_view context) {
  return db_error(db, context, db != nullptr ? sqlite3_extended_errcode(db) : SQLITE_NOMEM);
}

}  // namespace

ErrorCode storage_error_code(int rc) noexcept {
  switch (rc & 0xff) {
    case SQLITE_FULL:      // ENOSPC, EDQUOT
    case SQLITE_IOERR:     // EIO on read, write, fsync, truncate...
    case SQLITE_CANTOPEN:  // the WAL or a temp file could not be created (no inodes, no space)
    case SQLITE_READONLY:  // the file system went read-only under us
      return ErrorCode::storage_unavailable;
    default: return ErrorCode::internal;
  }
}

bool is_failure(const Error& e) noexcept {
  return e.code == ErrorCode::internal || e.code == ErrorCode::storage_unavailable;
}

Stmt::Stmt(sqlite3_stmt* s) noexcept : s_(s) {
  sqlite3_reset(s_);
  sqlite3_clear_bindings(s_);
}

Stmt::~Stmt() {
  sqlite3_reset(s_);
  sqlite3_clear_bindings(s_);
}

// Bind failures (wrong index, out of memory) surface as the next step()'s error, so they are not checked
// separately here.
Stmt& Stmt::bind(int i, std::int64_t v) {
  sqlite3_bind_int64(s_, i, v);
  return *this;
}
Stmt& Stmt::bind(int i, double v) {
  sqlite3_bind_double(s_, i, v);
  return *this;
}
Stmt& Stmt::bind(int i, std::string_view v) {
  sqlite3_bind_text64(s_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  return *this;
}
Stmt& Stmt::bind_static(int i, std::string_view v) {
  sqlite3_bind_text64(s_, i, v.data(), v.size(), SQLITE_STATIC, SQLITE_UTF8);
  return *this;
}
Stmt& Stmt::bind(int i, const std::optional<double>& v) { return v ? bind(i, *v) : bind_null(i); }
Stmt& Stmt::bind(int i, const std::optional<std::int64_t>& v) { return v ? bind(i, *v) : bind_null(i); }
void Stmt::reset() {
  sqlite3_reset(s_);
  sqlite3_clear_bindings(s_);
}

Stmt& Stmt::bind_null(int i) {
  sqlite3_bind_null(s_, i);
  return *this;
}

Result<bool> Stmt::step() {
  const int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return db_error(sqlite3_db_handle(s_), "step");
}

Result<void> Stmt::run() {
  for (;;) {
    auto r = step();
    if (!r) return r.error();
    if (!*r) return {};
  }
}

bool Stmt::is_null(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
std::int64_t Stmt::int64(int col) const { return sqlite3_column_int64(s_, col); }
double Stmt::real(int col) const { return sqlite3_column_double(s_, col); }
std::string Stmt::text(int col) const {
  const auto* p = sqlite3_column_text(s_, col);
  const int n = sqlite3_column_bytes(s_, col);
  return p == nullptr ? std::string()
                      : std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n));
}
std::optional<double> Stmt::opt_real(int col) const {
  if (is_null(col)) return std::nullopt;
  return real(col);
}
std::optional<std::int64_t> Stmt::opt_int64(int col) const {
  if (is_null(col)) return std::nullopt;
  return int64(col);
}

Result<std::unique_ptr<Db>> Db::open(const std::string& path, const char* vfs) {
  sqlite3* db = nullptr;
  // NOMUTEX: one thread uses the connection at a time (handed from opener to worker at thread start).
  const int rc = sqlite3_open_v2(path.c_str(), &db,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, vfs);
  if (rc != SQLITE_OK) {
    Error e = db_error(db, "open " + path, rc);
    sqlite3_close_v2(db);  // a handle is returned even on failure, and must be released
    return e;
  }
  sqlite3_extended_result_codes(db, 1);
  return std::unique_ptr<Db>(new Db(db));
}

Db::~Db() {
  for (auto& [sql, s] : cache_) sqlite3_finalize(s);
  sqlite3_close_v2(db_);
}

Result<void> Db::exec(const char* sql) {
  char* err = nullptr;
  if (const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err); rc != SQLITE_OK) {
    std::string msg = err != nullptr ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    return make_error(storage_error_code(rc), "exec: " + msg);
  }
  return {};
}

Result<std::unique_ptr<Stmt>> Db::prepare(const char* sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr) != SQLITE_OK) {
      return db_error(db_, "prepare");
    }
    it = cache_.emplace(sql, s).first;
  }
  return std::make_unique<Stmt>(it->second);
}

Result<std::int64_t> Db::query_int(const char* sql) {
  auto st = prepare(sql);
  if (!st) return st.error();
  auto row = (*st)->step();
  if (!row) return row.error();
  if (!*row) return make_error(ErrorCode::internal, std::string("no row: ") + sql);
  return (*st)->int64(0);
}

Result<std::string> Db::query_text(const char* sql) {
  auto st = prepare(sql);
  if (!st) return st.error();
  auto row = (*st)->step();
  if (!row) return row.error();
  if (!*row) return make_error(ErrorCode::internal, std::string("no row: ") + sql);
  return (*st)->text(0);
}

void Db::set_busy_timeout_ms(int ms) { sqlite3_busy_timeout(db_, ms); }

Error Db::error(std::string_view context) const { return db_error(db_, context); }

}  // namespace fleet::store
