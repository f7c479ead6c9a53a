#include "api/router.hpp"

#include <cstdint>

#include "api/bearer.hpp"
#include "api/handlers.hpp"
#include "api/http_errors.hpp"

namespace fleet::api {
namespace {

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

Response method_not_allowed(std::string_view allow) {
  Response r = error_response(ErrorCode::method_not_allowed, "method not allowed");
  r.headers.emplace_back("Allow", std::string(allow));
  return r;
}

}  // namespace

Admission Router::admit(const RequestHead& head) const {
  if (head.path == "/api/v1/telemetry" && head.method == "POST") {
    return Admission{admit_ingest(ctx_, head.authorization), SIZE_MAX};
  }
  // A group's member list (up to 10,000 ids) is the one large user body; only a request that names
  // user credentials may send one (they are checked once it is read).
  const bool group_write = (head.path == "/api/v1/groups" && head.method == "POST") ||
                           (starts_with(head.path, "/api/v1/groups/") && head.method == "PUT");
  if (group_write && bearer_credentials(head.authorization)) return Admission{std::nullopt, kGroupBodyLimit};
  return Admission{std::nullopt, kSmallBodyLimit};
}

bool Router::handle(Request req, Responder& done) {
  const std::string_view path = req.path;
  const std::string_view m = req.method;

  if (path == "/healthz" || path == "/readyz" || path == "/metrics") {
    if (m != "GET") {
      done(method_not_allowed("GET"));
    } else if (path == "/healthz") {
      handle_healthz(std::move(done));
    } else if (path == "/readyz") {
      handle_readyz(ctx_, std::move(done));
    } else {
      handle_metrics(std::move(done));
    }
    return true;
  }

  if (ctx_.dev_issuer) {
    if (path == "/.well-known/jwks.json") {
      m == "GET" ? handle_dev_jwks(ctx_, std::move(done)) : done(method_not_allowed("GET"));
      return true;
    }
    if (path == "/dev/token") {
      m == "POST" ? handle_dev_token(ctx_, std::move(req), std::move(done))
                  : done(method_not_allowed("POST"));
      return true;
    }
  }

  if (!starts_with(path, "/api/")) return false;

  if (path == "/api/v1/telemetry") {
    m == "POST" ? handle_ingest(ctx_, std::move(req), std::move(done)) : done(method_not_allowed("POST"));
    return true;
  }
  if (path == "/api/v1/app-config") {
    m == "GET" ? handle_app_config(ctx_, std::move(done)) : done(method_not_allowed("GET"));
    return true;
  }
  if (path == "/api/v1/me") {
    m == "GET" ? handle_me(ctx_, std::move(req), std::move(done)) : done(method_not_allowed("GET"));
    return true;
  }
  if (path == "/api/v1/devices") {
    if (m == "GET") {
      handle_list_devices(ctx_, std::move(req), std::move(done));
    } else if (m == "POST") {
      handle_create_device(ctx_, std::move(req), std::move(done));
    } else {
      done(method_not_allowed("GET, POST"));
    }
    return true;
  }
  constexpr std::string_view devices_prefix = "/api/v1/devices/";
  if (starts_with(path, devices_prefix)) {
    std::string_view rest = path.substr(devices_prefix.size());
    const auto slash = rest.find('/');
    std::string id(rest.substr(0, slash));
    if (slash == std::string_view::npos && !id.empty()) {
      m == "DELETE" ? handle_revoke_device(ctx_, std::move(req), std::move(id), std::move(done))
                    : done(method_not_allowed("DELETE"));
      return true;
    }
    if (slash != std::string_view::npos && rest.substr(slash) == "/telemetry" && !id.empty()) {
      m == "GET" ? handle_history(ctx_, std::move(req), std::move(id), std::move(done))
                 : done(method_not_allowed("GET"));
      return true;
    }
  }
  if (path == "/api/v1/groups" || path == "/api/v1/shares") {
    const bool groups = path == "/api/v1/groups";
    if (m == "GET") {
      groups ? handle_list_groups(ctx_, std::move(req), std::move(done))
             : handle_list_shares(ctx_, std::move(req), std::move(done));
    } else if (m == "POST") {
      groups ? handle_create_group(ctx_, std::move(req), std::move(done))
             : handle_create_share(ctx_, std::move(req), std::move(done));
    } else {
      done(method_not_allowed("GET, POST"));
    }
    return true;
  }
  constexpr std::string_view groups_prefix = "/api/v1/groups/";
  if (starts_with(path, groups_prefix)) {
    std::string_view rest = path.substr(groups_prefix.size());
    const auto slash = rest.find('/');
    std::string id(rest.substr(0, slash));
    if (slash == std::string_view::npos && !id.empty()) {
      m == "DELETE" ? handle_delete_group(ctx_, std::move(req), std::move(id), std::move(done))
                    : done(method_not_allowed("DELETE"));
      return true;
    }
    if (slash != std::string_view::npos && rest.substr(slash) == "/devices" && !id.empty()) {
      m == "PUT" ? handle_set_group_devices(ctx_, std::move(req), std::move(id), std::move(done))
                 : done(method_not_allowed("PUT"));
      return true;
    }
  }
  constexpr std::string_view shares_prefix = "/api/v1/shares/";
  if (starts_with(path, shares_prefix)) {
    std::string id(path.substr(shares_prefix.size()));
    if (!id.empty() && id.find('/') == std::string::npos) {
      m == "DELETE" ? handle_revoke_share(ctx_, std::move(req), std::move(id), std::move(done))
                    : done(method_not_allowed("DELETE"));
      return true;
    }
  }
  done(error_response(ErrorCode::not_found, "no such endpoint"));
  return true;
}

}  // namespace fleet::api
