#pragma once
// Dev tokens from the server's dev issuer (POST /dev/token, only with fleetd --dev).
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

}  // namespace fleetctl
