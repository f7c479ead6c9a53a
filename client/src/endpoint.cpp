#include "fleet/endpoint.hpp"

#include <boost/url/encode.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <boost/url/url_view.hpp>

namespace fleet {
namespace {

Error bad_url(std::string message) {
  Error e = Error::make(ErrorCode::invalid_field, std::move(message));
  e.field = "server";
  return e;
}

bool default_port(const Endpoint& ep) { return ep.port == (ep.tls ? "443" : "80"); }

std::string authority(const Endpoint& ep) {
  std::string out = ep.host.find(':') != std::string::npos ? "[" + ep.host + "]" : ep.host;
  if (!default_port(ep)) out += ":" + ep.port;
  return out;
}

}  // namespace

std::string Endpoint::host_header() const { return authority(*this); }

std::string Endpoint::http_origin() const {
  return (tls ? "https://" : "http://") + authority(*this) + base_path;
}

std::string Endpoint::ws_url() const {
  return (tls ? "wss://" : "ws://") + authority(*this) + base_path + "/ws";
}

Result<Endpoint> parse_endpoint(std::string_view base_url) {
  auto parsed = boost::urls::parse_absolute_uri(base_url);
  if (!parsed) return bad_url("not an absolute URL: " + std::string(base_url));
  const boost::urls::url_view& u = *parsed;
  Endpoint ep;
  const std::string scheme = u.scheme();
  if (scheme == "http" || scheme == "ws") {
    ep.tls = false;
  } else if (scheme == "https" || scheme == "wss") {
    ep.tls = true;
  } else {
    return bad_url("unsupported scheme \"" + scheme + "\" (use http, https, ws or wss)");
  }
  if (u.has_userinfo()) return bad_url("credentials in the server URL are not supported");
  if (u.has_query() || u.has_fragment()) return bad_url("the server URL must not have a query or fragment");
  ep.host = u.host_address();  // IPv6 without brackets, percent-decoded
  if (ep.host.empty()) return bad_url("the server URL has no host");
  if (u.has_port()) {
    if (u.port().empty() || u.port_number() == 0) return bad_url("invalid port in the server URL");
    ep.port = std::to_string(u.port_number());
  } else {
    ep.port = ep.tls ? "443" : "80";
  }
  ep.base_path = u.encoded_path();
  while (!ep.base_path.empty() && ep.base_path.back() == '/') ep.base_path.pop_back();
  // A base URL given as ws://host/ws names the socket itself; the target is still built from the prefix.
  if ((scheme == "ws" || scheme == "wss") && ep.base_path.ends_with("/ws")) {
    ep.base_path.resize(ep.base_path.size() - 3);
  }
  return ep;
}

std::string url_encode_component(std::string_view s) {
  return boost::urls::encode(s, boost::urls::unreserved_chars);
}

std::string ws_target(const Endpoint& ep, std::string_view token) {
  return ep.base_path + "/ws?token=" + url_encode_component(token);
}

std::string redact_secret(std::string_view secret) {
  if (secret.size() <= 8) return std::string(secret.empty() ? "" : "…");
  return std::string(secret.substr(0, 8)) + "…";
}

}  // namespace fleet
