#pragma once
// A thin RAII layer over one sqlite3 connection: open, exec, and cached prepared statements with typed
// binding. Not thread-safe: the owner (SqliteStore's worker) is the only thread that touches it.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/result.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace fleet::store {

// Every error below carries a code from the SQLite result that caused it: storage_unavailable when the
// disk refused (full, I/O error, read-only, cannot create a file), which passes once the disk recovers;
// internal for everything else (a bug, corruption, a constraint).
ErrorCode storage_error_code(int sqlite_rc) noexcept;
// internal or storage_unavailable: the statement may have half-happened, so a transaction is suspect.
bool is_failure(const Error& e) noexcept;

// A prepared statement borrowed from Db's cache. Reset and unbound on construction and destruction, so
// a statement left half-stepped by an early return never holds a read transaction open.
class Stmt {
 public:
  explicit Stmt(sqlite3_stmt* s) noexcept;
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  // Binders take 1-based parameter indices, as SQLite does. Text is copied (SQLITE_TRANSIENT).
  Stmt& bind(int i, std::int64_t v);
  Stmt& bind(int i, double v);
  Stmt& bind(int i, std::string_view v);
  // Binds text without copying it (SQLITE_STATIC): `v` must stay valid and unchanged until this Stmt is
  // reset or destroyed. For hot paths binding strings that outlive the statement's execution.
  Stmt& bind_static(int i, std::string_view v);
  Stmt& bind(int i, const std::optional<double>& v);
  Stmt& bind(int i, const std::optional<std::int64_t>& v);
  Stmt& bind_null(int i);
  // Makes the statement reusable for another execution with fresh bindings.
  void reset();

  // Advances: a row is available (true), done (false), or an error with the connection's message.
  Result<bool> step();
  // Runs to completion, for statements that return no rows.
  Result<void> run();

  // Column readers for the current row, 0-based.
  bool is_null(int col) const;
  std::int64_t int64(int col) const;
  double real(int col) const;
  std::string text(int col) const;
  std::optional<double> opt_real(int col) const;
  std::optional<std::int64_t> opt_int64(int col) const;

 private:
  sqlite3_stmt* s_;
};

class Db {
 public:
  // Opens (creating if missing) the database file. Fails for a missing directory or an unusable file;
  // a file that is not a database is detected by the first statement, not here.
  // `vfs`: a registered VFS name, null for the default.
  static Result<std::unique_ptr<Db>> open(const std::string& path, const char* vfs = nullptr);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // Runs one or more statements that return no rows we need.
  Result<void> exec(const char* sql);
  // Returns the cached statement for `sql` (keyed by its text), preparing it on first use.
  Result<std::unique_ptr<Stmt>> prepare(const char* sql);
  // Reads a single integer, for PRAGMAs and COUNTs.
  Result<std::int64_t> query_int(const char* sql);
  // Reads a single text value, e.g. the result of PRAGMA journal_mode.
  Result<std::string> query_text(const char* sql);

  void set_busy_timeout_ms(int ms);
  Error error(std::string_view context) const;
  sqlite3* handle() const noexcept { return db_; }

 private:
  explicit Db(sqlite3* db) noexcept : db_(db) {}
  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

// Runs `body` (returning Result<T>) in one IMMEDIATE transaction: committed if it succeeds, rolled back
// if it or the COMMIT fails, so a multi-statement change is all or nothing.
template <class T, class Body>
Result<T> in_transaction(Db& db, Body&& body) {
  if (auto r = db.exec("BEGIN IMMEDIATE"); !r) return r.error();
  Result<T> out = body();
  if (out) {
    if (auto r = db.exec("COMMIT"); !r) out = r.error();
  }
  // Fails harmlessly when SQLite already rolled back on its own (e.g. after SQLITE_FULL).
  if (!out) (void)db.exec("ROLLBACK");
  return out;
}

}  // namespace fleet::store
