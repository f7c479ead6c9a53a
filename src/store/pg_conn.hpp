#pragma once
// A small RAII layer over libpq for PgStore: one connection, statements prepared once per connection
// (keyed by their SQL text), text-format parameters and results, and every failure mapped to a
// fleet::Error. Not thread-safe: each PgConn belongs to one thread at a time.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.hpp"

// libpq's opaque types, so that including this header does not require libpq's headers.
struct pg_conn;
struct pg_result;

namespace fleet::store {

// Builds a PostgreSQL array literal ({"a","b",NULL}) element by element, for `= ANY($n::text[])` and for
// unnest()-ing a whole group's rows in one statement. Clear and refill: the buffer's capacity is reused.
class PgArrayText {
 public:
  void clear() noexcept { text_.clear(); }
  void add(std::string_view s);
  void add(std::int64_t v);
  void add(double v);
  void add(const std::optional<double>& v);
  void add_null();
  // The literal; empty elements list -> "{}".
  std::string_view finish();

 private:
  void sep();
  std::string text_;
};

// Parameters of one statement, all in text format, kept in one buffer so a statement with thousands of
// parameters costs a few allocations (reused when the PgParams is cleared and refilled).
class PgParams {
 public:
  PgParams& add(std::string_view text);
  PgParams& add(std::int64_t v);
  PgParams& add(double v);  // shortest text that reads back as the same double
  PgParams& add(const std::optional<double>& v);
  PgParams& add(const std::optional<std::int64_t>& v);
  PgParams& add_null();
  // A text[] literal ({"a","b"}) of `items`, for `= ANY($n::text[])`.
  PgParams& add_text_array(const std::vector<std::string_view>& items);
  void clear();
  std::size_t size() const noexcept { return offsets_.size(); }
  // Pointers into the buffer, valid until the next change; null entries for SQL NULL.
  std::vector<const char*> values() const;

 private:
  std::string buf_;                      // the values, each followed by a NUL
  std::vector<std::ptrdiff_t> offsets_;  // start of each value in buf_, -1 for NULL
};

// A statement's result rows. Columns are read by index, as text converted on access.
class PgResult {
 public:
  explicit PgResult(pg_result* r) noexcept : r_(r) {}
  PgResult(PgResult&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  PgResult& operator=(PgResult&& o) noexcept;
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;
  ~PgResult();

  int rows() const noexcept;
  bool is_null(int row, int col) const noexcept;
  std::string text(int row, int col) const;
  std::string_view view(int row, int col) const noexcept;
  std::int64_t int64(int row, int col) const noexcept;  // 0 for NULL or garbage
  double real(int row, int col) const noexcept;
  std::optional<std::int64_t> opt_int64(int row, int col) const noexcept;
  std::optional<double> opt_real(int row, int col) const noexcept;
  bool boolean(int row, int col) const noexcept;  // 't'

 private:
  pg_result* r_;
};

// SQLSTATEs PgStore reacts to.
inline constexpr std::string_view kSqlStateUniqueViolation = "23505";
inline constexpr std::string_view kSqlStateSerialization = "40001";
inline constexpr std::string_view kSqlStateDeadlock = "40P01";

class PgConn {
 public:
  static constexpr std::chrono::milliseconds kDefaultTimeout{10'000};

  // Connects to `uri` (a postgres:// URI or key=value string), adding connect_timeout=5 and TCP keepalives
  // (5 s idle, 3 probes 2 s apart) unless the URI
  // sets one. A failure is storage_unavailable, "cannot connect to PostgreSQL at host:port: <reason>",
  // without the password even if the server echoed it.
  // Every statement must answer within `timeout`; one that does not fails storage_unavailable ("no
  // answer from PostgreSQL at host:port within N ms") and breaks the connection (ok() turns false).
  static Result<std::unique_ptr<PgConn>> connect(const std::string& uri,
                                                 std::chrono::milliseconds timeout = kDefaultTimeout);
  ~PgConn();
  PgConn(const PgConn&) = delete;
  PgConn& operator=(const PgConn&) = delete;

  // Runs one or more statements without parameters (BEGIN, COMMIT, migrations).
  Result<void> exec(const char* sql);
  // Runs one statement with parameters; prepared on this connection at its first use and kept for the
  // connection's life, so `sql` must come from a fixed set of texts (constants), never built from data.
  Result<PgResult> query(const std::string& sql, const PgParams& params);
  Result<PgResult> query(const std::string& sql) { return query(sql, PgParams{}); }
  // False once the connection is known to be broken or a statement timed out (then every call fails
  // storage_unavailable).
  bool ok() const noexcept;
  // The SQLSTATE of the last failure ("" when it was not the server's), to tell a unique violation or
  // a deadlock from the rest.
  const std::string& last_sqlstate() const noexcept { return last_sqlstate_; }
  // "host:port", for messages.
  const std::string& where() const noexcept { return where_; }

 private:
  PgConn(pg_conn* c, std::string where, std::chrono::milliseconds timeout)
      : c_(c), where_(std::move(where)), timeout_(timeout) {}
  // Waits (at most timeout_) for the answer to what was just sent and returns its result, or null when
  // sending failed, the connection broke or the time ran out (then failure(nullptr) says which).
  pg_result* await(bool sent);
  // The failure of `r` (null: the connection's own) as an Error: connection trouble, a server shutting
  // down or out of resources -> storage_unavailable, anything else -> internal.
  Error failure(pg_result* r);

  pg_conn* c_;
  std::string where_;
  std::chrono::milliseconds timeout_;
  bool timed_out_ = false;
  std::unordered_map<std::string, std::string> prepared_;  // SQL text -> statement name on this connection
  std::string last_sqlstate_;
};

}  // namespace fleet::store

namespace fleet::store {

// Runs `op` (returning Result<T>) in a transaction: COMMIT when it succeeds, ROLLBACK when it fails. A
// failed COMMIT is the answer (storage_unavailable when the server went away meanwhile).
template <class T, class Op>
Result<T> pg_transaction(PgConn& conn, Op op, const char* begin = "BEGIN") {
  if (auto r = conn.exec(begin); !r) return r.error();
  Result<T> out = op();
  if (!out) {
    (void)conn.exec("ROLLBACK");  // fails harmlessly when the connection is gone
    return out;
  }
  if (auto r = conn.exec("COMMIT"); !r) return r.error();
  return out;
}

}  // namespace fleet::store
