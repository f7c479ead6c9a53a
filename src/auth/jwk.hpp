#pragma once
// Public verification keys from JWKs (RFC 7517/7518/8037) and PEM SubjectPublicKeyInfo.
#include <openssl/types.h>

#include <boost/json/object.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "auth/jws_alg.hpp"
#include "core/result.hpp"

namespace fleet::auth {

class VerifyContexts;

enum class KeyKind { rsa, ec_p256, ec_p384, ed25519 };

// RSA moduli below this are refused (NIST SP 800-131A); above the max, refused as a CPU-cost guard.
inline constexpr int kMinRsaBits = 2048;
inline constexpr int kMaxRsaBits = 8192;

// A parsed, validated public key. Immutable; copies share the EVP_PKEY, which OpenSSL 3 allows to be
// used from several threads at once.
struct PublicKey {
  KeyKind kind = KeyKind::rsa;
  std::string kid;            // empty when the JWK has no "kid" (always empty for PEM keys)
  std::optional<JwsAlg> alg;  // the JWK "alg": when set, the only algorithm this key verifies
  std::shared_ptr<EVP_PKEY> pkey;
  // Set by KeySet when it takes the key: prepared verification contexts (auth/verify_contexts). Without
  // them verification still works, only slower.
  std::shared_ptr<const VerifyContexts> verify_contexts;

  // True when `a` fits the key type (RS and PS with RSA, ES256 with P-256, ES384 with P-384, EdDSA with
  // Ed25519) and the JWK's alg restriction.
  bool permits(JwsAlg a) const noexcept;
};

// Parses one JWK object. Refused (ErrorCode::invalid_field, message says why): private members (d, p, q,
// dp, dq, qi, oth, k), "use" other than "sig", "key_ops" without "verify", kty/crv/alg that disagree or
// that we do not support (oct, P-521, X25519, ...), RSA outside [2048, 8192] bits, EC points not on the
// curve, coordinates of the wrong length, and anything that is not strict base64url.
Result<PublicKey> parse_jwk(const boost::json::object& jwk);
// Same, from JWK JSON text (parsed strictly: duplicate members refused).
Result<PublicKey> parse_jwk_json(std::string_view text);

// Loads a PEM "PUBLIC KEY" (SubjectPublicKeyInfo), e.g. Clerk's "JWT public key". Literal "\n" escapes
// (as the key often arrives through an environment variable) are accepted in place of newlines. The same
// key-type and size rules as for JWKs apply.
Result<PublicKey> load_pem_public_key(std::string_view pem);

}  // namespace fleet::auth
