#pragma once
// Test helpers: keys generated with EVP, their public JWKs, and signed tokens.
#include <openssl/types.h>

#include <boost/json/object.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "auth/jws_alg.hpp"
#include "auth/key_set.hpp"

namespace fleet::auth::testing {

using Pkey = std::shared_ptr<EVP_PKEY>;

Pkey gen_rsa(unsigned bits = 2048);
Pkey gen_ec(const char* group);  // "P-256" or "P-384"
Pkey gen_ed25519();
// RSA-2048 is slow to generate: tests share one.
Pkey shared_rsa();

// The public JWK of a private key, with optional kid and alg members.
boost::json::object public_jwk(EVP_PKEY* key, std::string_view kid, std::optional<std::string_view> alg = {});
std::string pem_public(EVP_PKEY* key);

// A one-key set (JWK path) with the given kid.
std::shared_ptr<const KeySet> set_of(EVP_PKEY* key, std::string_view kid,
                                     std::optional<std::string_view> alg = {});

// Signs arbitrary header/payload JSON text (not necessarily objects) and returns the compact token.
std::string sign_raw(std::string_view header_json, std::string_view payload_json, EVP_PKEY* key, JwsAlg alg);
std::string sign(const boost::json::object& header, const boost::json::object& payload, EVP_PKEY* key,
                 JwsAlg alg);

}  // namespace fleet::auth::testing
