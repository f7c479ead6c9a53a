#include <boost/json.hpp>
#include <boost/url/parse_query.hpp>

#include "api/handlers.hpp"
#include "api/http_errors.hpp"
#include "api/json_views.hpp"
#include "api/user_auth.hpp"
#include "auth/secrets.hpp"
#include "core/strict_json.hpp"
#include "core/time_format.hpp"
#include "proto/json_writer.hpp"
#include "proto/messages.hpp"

namespace fleet::api {
namespace {

constexpr std::size_t kMaxNameBytes = 100;
constexpr std::size_t kMaxHistoryLimit = 1000;

Result<std::string> parse_device_name(std::string_view body) {
  auto json = parse_strict_json(body, JsonLimits{4, 4096});
  if (!json) return json.error();
  const auto* obj = json->if_object();
  if (!obj) return make_error(ErrorCode::invalid_field, "body must be a JSON object");
  for (const auto& kv : *obj) {
    if (kv.key() != "name") {
      auto e = make_error(ErrorCode::invalid_field, "unknown field");
      e.field = std::string(kv.key());
      return e;
    }
  }
  const auto* name = obj->if_contains("name");
  auto bad = [](std::string msg) {
    auto e = make_error(ErrorCode::invalid_field, std::move(msg));
    e.field = "name";
    return e;
  };
  if (!name || !name->is_string()) return bad("name must be a string");
  const auto& s = name->get_string();
  if (s.empty() || s.size() > kMaxNameBytes) return bad("name must be 1-100 bytes");
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return bad("name must not contain control characters");
  }
  return std::string(s);
}

Result<std::int64_t> parse_time_param(std::string_view name, std::string_view v) {
  std::int64_t ms = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), ms);
  if (ec == std::errc{} && end == v.data() + v.size()) return ms;
  if (auto t = parse_rfc3339_ms(v)) return *t;
  auto e = make_error(ErrorCode::invalid_field, "must be RFC 3339 or epoch milliseconds");
  e.field = std::string(name);
  return e;
}

Result<std::uint64_t> parse_uint_param(std::string_view name, std::string_view v, std::uint64_t lo,
                                       std::uint64_t hi) {
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc{} || end != v.data() + v.size() || n < lo || n > hi) {
    auto e = make_error(ErrorCode::invalid_field,
                        "must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    e.field = std::string(name);
    return e;
  }
  return n;
}

Result<store::HistoryQuery> parse_history_query(std::string_view query) {
  store::HistoryQuery q;
  auto params = boost::urls::parse_query(query);
  if (!params) return make_error(ErrorCode::bad_request, "malformed query string");
  bool seen_from = false, seen_to = false, seen_limit = false, seen_after = false;
  for (auto p : *params) {
    const std::string key = p.key.decode();
    const std::string value = p.value.decode();
    auto once = [&](bool& seen) -> bool {
      if (seen) return false;
      seen = true;
      return true;
    };
    Error dup = make_error(ErrorCode::invalid_field, "parameter given twice");
    dup.field = key;
    if (key == "from") {
      if (!once(seen_from)) return dup;
      auto v = parse_time_param(key, value);
      if (!v) return v.error();
      q.from_ms = *v;
    } else if (key == "to") {
      if (!once(seen_to)) return dup;
      auto v = parse_time_param(key, value);
      if (!v) return v.error();
      q.to_ms = *v;
    } else if (key == "limit") {
      if (!once(seen_limit)) return dup;
      auto v = parse_uint_param(key, value, 1, kMaxHistoryLimit);
      if (!v) return v.error();
      q.limit = *v;
    } else if (key == "after") {
      if (!once(seen_after)) return dup;
      auto v = parse_uint_param(key, value, 0, UINT64_MAX);
      if (!v) return v.error();
      q.after_seq = *v;
    } else {
      auto e = make_error(ErrorCode::invalid_field, "unknown parameter");
      e.field = key;
      return e;
    }
  }
  return q;
}

std::string device_envelope(const Device& d) {
  std::string body = R"({"device":)";
  append_device(body, d);
  body += '}';
  return body;
}

}  // namespace

void handle_me(ApiContext& ctx, Request req, Responder done) {
  with_principal(ctx, req, std::move(done), [](const auth::Principal& p, Responder respond) {
    respond(json_response(200, principal_json(p)));
  });
}

void handle_list_devices(ApiContext& ctx, Request req, Responder done) {
  with_principal(ctx, req, std::move(done), [&ctx](const auth::Principal& p, Responder respond) {
    ctx.store.list_devices(p.tenant, [respond = std::move(respond)](Result<std::vector<Device>> r) {
      if (!r) return respond(error_response(r.error()));
      std::string body = R"({"devices":[)";
      bool first = true;
      for (const Device& d : *r) {
        if (d.revoked_ms) continue;  // revoked devices are history, not fleet
        if (!first) body += ',';
        first = false;
        append_device(body, d);
      }
      body += "]}";
      respond(json_response(200, std::move(body)));
    });
  });
}

void handle_create_device(ApiContext& ctx, Request req, Responder done) {
  auto name = parse_device_name(req.body);
  with_principal(
      ctx, req, std::move(done), [&ctx, name = std::move(name)](const auth::Principal& p, Responder respond) {
        if (!p.is_admin())
          return respond(
              error_response(ErrorCode::forbidden, "creating devices requires the organization admin role"));
        if (!name) return respond(error_response(name.error()));
        // The key is returned once and only its hash is stored.
        auto key_or = auth::random_token("fk_", 32);
        if (!key_or) return respond(error_response(key_or.error()));
        auto hash = auth::sha256_hex(*key_or);
        if (!hash) return respond(error_response(hash.error()));
        std::string key = std::move(*key_or);
        ctx.store.create_device(p.tenant, *name, std::move(*hash),
                                [key = std::move(key), respond = std::move(respond)](Result<Device> r) {
                                  if (!r) return respond(error_response(r.error()));
                                  std::string body = R"({"device":)";
                                  append_device(body, *r);
                                  body += R"(,"key":)";
                                  proto::append_json_string(body, key);
                                  body += '}';
                                  respond(json_response(201, std::move(body)));
                                });
      });
}

void handle_revoke_device(ApiContext& ctx, Request req, std::string device_id, Responder done) {
  with_principal(
      ctx, req, std::move(done),
      [&ctx, id = std::move(device_id)](const auth::Principal& p, Responder respond) {
        if (!is_device_id(id)) return respond(error_response(ErrorCode::not_found, "no such device"));
        if (!p.is_admin())
          return respond(
              error_response(ErrorCode::forbidden, "revoking devices requires the organization admin role"));
        ctx.store.revoke_device(p.tenant, DeviceId(id), [respond = std::move(respond)](Result<Device> r) {
          if (!r) return respond(error_response(r.error()));
          respond(json_response(200, device_envelope(*r)));
        });
      });
}

void handle_history(ApiContext& ctx, Request req, std::string device_id, Responder done) {
  auto query = parse_history_query(req.query);
  with_principal(ctx, req, std::move(done),
                 [&ctx, id = std::move(device_id), query = std::move(query)](const auth::Principal& p,
                                                                             Responder respond) mutable {
                   if (!is_device_id(id))
                     return respond(error_response(ErrorCode::not_found, "no such device"));
                   if (!query) return respond(error_response(query.error()));
                   query->tenant = p.tenant;
                   query->device = DeviceId(id);
                   ctx.store.history(std::move(*query),
                                     [respond = std::move(respond)](Result<store::HistoryPage> r) {
                                       if (!r) return respond(error_response(r.error()));
                                       std::string body = R"({"points":[)";
                                       bool first = true;
                                       for (const StoredPoint& sp : r->points) {
                                         if (!first) body += ',';
                                         first = false;
                                         proto::append_event(body, sp);
                                       }
                                       body += R"(],"next":)";
                                       if (r->next_after) {
                                         body += '"';
                                         proto::append_json_number(body, std::uint64_t{*r->next_after});
                                         body += '"';
                                       } else {
                                         body += "null";
                                       }
                                       body += '}';
                                       respond(json_response(200, std::move(body)));
                                     });
                 });
}

}  // namespace fleet::api
