#include <boost/json.hpp>

#include "api/handlers.hpp"
#include "api/http_errors.hpp"
#include "auth/dev_issuer.hpp"
#include "core/strict_json.hpp"
#include "obs/metrics.hpp"
#include "proto/json_writer.hpp"

namespace fleet::api {
namespace {

constexpr std::int64_t kMaxDevTtlS = 86400;

bool valid_dev_id(std::string_view s, bool allow_empty) {
  if (s.empty()) return allow_empty;
  if (s.size() > 128) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '-' || c == '.' || c == ':' || c == '@';
    if (!ok) return false;
  }
  return true;
}

Error field_error(std::string field, std::string msg) {
  auto e = make_error(ErrorCode::invalid_field, std::move(msg));
  e.field = std::move(field);
  return e;
}

}  // namespace

void handle_healthz(Responder done) { done(json_response(200, R"({"status":"ok"})")); }

void handle_readyz(ApiContext& ctx, Responder done) {
  std::string reason = ctx.not_ready_reason ? ctx.not_ready_reason() : std::string();
  // A store whose disk refuses writes would answer every ingest 503: take this instance out of rotation
  // until a write (a client's or the store's own probe) succeeds again. Reads would still work.
  if (std::string storage = reason.empty() ? ctx.store.write_failure() : std::string(); !storage.empty()) {
    reason = "storage cannot write: " + storage;
  }
  if (reason.empty()) return done(json_response(200, R"({"status":"ready"})"));
  std::string body = R"({"status":"not_ready","reason":)";
  proto::append_json_string(body, reason);
  body += '}';
  done(json_response(503, std::move(body)));
}

void handle_metrics(Responder done) {
  done(Response{200, "text/plain; version=0.0.4; charset=utf-8", obs::Registry::global().render(), {}});
}

void handle_dev_jwks(ApiContext& ctx, Responder done) {
  if (!ctx.dev_issuer) return done(error_response(ErrorCode::not_found, "not found"));
  done(json_response(200, ctx.dev_issuer->jwks_json()));
}

void handle_dev_token(ApiContext& ctx, Request req, Responder done) {
  if (!ctx.dev_issuer) return done(error_response(ErrorCode::not_found, "not found"));
  auto json = parse_strict_json(req.body, JsonLimits{4, 4096});
  if (!json) return done(error_response(json.error()));
  const auto* obj = json->if_object();
  if (!obj) return done(error_response(ErrorCode::invalid_field, "body must be a JSON object"));
  std::string user, org, role = "admin";
  std::int64_t ttl_s = 60;
  for (const auto& kv : *obj) {
    const std::string_view k = kv.key();
    const auto& v = kv.value();
    if (k == "user" || k == "org" || k == "role") {
      if (!v.is_string()) return done(error_response(field_error(std::string(k), "must be a string")));
      (k == "user" ? user : k == "org" ? org : role) = std::string(v.get_string());
    } else if (k == "ttl_s") {
      if (!v.is_int64() || v.get_int64() < 1 || v.get_int64() > kMaxDevTtlS) {
        return done(error_response(field_error("ttl_s", "must be an integer in [1, 86400]")));
      }
      ttl_s = v.get_int64();
    } else {
      return done(error_response(field_error(std::string(k), "unknown field")));
    }
  }
  if (!valid_dev_id(user, false))
    return done(error_response(field_error("user", "required; 1-128 of [A-Za-z0-9_.:@-]")));
  if (!valid_dev_id(org, true))
    return done(error_response(field_error("org", "at most 128 of [A-Za-z0-9_.:@-]")));
  if (!valid_dev_id(role, true))
    return done(error_response(field_error("role", "at most 128 of [A-Za-z0-9_.:@-]")));
  const std::int64_t now_s = ctx.clock.now_s();
  auto token = ctx.dev_issuer->issue(user, org, role, ttl_s, now_s);
  if (!token) return done(error_response(token.error()));
  std::string body = R"({"token":)";
  proto::append_json_string(body, *token);
  body += R"(,"expires_at_s":)";
  proto::append_json_number(body, now_s + ttl_s);
  body += '}';
  done(json_response(200, std::move(body)));
}

}  // namespace fleet::api
