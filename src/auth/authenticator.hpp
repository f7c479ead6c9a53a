#pragma once
// The one entry point the transport and the REST API use to turn a bearer token into a Principal.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/ids.hpp"

namespace fleet::auth {

// Who is calling, as established by a verified token and the claims policy.
struct Principal {
  TenantId tenant;         // organization id (Clerk v2 "o.id", v1 "org_id", or the configured claim path)
  UserId user;             // "sub"
  std::string role;        // organization role ("admin", "org:admin", "org:member", ...), may be empty
  std::string session_id;  // "sid" when present
  std::int64_t exp_s = 0;  // token expiry, Unix seconds

  // Org admins may create and revoke devices. Clerk v2 writes "admin", v1 "org:admin".
  bool is_admin() const noexcept { return role == "admin" || role == "org:admin"; }
};

// Why a token was refused. Each maps to one WebSocket close reason and one HTTP 401/403 body.
enum class AuthFailure {
  missing_token,    // no token presented
  invalid_token,    // any verification failure (format, signature, key, alg, times, iss, azp, typ, crit)
  no_organization,  // verified, but no tenant claim (personal account)
  pending_session,  // verified, but Clerk sts == "pending"
};

struct AuthOutcome {
  bool ok = false;
  Principal principal;                               // valid when ok
  AuthFailure failure = AuthFailure::invalid_token;  // valid when !ok
  std::string detail;  // for logs and metrics only; never contains the token itself
};

class Authenticator {
 public:
  virtual ~Authenticator() = default;
  // Thread-safe. Calls `done` exactly once, inline when the keys are at hand, or later from the key
  // refresh thread when an unknown `kid` forces a (rate-limited) JWKS refresh. `token` is copied if needed.
  virtual void authenticate(std::string_view token, std::function<void(AuthOutcome)> done) = 0;
};

}  // namespace fleet::auth
