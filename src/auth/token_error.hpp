#pragma once
// Why a token failed verification, finer than AuthFailure so tests and logs can tell the rules apart.
#include <string_view>

namespace fleet::auth {

enum class TokenError {
  none,
  malformed,         // size, characters, part count, base64url, JSON (incl. duplicate members), not objects
  unsupported_alg,   // missing alg, "none", HS*, anything not in JwsAlg
  bad_header,        // typ not JWT, crit present, kid not a string
  unknown_kid,       // no key with this kid: the caller may refresh the key set once and retry
  no_key,            // no kid and no unambiguous key to use
  key_mismatch,      // alg does not fit the key's type or its JWK alg restriction
  bad_signature,     // wrong length (ES*) or does not verify
  invalid_claim,     // exp/sub missing, or exp/nbf/iat/sub of the wrong type
  expired,           // now >= exp + skew
  not_yet_valid,     // now + skew < nbf
  issued_in_future,  // iat > now + skew
};

// snake_case, stable: used as a log/metric label.
constexpr std::string_view to_string(TokenError e) noexcept {
  switch (e) {
    case TokenError::none: return "none";
    case TokenError::malformed: return "malformed";
    case TokenError::unsupported_alg: return "unsupported_alg";
    case TokenError::bad_header: return "bad_header";
    case TokenError::unknown_kid: return "unknown_kid";
    case TokenError::no_key: return "no_key";
    case TokenError::key_mismatch: return "key_mismatch";
    case TokenError::bad_signature: return "bad_signature";
    case TokenError::invalid_claim: return "invalid_claim";
    case TokenError::expired: return "expired";
    case TokenError::not_yet_valid: return "not_yet_valid";
    case TokenError::issued_in_future: return "issued_in_future";
  }
  return "unknown";
}

}  // namespace fleet::auth
