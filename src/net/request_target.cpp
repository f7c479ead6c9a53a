#include "net/request_target.hpp"

#include <array>
#include <boost/url/parse.hpp>
#include <boost/url/parse_query.hpp>
#include <string>

namespace fleet::net {
namespace {

// Characters that mean the same to every decoder and need no decoding: unreserved (RFC 3986 2.3) plus the
// separators the split below looks for. Not '%' (escapes), not '+' (a space to form decoders), not the
// other sub-delims, ':' or '@' (valid, but rare enough to leave to Boost.URL).
constexpr std::array<bool, 256> kPlain = [] {
  std::array<bool, 256> t{};
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (char c : {'-', '.', '_', '~', '/', '?', '=', '&'}) t[static_cast<unsigned char>(c)] = true;
  return t;
}();

bool plain(std::string_view s) noexcept {
  for (char c : s) {
    if (!kPlain[static_cast<unsigned char>(c)]) return false;
  }
  return true;
}

}  // namespace

std::optional<RequestTarget> parse_request_target(std::string_view target) {
  if (plain(target) && target.starts_with('/')) {
    const std::size_t q = target.find('?');
    if (q == std::string_view::npos) return RequestTarget{std::string(target), {}};
    return RequestTarget{std::string(target.substr(0, q)), std::string(target.substr(q + 1))};
  }
  auto url = boost::urls::parse_origin_form(target);
  if (!url) return std::nullopt;
  return RequestTarget{url->path(), std::string(url->encoded_query())};
}

std::optional<std::string> query_parameter(std::string_view query, std::string_view name) {
  if (plain(query)) {
    while (!query.empty()) {
      const std::size_t amp = query.find('&');
      const std::string_view param = query.substr(0, amp);
      const std::size_t eq = param.find('=');
      if (eq != std::string_view::npos && param.substr(0, eq) == name)
        return std::string(param.substr(eq + 1));
      if (amp == std::string_view::npos) break;
      query.remove_prefix(amp + 1);
    }
    return std::nullopt;
  }
  // Boost.URL 1.81's parse_query and params_view take the query's data as a C string (strlen), not its
  // size: on a view into a larger buffer they would read past its end. Give them their own terminated copy.
  const std::string terminated(query);
  if (!boost::urls::parse_query(terminated)) return std::nullopt;
  // Decoded as URL queries are (url_view::params): '+' is a space.
  for (auto p : boost::urls::params_view(terminated)) {
    if (p.has_value && p.key == name) return p.value;
  }
  return std::nullopt;
}

std::size_t query_parameter_count(std::string_view query, std::string_view name) {
  std::size_t n = 0;
  if (plain(query)) {
    while (!query.empty()) {
      const std::size_t amp = query.find('&');
      const std::string_view param = query.substr(0, amp);
      if (param.substr(0, param.find('=')) == name) ++n;
      if (amp == std::string_view::npos) break;
      query.remove_prefix(amp + 1);
    }
    return n;
  }
  const std::string terminated(query);  // see query_parameter
  if (!boost::urls::parse_query(terminated)) return 0;
  for (auto p : boost::urls::params_view(terminated)) {
    if (p.key == name) ++n;
  }
  return n;
}

}  // namespace fleet::net
