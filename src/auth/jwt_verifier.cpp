#include "auth/jwt_verifier.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

namespace fleet::auth {
namespace {

namespace json = boost::json;

// RFC 7519 NumericDate: any JSON number of seconds; fractions are truncated toward the past, which only
// makes exp stricter and nbf/iat more lenient by under a second.
std::optional<std::int64_t> numeric_date(const json::value& v) {
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max() / 2;  // no overflow when adding skew
  if (v.is_int64()) return std::clamp<std::int64_t>(v.as_int64(), -kMax, kMax);
  if (v.is_uint64())
    return v.as_uint64() > static_cast<std::uint64_t>(kMax) ? kMax : static_cast<std::int64_t>(v.as_uint64());
  if (v.is_double()) {
    const double d = v.as_double();
    if (!std::isfinite(d)) return std::nullopt;
    if (d >= static_cast<double>(kMax)) return kMax;
    if (d <= -static_cast<double>(kMax)) return -kMax;
    return static_cast<std::int64_t>(std::floor(d));
  }
  return std::nullopt;
}

VerifyResult fail(TokenError e, std::string detail) {
  VerifyResult r;
  r.error = e;
  r.detail = std::move(detail);
  return r;
}

}  // namespace

VerifyResult verify_jwt(std::string_view token, const KeySet& keys, std::int64_t now_s,
                        const JwtOptions& options) {
  VerifyResult r = verify_jws(token, keys, JwsOptions{options.max_token_bytes});
  if (!r.ok()) return r;
  const auto& c = r.claims;
  const std::int64_t skew = options.clock_skew_s < 0 ? 0 : options.clock_skew_s;

  const auto* exp_v = c.if_contains("exp");
  if (!exp_v) return fail(TokenError::invalid_claim, "exp missing");
  const auto exp = numeric_date(*exp_v);
  if (!exp) return fail(TokenError::invalid_claim, "exp is not a number");
  if (now_s - skew >= *exp) return fail(TokenError::expired, "token expired");

  if (const auto* nbf_v = c.if_contains("nbf")) {
    const auto nbf = numeric_date(*nbf_v);
    if (!nbf) return fail(TokenError::invalid_claim, "nbf is not a number");
    if (now_s + skew < *nbf) return fail(TokenError::not_yet_valid, "token not yet valid (nbf)");
  }
  if (const auto* iat_v = c.if_contains("iat")) {
    const auto iat = numeric_date(*iat_v);
    if (!iat) return fail(TokenError::invalid_claim, "iat is not a number");
    if (*iat > now_s + skew) return fail(TokenError::issued_in_future, "token issued in the future (iat)");
  }
  const auto* sub = c.if_contains("sub");
  if (!sub || !sub->is_string() || sub->as_string().empty()) {
    return fail(TokenError::invalid_claim, "sub missing or not a non-empty string");
  }
  r.exp_s = *exp;
  return r;
}

}  // namespace fleet::auth
