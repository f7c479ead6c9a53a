#pragma once
// JWT verification (RFC 7519) on top of verify_jws: the registered time claims and the subject. A pure
// function of its inputs; no I/O, no clock, no shared state.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "auth/jws.hpp"
#include "auth/key_set.hpp"

namespace fleet::auth {

struct JwtOptions {
  std::size_t max_token_bytes = 8 * 1024;
  std::int64_t clock_skew_s = 5;  // tolerance for exp, nbf and iat, both ways
};

// verify_jws, then: exp required and numeric (refused when now >= exp + skew); nbf, when present,
// numeric and now + skew >= nbf; iat, when present, numeric and iat <= now + skew; sub a non-empty string.
// On success `claims` is the payload and `exp_s` its exp. A TokenError::unknown_kid result means no key
// in `keys` has the token's kid: the caller may refresh its keys once and call again.
VerifyResult verify_jwt(std::string_view token, const KeySet& keys, std::int64_t now_s,
                        const JwtOptions& options = {});

}  // namespace fleet::auth
