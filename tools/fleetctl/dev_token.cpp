#include "dev_token.hpp"

#include <algorithm>
#include <boost/json.hpp>

#include "fleet/http.hpp"

namespace fleetctl {

fleet::Result<DevToken> fetch_dev_token(const std::string& server, const DevTokenRequest& req) {
  namespace json = boost::json;
  json::object body{{"user", req.user}, {"role", req.role}, {"ttl_s", req.ttl_s}};
  if (!req.org.empty()) body["org"] = req.org;
  auto conn = fleet::http::Connection::open(server);
  if (!conn) return conn.error();
  auto res = (*conn)->request("POST", "/dev/token", {}, json::serialize(body));
  if (!res) return res.error();
  if (!res->ok()) {
    std::string msg = "POST /dev/token answered " + std::to_string(res->status);
    if (res->status == 404) msg += " (is fleetd running with --dev?)";
    boost::system::error_code ec;
    json::value v = json::parse(res->body, ec);
    if (!ec && v.is_object()) {
      if (auto* e = v.get_object().if_contains("error"); e && e->is_object()) {
        if (auto* m = e->get_object().if_contains("message"); m && m->is_string()) {
          msg += ": " + std::string(m->get_string());
        }
      }
    }
    return fleet::Error::make(fleet::ErrorCode::unavailable, msg);
  }
  boost::system::error_code ec;
  json::value v = json::parse(res->body, ec);
  const json::object* o = !ec && v.is_object() ? &v.get_object() : nullptr;
  const json::value* token = o ? o->if_contains("token") : nullptr;
  const json::value* exp = o ? o->if_contains("expires_at_s") : nullptr;
  if (!token || !token->is_string() || token->get_string().empty()) {
    return fleet::Error::make(fleet::ErrorCode::internal, "POST /dev/token: no token in the answer");
  }
  DevToken out;
  out.token = std::string(token->get_string());
  if (exp && exp->is_int64()) out.expires_at_s = exp->get_int64();
  if (exp && exp->is_uint64()) out.expires_at_s = static_cast<std::int64_t>(exp->get_uint64());
  return out;
}

std::chrono::milliseconds refresh_delay(const DevToken& t, std::int64_t now_s, long long requested_ttl_s) {
  std::int64_t lifetime_s = t.expires_at_s - now_s;
  if (t.expires_at_s <= 0 || lifetime_s <= 0) lifetime_s = std::max<long long>(requested_ttl_s, 0);
  lifetime_s = std::min<std::int64_t>(lifetime_s, 366 * 86'400);  // an absurd expiry must not overflow below
  const std::chrono::milliseconds two_thirds{lifetime_s * 1000 * 2 / 3};
  return std::max<std::chrono::milliseconds>(two_thirds, kMinRefreshInterval);
}

}  // namespace fleetctl
