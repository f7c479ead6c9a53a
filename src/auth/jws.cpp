#include "auth/jws.hpp"

#include <boost/json/serialize.hpp>
#include <optional>

#include "auth/base64url.hpp"
#include "auth/signature.hpp"
#include "core/strict_json.hpp"

namespace fleet::auth {
namespace {

namespace json = boost::json;

VerifyResult fail(TokenError e, std::string detail) {
  VerifyResult r;
  r.error = e;
  r.detail = std::move(detail);
  return r;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// Decoded JSON object of one part, or nullopt with `why` set.
std::optional<json::object> decode_object(std::string_view part, std::size_t max_bytes, const char* name,
                                          std::string& why) {
  auto raw = base64url_decode(part);
  if (!raw) {
    why = std::string(name) + " is not base64url";
    return std::nullopt;
  }
  auto v = parse_strict_json(*raw, JsonLimits{16, max_bytes});
  if (!v) {
    why = std::string(name) + ": " + v.error().message;
    return std::nullopt;
  }
  if (!v->is_object()) {
    why = std::string(name) + " is not a JSON object";
    return std::nullopt;
  }
  return std::move(v->as_object());
}

}  // namespace

VerifyResult verify_jws(std::string_view token, const KeySet& keys, const JwsOptions& options) {
  // Cheap, total checks before anything allocates or parses attacker-controlled data.
  if (token.size() > options.max_token_bytes) return fail(TokenError::malformed, "token too long");
  for (char c : token) {
    if (!is_base64url_char(c) && c != '.') {
      return fail(TokenError::malformed, "token has characters outside base64url and '.'");
    }
  }
  const std::size_t d1 = token.find('.');
  const std::size_t d2 = d1 == std::string_view::npos ? d1 : token.find('.', d1 + 1);
  if (d2 == std::string_view::npos || token.find('.', d2 + 1) != std::string_view::npos) {
    return fail(TokenError::malformed, "token is not three dot-separated parts");
  }
  const std::string_view header_b64 = token.substr(0, d1);
  const std::string_view payload_b64 = token.substr(d1 + 1, d2 - d1 - 1);
  const std::string_view sig_b64 = token.substr(d2 + 1);
  if (header_b64.empty() || payload_b64.empty() || sig_b64.empty()) {
    return fail(TokenError::malformed, "token has an empty part");
  }

  std::string why;
  auto header = decode_object(header_b64, token.size(), "header", why);
  if (!header) return fail(TokenError::malformed, why);
  auto payload_raw = base64url_decode(payload_b64);
  if (!payload_raw) return fail(TokenError::malformed, "payload is not base64url");
  auto sig = base64url_decode(sig_b64);
  if (!sig) return fail(TokenError::malformed, "signature is not base64url");

  const auto* alg_v = header->if_contains("alg");
  if (!alg_v || !alg_v->is_string()) return fail(TokenError::unsupported_alg, "header has no alg");
  const auto alg = parse_jws_alg(alg_v->as_string());
  if (!alg) return fail(TokenError::unsupported_alg, "alg not allowed");
  // We implement no extensions, and RFC 7515 4.1.11 requires refusing any we do not understand.
  if (header->contains("crit")) return fail(TokenError::bad_header, "crit header not supported");
  if (const auto* typ = header->if_contains("typ")) {
    if (!typ->is_string() || !iequals(typ->as_string(), "JWT"))
      return fail(TokenError::bad_header, "typ is not JWT");
  }
  std::optional<std::string_view> kid;
  if (const auto* k = header->if_contains("kid")) {
    if (!k->is_string()) return fail(TokenError::bad_header, "kid is not a string");
    kid = std::string_view(k->as_string());
  }

  const PublicKey* key = keys.find(kid);
  if (!key) {
    if (kid) return fail(TokenError::unknown_kid, "unknown kid");
    return fail(TokenError::no_key, "token has no kid and the key set has several keys");
  }
  if (!key->permits(*alg)) return fail(TokenError::key_mismatch, "alg does not fit the key");
  if (const std::size_t n = ecdsa_signature_size(*alg); n != 0 && sig->size() != n) {
    return fail(TokenError::bad_signature, "ECDSA signature has the wrong length");
  }
  if (!verify_signature(*key, *alg, token.substr(0, d2), *sig)) {
    return fail(TokenError::bad_signature, "signature does not verify");
  }

  auto payload = parse_strict_json(*payload_raw, JsonLimits{16, token.size()});
  if (!payload) return fail(TokenError::malformed, "payload: " + payload.error().message);
  if (!payload->is_object()) return fail(TokenError::malformed, "payload is not a JSON object");

  VerifyResult r;
  r.error = TokenError::none;
  r.alg = *alg;
  r.header = std::move(*header);
  r.claims = std::move(payload->as_object());
  return r;
}

Result<std::string> encode_jws(const json::object& header, const json::object& payload, EVP_PKEY* private_key,
                               JwsAlg alg) {
  std::string input = base64url_encode(json::serialize(header));
  input += '.';
  input += base64url_encode(json::serialize(payload));
  auto sig = sign_jws_input(private_key, alg, input);
  if (!sig) return sig.error();
  input += '.';
  input += base64url_encode(*sig);
  return input;
}

}  // namespace fleet::auth
