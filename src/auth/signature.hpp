#pragma once
// JWS signature primitives over OpenSSL EVP: the JOSE encodings (raw r||s for ECDSA, RFC 7518 3.4) on
// one side, EVP's on the other.
#include <openssl/types.h>

#include <string>
#include <string_view>

#include "auth/jwk.hpp"
#include "auth/jws_alg.hpp"
#include "auth/ossl.hpp"
#include "core/result.hpp"

namespace fleet::auth {

// The exact JWS signature size for ES256 (64) and ES384 (96); 0 for other algorithms.
std::size_t ecdsa_signature_size(JwsAlg alg) noexcept;

// True when `signature` (JWS encoding, already base64url-decoded) is valid for `signing_input` under
// `key` with `alg`. The caller has checked key.permits(alg). ECDSA signatures must be exactly
// ecdsa_signature_size(alg) octets (a DER signature is refused); PS256 requires salt length = 32.
bool verify_signature(const PublicKey& key, JwsAlg alg, std::string_view signing_input,
                      std::string_view signature) noexcept;

// A context initialised for EVP_DigestVerify of `alg` signatures under `pkey` (digest and RSA padding
// set), or nullptr when OpenSSL refuses. Costly (provider look-ups by name): VerifyContexts prepares
// these once per key and copies them per verification.
ossl::MdCtxPtr new_verify_context(EVP_PKEY* pkey, JwsAlg alg);

// Signs `signing_input` with a private key, returning the JWS encoding of the signature (raw r||s for
// ECDSA). For the dev issuer and tests; the server never signs.
Result<std::string> sign_jws_input(EVP_PKEY* private_key, JwsAlg alg, std::string_view signing_input);

}  // namespace fleet::auth
