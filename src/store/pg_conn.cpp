#include "store/pg_conn.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <cerrno>

#include <charconv>
#include <cstring>
#include <utility>

#include "obs/metrics.hpp"

namespace fleet::store {
namespace {

obs::Gauge& connections_open() {
  static obs::Gauge& g =
      obs::Registry::global().gauge("fleet_pg_connections_open", "Open connections to PostgreSQL.");
  return g;
}

// The first line of libpq's message, without its "connection to server at ... failed: " and severity
// prefixes: what a person needs to fix the problem.
std::string reason_of(const char* msg) {
  std::string s = msg != nullptr ? msg : "";
  if (auto at = s.find(" failed: "); s.rfind("connection to server", 0) == 0 && at != std::string::npos) {
    s.erase(0, at + 9);
  }
  for (const char* prefix : {"FATAL:  ", "ERROR:  "}) {
    if (s.rfind(prefix, 0) == 0) s.erase(0, std::strlen(prefix));
  }
  if (auto nl = s.find('\n'); nl != std::string::npos) s.resize(nl);
  return s.empty() ? "unknown error" : s;
}

// Removes every occurrence of `secret` from `s` (a server may echo parts of what it was sent).
void scrub(std::string& s, const std::string& secret) {
  if (secret.empty()) return;
  for (auto at = s.find(secret); at != std::string::npos; at = s.find(secret, at))
    s.replace(at, secret.size(), "***");
}

struct ConnInfo {
  std::string where;  // host:port
  std::string password;
  bool has_connect_timeout = false;
};

// What the URI names, read with libpq's own parser; an unparsable URI is reported without its text.
Result<ConnInfo> parse(const std::string& uri) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(uri.c_str(), &err);
  if (opts == nullptr) {
    std::string why = err != nullptr ? reason_of(err) : "out of memory";
    PQfreemem(err);
    return make_error(ErrorCode::internal, "invalid PostgreSQL URI: " + why);
  }
  ConnInfo info;
  std::string host;
  std::string port;
  for (PQconninfoOption* o = opts; o->keyword != nullptr; ++o) {
    if (o->val == nullptr || *o->val == '\0') continue;
    const std::string_view k = o->keyword;
    if (k == "host") host = o->val;
    if (k == "hostaddr" && host.empty()) host = o->val;
    if (k == "port") port = o->val;
    if (k == "password") info.password = o->val;
    if (k == "connect_timeout") info.has_connect_timeout = true;
  }
  PQconninfoFree(opts);
  info.where = (host.empty() ? "localhost" : host) + ":" + (port.empty() ? "5432" : port);
  scrub(info.where, info.password);
  return info;
}

}  // namespace

// --- PgArrayText

void PgArrayText::sep() { text_.push_back(text_.empty() ? '{' : ','); }

void PgArrayText::add(std::string_view s) {
  sep();
  text_.push_back('"');
  for (char c : s) {
    if (c == '"' || c == '\\') text_.push_back('\\');
    text_.push_back(c);
  }
  text_.push_back('"');
}

void PgArrayText::add(std::int64_t v) {
  sep();
  char tmp[24];
  text_.append(tmp, std::to_chars(tmp, tmp + sizeof tmp, v).ptr);
}

void PgArrayText::add(double v) {
  sep();
  char tmp[32];
  text_.append(tmp, std::to_chars(tmp, tmp + sizeof tmp, v).ptr);  // shortest form that reads back exactly
}

void PgArrayText::add(const std::optional<double>& v) {
  if (v) {
    add(*v);
  } else {
    add_null();
  }
}

void PgArrayText::add_null() {
  sep();
  text_.append("NULL");
}

std::string_view PgArrayText::finish() {
  if (text_.empty()) text_.push_back('{');
  text_.push_back('}');
  return text_;
}

// --- PgParams

PgParams& PgParams::add(std::string_view text) {
  offsets_.push_back(static_cast<std::ptrdiff_t>(buf_.size()));
  buf_.append(text);
  buf_.push_back('\0');
  return *this;
}

PgParams& PgParams::add(std::int64_t v) {
  char tmp[24];
  auto end = std::to_chars(tmp, tmp + sizeof tmp, v).ptr;
  return add(std::string_view(tmp, static_cast<std::size_t>(end - tmp)));
}

PgParams& PgParams::add(double v) {
  char tmp[32];
  auto end = std::to_chars(tmp, tmp + sizeof tmp, v).ptr;  // shortest round-trip form
  return add(std::string_view(tmp, static_cast<std::size_t>(end - tmp)));
}

PgParams& PgParams::add(const std::optional<double>& v) { return v ? add(*v) : add_null(); }
PgParams& PgParams::add(const std::optional<std::int64_t>& v) { return v ? add(*v) : add_null(); }

PgParams& PgParams::add_null() {
  offsets_.push_back(-1);
  return *this;
}

PgParams& PgParams::add_text_array(const std::vector<std::string_view>& items) {
  PgArrayText array;
  for (std::string_view item : items) array.add(item);
  return add(array.finish());
}

void PgParams::clear() {
  buf_.clear();
  offsets_.clear();
}

std::vector<const char*> PgParams::values() const {
  std::vector<const char*> out;
  out.reserve(offsets_.size());
  for (auto off : offsets_) out.push_back(off < 0 ? nullptr : buf_.data() + off);
  return out;
}

// --- PgResult

PgResult& PgResult::operator=(PgResult&& o) noexcept {
  if (this != &o) {
    PQclear(r_);
    r_ = o.r_;
    o.r_ = nullptr;
  }
  return *this;
}

PgResult::~PgResult() { PQclear(r_); }

int PgResult::rows() const noexcept { return r_ != nullptr ? PQntuples(r_) : 0; }
bool PgResult::is_null(int row, int col) const noexcept { return PQgetisnull(r_, row, col) != 0; }
std::string PgResult::text(int row, int col) const { return std::string(view(row, col)); }

std::string_view PgResult::view(int row, int col) const noexcept {
  return {PQgetvalue(r_, row, col), static_cast<std::size_t>(PQgetlength(r_, row, col))};
}

std::int64_t PgResult::int64(int row, int col) const noexcept {
  const auto v = view(row, col);
  std::int64_t out = 0;
  std::from_chars(v.data(), v.data() + v.size(), out);
  return out;
}

double PgResult::real(int row, int col) const noexcept {
  // float8 text output is the shortest exact form (extra_float_digits >= 1), so it reads back bit for bit;
  // from_chars ignores the C locale (strtod would not).
  const auto v = view(row, col);
  double out = 0;
  std::from_chars(v.data(), v.data() + v.size(), out);
  return out;
}

std::optional<std::int64_t> PgResult::opt_int64(int row, int col) const noexcept {
  if (is_null(row, col)) return std::nullopt;
  return int64(row, col);
}

std::optional<double> PgResult::opt_real(int row, int col) const noexcept {
  if (is_null(row, col)) return std::nullopt;
  return real(row, col);
}

bool PgResult::boolean(int row, int col) const noexcept {
  const auto v = view(row, col);
  return !v.empty() && v[0] == 't';
}

// --- PgConn

Result<std::unique_ptr<PgConn>> PgConn::connect(const std::string& uri, std::chrono::milliseconds timeout) {
  auto info = parse(uri);
  if (!info) return info.error();
  // The defaults come first so that the URI's own (expanded in dbname's place) override them. Keepalives
  // notice a server host that vanished (no FIN ever comes) within ~11 s instead of TCP's two hours.
  const char* keys[] = {"connect_timeout",
                        "keepalives_idle",
                        "keepalives_interval",
                        "keepalives_count",
                        "application_name",
                        "dbname",
                        nullptr};
  const char* vals[] = {"5", "5", "2", "3", "fleetd", uri.c_str(), nullptr};
  pg_conn* c = PQconnectdbParams(keys, vals, 1);
  if (c == nullptr)
    return make_error(ErrorCode::storage_unavailable, "cannot connect to PostgreSQL: out of memory");
  if (PQstatus(c) != CONNECTION_OK) {
    std::string why = reason_of(PQerrorMessage(c));
    PQfinish(c);
    scrub(why, info->password);
    return make_error(ErrorCode::storage_unavailable,
                      "cannot connect to PostgreSQL at " + info->where + ": " + why);
  }
  // Server notices (e.g. "relation already exists, skipping") would go to stderr unstructured.
  PQsetNoticeProcessor(
      c, [](void*, const char*) {}, nullptr);
  connections_open().add(1);
  return std::unique_ptr<PgConn>(new PgConn(c, info->where, timeout));
}

PgConn::~PgConn() {
  PQfinish(c_);
  connections_open().sub(1);
}

bool PgConn::ok() const noexcept { return !timed_out_ && PQstatus(c_) == CONNECTION_OK; }

pg_result* PgConn::await(bool sent) {
  if (!sent) return nullptr;  // PQerrorMessage says why
  const auto deadline = std::chrono::steady_clock::now() + timeout_;
  pg_result* keep = nullptr;
  for (;;) {
    while (PQisBusy(c_) != 0) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        // The server (or the path to it) hangs. The connection still owes a result, so it is done for:
        // ok() turns false and the lane reconnects. What the server did with the statement is unknown.
        timed_out_ = true;
        PQclear(keep);
        return nullptr;
      }
      pollfd p{PQsocket(c_), POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) < 0 && errno != EINTR) {
        timed_out_ = true;
        PQclear(keep);
        return nullptr;
      }
      if (PQconsumeInput(c_) == 0) break;  // the connection broke: PQgetResult reports it
    }
    pg_result* r = PQgetResult(c_);
    if (r == nullptr) return keep;
    // Several statements (exec) give several results: the first failure, else the last one, counts.
    const auto status = PQresultStatus(keep);
    if (keep != nullptr && status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      PQclear(r);
    } else {
      PQclear(keep);
      keep = r;
    }
    if (PQstatus(c_) != CONNECTION_OK) {
      // A broken connection may keep answering with errors; nothing more will come.
      return keep;
    }
  }
}

Error PgConn::failure(pg_result* r) {
  const char* state = r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  last_sqlstate_ = state != nullptr ? state : "";
  if (timed_out_) {
    return make_error(ErrorCode::storage_unavailable, "no answer from PostgreSQL at " + where_ + " within " +
                                                          std::to_string(timeout_.count()) + " ms");
  }
  std::string why = reason_of(r != nullptr ? PQresultErrorMessage(r) : PQerrorMessage(c_));
  if (r != nullptr && why == "unknown error") why = reason_of(PQerrorMessage(c_));
  const std::string_view cls = std::string_view(last_sqlstate_).substr(0, 2);
  // Connection exceptions (08), insufficient resources (53: disk full, out of memory, too many
  // connections), operator intervention (57: shutdown, cancel) and system errors (58) are the storage's
  // fault and pass; anything else is a bug or bad data.
  const bool storage =
      !ok() || last_sqlstate_.empty() || cls == "08" || cls == "53" || cls == "57" || cls == "58";
  return make_error(storage ? ErrorCode::storage_unavailable : ErrorCode::internal,
                    "PostgreSQL at " + where_ + ": " + why);
}

Result<void> PgConn::exec(const char* sql) {
  if (!ok()) return failure(nullptr);
  pg_result* r = await(PQsendQuery(c_, sql) != 0);
  const auto status = PQresultStatus(r);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    Error e = failure(r);
    PQclear(r);
    return e;
  }
  PQclear(r);
  last_sqlstate_.clear();
  return {};
}

Result<PgResult> PgConn::query(const std::string& sql, const PgParams& params) {
  if (!ok()) return failure(nullptr);
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) {
    std::string name = "s" + std::to_string(prepared_.size() + 1);
    pg_result* p = await(PQsendPrepare(c_, name.c_str(), sql.c_str(), 0, nullptr) != 0);
    if (PQresultStatus(p) != PGRES_COMMAND_OK) {
      Error e = failure(p);
      PQclear(p);
      return e;
    }
    PQclear(p);
    it = prepared_.emplace(sql, std::move(name)).first;
  }
  const auto values = params.values();
  pg_result* r = await(PQsendQueryPrepared(c_, it->second.c_str(), static_cast<int>(values.size()),
                                           values.data(), nullptr, nullptr, 0) != 0);
  const auto status = PQresultStatus(r);
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    Error e = failure(r);
    PQclear(r);
    return e;
  }
  last_sqlstate_.clear();
  return PgResult(r);
}

}  // namespace fleet::store
