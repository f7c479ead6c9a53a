#include "auth/jwt_authenticator.hpp"

#include <string>

namespace fleet::auth {

struct JwtAuthenticator::Core {
  std::shared_ptr<KeySource> keys;
  JwtAuthenticatorConfig config;
  const Clock* clock;

  // The outcome against the current keys; `unknown_kid` tells the caller a refresh might help.
  AuthOutcome check(std::string_view token, bool& unknown_kid) const {
    unknown_kid = false;
    if (token.empty()) {
      AuthOutcome o;
      o.failure = AuthFailure::missing_token;
      o.detail = "missing token";
      return o;
    }
    const auto set = keys->current();
    if (!set) {
      AuthOutcome o;
      o.failure = AuthFailure::invalid_token;
      o.detail = "no keys loaded";
      return o;
    }
    VerifyResult r = verify_jwt(token, *set, clock->now_s(), config.jwt);
    if (!r.ok()) {
      unknown_kid = r.error == TokenError::unknown_kid;
      AuthOutcome o;
      o.failure = AuthFailure::invalid_token;
      o.detail = std::string(to_string(r.error)) + ": " + r.detail;
      return o;
    }
    return apply_claims_policy(r.claims, r.exp_s, config.claims);
  }
};

JwtAuthenticator::JwtAuthenticator(std::shared_ptr<KeySource> keys, JwtAuthenticatorConfig config,
                                   const Clock& clock)
    : core_(std::make_shared<const Core>(Core{std::move(keys), std::move(config), &clock})) {}

AuthOutcome JwtAuthenticator::authenticate_now(std::string_view token) const {
  bool unknown_kid = false;
  return core_->check(token, unknown_kid);
}

void JwtAuthenticator::authenticate(std::string_view token, std::function<void(AuthOutcome)> done) {
  bool unknown_kid = false;
  AuthOutcome first = core_->check(token, unknown_kid);
  if (!unknown_kid) {
    done(std::move(first));
    return;
  }
  // Keys rotate: a new kid usually means the provider published a key we have not fetched yet.
  core_->keys->refresh([core = core_, copy = std::string(token), cb = std::move(done)]() mutable {
    bool still_unknown = false;
    AuthOutcome again = core->check(copy, still_unknown);
    if (still_unknown) again.detail += " (after key refresh)";
    cb(std::move(again));
  });
}

}  // namespace fleet::auth
