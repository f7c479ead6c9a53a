#include "api/user_auth.hpp"

#include "api/bearer.hpp"
#include "api/http_errors.hpp"
#include "auth/share_registry.hpp"

namespace fleet::api {

void with_principal(ApiContext& ctx, const Request& req, Responder done,
                    std::function<void(const auth::Principal&, Responder)> next) {
  const auto token = bearer_credentials(req.authorization);
  if (!token)
    return done(error_response(ErrorCode::unauthorized, "missing token (Authorization: Bearer <JWT>)"));
  // A share link's token opens its share page's WebSocket and nothing else (docs/auth.md, "Share tokens").
  // Refused by its form, before any verification, whatever the authenticator would make of it.
  if (auth::ShareRegistry::is_share_token(*token))
    return done(error_response(ErrorCode::unauthorized, "a share token is accepted only by its share page"));
  ctx.authenticator.authenticate(
      *token, [done = std::move(done), next = std::move(next)](const auth::AuthOutcome& o) mutable {
        if (o.ok) return next(o.principal, std::move(done));
        switch (o.failure) {
          case auth::AuthFailure::missing_token:
            return done(error_response(ErrorCode::unauthorized, "Missing token"));
          case auth::AuthFailure::invalid_token:
            return done(error_response(ErrorCode::unauthorized, "Invalid token"));
          case auth::AuthFailure::no_organization:
            return done(error_response(ErrorCode::forbidden, "No organization"));
          case auth::AuthFailure::pending_session:
            return done(error_response(ErrorCode::forbidden, "Session pending"));
        }
        done(error_response(ErrorCode::unauthorized, "Invalid token"));
      });
}

}  // namespace fleet::api
