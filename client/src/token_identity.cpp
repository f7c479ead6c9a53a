#include "fleet/token_identity.hpp"

#include <array>
#include <boost/json.hpp>
#include <cstdint>

#include "core/strict_json.hpp"

namespace fleet {
namespace {

namespace json = boost::json;

// The server refuses tokens over 8 KiB (docs/auth.md); nothing longer needs to be read here.
constexpr std::size_t kMaxTokenBytes = 8 * 1024;

constexpr std::array<std::int8_t, 256> make_base64url_table() {
  std::array<std::int8_t, 256> t{};
  for (auto& v : t) v = -1;
  const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
  return t;
}
constexpr auto kBase64url = make_base64url_table();

// Unpadded base64url (RFC 7515 section 2). auth/base64url has the strict decoder, but the client links only
// proto and core (docs/architecture.md); and a peek may be lenient about unused trailing bits, because
// the server applies the strict rules to the same bytes before anything depends on them.
std::optional<std::string> base64url_decode(std::string_view in) {
  if (in.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(in.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    const std::int8_t v = kBase64url[static_cast<unsigned char>(c)];
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

const json::string* string_member(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? &v->get_string() : nullptr;
}

}  // namespace

std::optional<TokenIdentity> peek_token_identity(std::string_view jwt) {
  if (jwt.size() > kMaxTokenBytes) return std::nullopt;
  const auto first_dot = jwt.find('.');
  if (first_dot == std::string_view::npos) return std::nullopt;
  const auto second_dot = jwt.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos || jwt.find('.', second_dot + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  auto payload = base64url_decode(jwt.substr(first_dot + 1, second_dot - first_dot - 1));
  if (!payload) return std::nullopt;
  // Strict like the server: with duplicate members the two sides could read different claims.
  auto parsed = parse_strict_json(*payload, JsonLimits{.max_depth = 16, .max_bytes = kMaxTokenBytes});
  if (!parsed || !parsed->is_object()) return std::nullopt;
  const json::object& claims = parsed->get_object();
  const json::string* sub = string_member(claims, "sub");
  if (!sub) return std::nullopt;
  TokenIdentity id;
  id.user = std::string(*sub);
  const json::value* o = claims.if_contains("o");
  const json::string* org = o && o->is_object() ? string_member(o->get_object(), "id") : nullptr;
  if (!org) org = string_member(claims, "org_id");
  if (org) id.org = std::string(*org);
  return id;
}

TokenMatch match_token(std::string_view jwt, std::string_view user, std::string_view tenant) {
  const auto id = peek_token_identity(jwt);
  if (!id) return TokenMatch::unknown;
  if (id->user != user) return TokenMatch::different;
  if (id->org && *id->org != tenant) return TokenMatch::different;
  return TokenMatch::same;
}

}  // namespace fleet
