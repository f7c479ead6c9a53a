#pragma once
// JWS compact serialization (RFC 7515) with a fixed, safe profile: the signature layer of token
// verification. Claims (exp, sub, ...) are jwt_verifier's business.
#include <boost/json/object.hpp>
#include <cstddef>
#include <string>
#include <string_view>

#include "auth/jws_alg.hpp"
#include "auth/key_set.hpp"
#include "auth/token_error.hpp"

namespace fleet::auth {

struct JwsOptions {
  std::size_t max_token_bytes = 8 * 1024;  // longer tokens are refused before any decoding
};

// Outcome of verify_jws / verify_jwt. `detail` is short, for logs; it never contains the token.
struct VerifyResult {
  TokenError error = TokenError::malformed;
  std::string detail;
  JwsAlg alg = JwsAlg::RS256;  // valid when ok()
  boost::json::object header;  // valid when ok()
  boost::json::object claims;  // the payload; valid when ok()
  std::int64_t exp_s = 0;      // set by verify_jwt when ok()

  bool ok() const noexcept { return error == TokenError::none; }
};

// Verifies a compact JWS: size and alphabet (A-Za-z0-9-_.) first, exactly three non-empty parts, strict
// base64url, header and payload strict-JSON objects (duplicate members refused), alg in JwsAlg (never
// none/HS*), typ absent or "JWT" (any case), no crit, kid (if any) a string selecting a key in `keys`,
// the alg fitting that key, then the signature. jku/x5u/jwk/x5c headers are ignored: keys come only from
// `keys`. The payload is parsed only after the signature verified.
VerifyResult verify_jws(std::string_view token, const KeySet& keys, const JwsOptions& options = {});

// Builds a compact JWS: base64url(header) "." base64url(payload) "." signature. For the dev issuer and
// tests. `header` must already name `alg`.
Result<std::string> encode_jws(const boost::json::object& header, const boost::json::object& payload,
                               EVP_PKEY* private_key, JwsAlg alg);

}  // namespace fleet::auth
