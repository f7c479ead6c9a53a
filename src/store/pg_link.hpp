#pragma once
// A PostgreSQL connection that comes back: after a loss, the next use reconnects, no more often than a
// backoff that doubles from 50 ms to 1 s, so a database that is down costs one failed attempt per
// backoff, not one per request. Owned by one thread (a PgStore lane).
#include <chrono>
#include <memory>
#include <string>

#include "core/result.hpp"
#include "store/pg_conn.hpp"

namespace fleet::store {

class PgLink {
 public:
  static constexpr std::chrono::milliseconds kMinBackoff{50};
  static constexpr std::chrono::milliseconds kMaxBackoff{1000};

  // `first` is a connection already open (from PgStore::open), or null to connect at the first get().
  // `timeout` bounds every statement on the connections it makes (PgConn::connect).
  PgLink(std::string uri, std::unique_ptr<PgConn> first, std::chrono::milliseconds timeout);

  // The connection, reconnecting if it was lost and the backoff allows; else why not
  // (storage_unavailable, the last connection error).
  Result<PgConn*> get();
  // To call after a statement failed: drops the connection if it is broken, so get() reconnects.
  void check();
  // How long until get() may try to reconnect (zero while connected).
  std::chrono::milliseconds retry_in() const;

 private:
  using Clock = std::chrono::steady_clock;

  std::string uri_;
  std::chrono::milliseconds timeout_;
  std::unique_ptr<PgConn> conn_;
  Error last_error_;
  Clock::time_point next_try_{};
  std::chrono::milliseconds backoff_ = kMinBackoff;
};

}  // namespace fleet::store
