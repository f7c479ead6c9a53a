#include "store/pg_link.hpp"

#include <algorithm>
#include <utility>

#include "obs/log.hpp"

namespace fleet::store {

PgLink::PgLink(std::string uri, std::unique_ptr<PgConn> first, std::chrono::milliseconds timeout)
    : uri_(std::move(uri)),
      timeout_(timeout),
      conn_(std::move(first)),
      last_error_(make_error(ErrorCode::storage_unavailable, "not connected to PostgreSQL")) {}

Result<PgConn*> PgLink::get() {
  if (conn_ && conn_->ok()) return conn_.get();
  conn_.reset();
  const auto now = Clock::now();
  if (now < next_try_) return last_error_;
  auto conn = PgConn::connect(uri_, timeout_);
  if (!conn) {
    if (last_error_.message != conn.error().message) {
      obs::warn("cannot reach PostgreSQL; retrying", {{"error", conn.error().message}});
    }
    last_error_ = conn.error();
    next_try_ = now + backoff_;
    backoff_ = std::min(backoff_ * 2, kMaxBackoff);
    return last_error_;
  }
  obs::info("connected to PostgreSQL", {{"at", (*conn)->where()}});
  conn_ = std::move(*conn);
  backoff_ = kMinBackoff;
  return conn_.get();
}

void PgLink::check() {
  if (conn_ && !conn_->ok()) {
    obs::warn("lost the connection to PostgreSQL", {{"at", conn_->where()}});
    last_error_ =
        make_error(ErrorCode::storage_unavailable, "lost the connection to PostgreSQL at " + conn_->where());
    conn_.reset();
    next_try_ = Clock::now();  // the first reconnect is immediate: the server may be back already
  }
}

std::chrono::milliseconds PgLink::retry_in() const {
  if (conn_) return std::chrono::milliseconds(0);
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(next_try_ - Clock::now());
  return std::max(left, std::chrono::milliseconds(0));
}

}  // namespace fleet::store
