#pragma once
// The production Authenticator: JWT verification against a KeySource, then the claims policy.
#include <memory>
#include <string_view>

#include "auth/authenticator.hpp"
#include "auth/claims_policy.hpp"
#include "auth/jwt_verifier.hpp"
#include "auth/key_source.hpp"
#include "core/clock.hpp"

namespace fleet::auth {

struct JwtAuthenticatorConfig {
  JwtOptions jwt;             // token size limit, clock skew
  ClaimsPolicyConfig claims;  // issuer, authorized parties, tenant claim path
};

class JwtAuthenticator final : public Authenticator {
 public:
  // `keys` is shared with whoever owns its lifecycle (e.g. the JWKS fetcher); `clock` must outlive this
  // object and any refresh it started.
  JwtAuthenticator(std::shared_ptr<KeySource> keys, JwtAuthenticatorConfig config,
                   const Clock& clock = SystemClock::instance());

  // Empty token -> missing_token. A token whose kid is unknown triggers one keys->refresh() and is
  // verified again in its completion (so `done` may run on the refresh thread); still unknown ->
  // invalid_token. Failure details name the rule ("expired", "unknown kid", ...), never the token.
  void authenticate(std::string_view token, std::function<void(AuthOutcome)> done) override;

  // Verifies against the current keys only, never refreshing. For tools and tests.
  AuthOutcome authenticate_now(std::string_view token) const;

 private:
  struct Core;
  std::shared_ptr<const Core> core_;  // shared with pending refresh callbacks
};

}  // namespace fleet::auth
