#pragma once
// Dev tokens from the server's dev issuer (POST /dev/token, only with fleetd --dev).
#include <chrono>
#include <cstdint>
#include <string>

#include "core/result.hpp"

namespace fleetctl {

struct DevToken {
  std::string token;
  std::int64_t expires_at_s = 0;
};

struct DevTokenRequest {
  std::string user;
  std::string org;  // empty: a personal-account token (no organization)
  std::string role = "admin";
  long long ttl_s = 60;
};

// Errors: transport failures as returned by fleet::http, or ErrorCode::unauthorized/... with the
// server's message for a non-2xx answer.
fleet::Result<DevToken> fetch_dev_token(const std::string& server, const DevTokenRequest& req);

// Never refresh sooner than this after the last refresh: the server allows one auth message per 2 s on
// average (docs/protocol.md, "Refresh").
inline constexpr std::chrono::seconds kMinRefreshInterval{2};

// How long after `now_s` to refresh `t` in-band: at two thirds of its remaining lifetime, well before
// token_exp, but not sooner than kMinRefreshInterval (a shorter-lived token is then refreshed in the
// server's grace period, hello.token_grace_s). The lifetime comes from the server's expires_at_s; when
// that is missing or already past (clocks apart), from the requested ttl_s.
std::chrono::milliseconds refresh_delay(const DevToken& t, std::int64_t now_s, long long requested_ttl_s);

}  // namespace fleetctl
