#pragma once
// A local token issuer for development and tests: an RSA-2048 key (made at the first start, and kept in a
// file when one is named, so a restarted fleetd accepts the tokens it issued before), a JWKS document for
// it, and Clerk-shaped v2 session tokens. Never enable it in production: anyone who can reach it can mint.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <openssl/types.h>
#include "auth/static_key_source.hpp"
#include "core/result.hpp"

namespace fleet::auth {

struct DevIssuerConfig {
  std::string issuer = "https://dev-issuer.fleet.local";  // "iss"
  std::string azp = "http://localhost:3000";              // "azp"; empty: no azp claim
  // PKCS#8 PEM file of the private key: loaded when it exists, else the new key is written there (mode
  // 0600, atomically). Empty: a new key for every process.
  std::string key_file;
  // For several processes that must issue and accept the same tokens (a cluster's nodes): given a fresh
  // key as PKCS#8 PEM, stores it unless a key is stored already, and returns the stored one. Set, it
  // replaces key_file. The PEM is a secret: never log it.
  std::function<Result<std::string>(const std::string& fresh_pem)> shared_key;
};

class DevIssuer {
 public:
  // Loads or generates the key pair (RS256; the kid is derived from the public key, so it is stable with
  // the key). Fails, naming the file, when the key file cannot be read or written or holds no RSA key.
  static Result<std::shared_ptr<const DevIssuer>> create(DevIssuerConfig config = {});

  const std::string& kid() const noexcept { return kid_; }
  const DevIssuerConfig& config() const noexcept { return config_; }

  // {"keys":[{"kty":"RSA","kid":...,"use":"sig","alg":"RS256","n":...,"e":...}]}
  const std::string& jwks_json() const noexcept { return jwks_; }

  // A key source built by parsing jwks_json(), so dev tokens take the same path as a provider's.
  Result<std::shared_ptr<StaticKeySource>> key_source() const;

  // A Clerk v2 session token. Header {alg RS256, kid, typ JWT}; payload {iss, sub=user, sid, azp, iat=now,
  // nbf=now, exp=now+ttl, v:2, o:{id=org, rol=role, slg=org}}. An empty org omits "o" (a personal-account
  // token, which the claims policy refuses with no_organization). Thread-safe.
  Result<std::string> issue(std::string_view user, std::string_view org, std::string_view role,
                            std::int64_t ttl_s, std::int64_t now_s) const;

 private:
  DevIssuer() = default;
  DevIssuerConfig config_;
  std::string kid_;
  std::string jwks_;
  std::shared_ptr<EVP_PKEY> key_;  // private
};

}  // namespace fleet::auth
