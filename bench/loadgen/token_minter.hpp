#pragma once
// Mints RS256 JWTs shaped like Clerk session tokens v2 (the claims fleetd and Clerk's verifyToken read),
// signed with the benchmark's private key (OpenSSL 3 EVP).
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/evp.h>

namespace loadgen {

std::string base64url(std::string_view bytes);

struct TokenClaims {
  std::string user;     // sub
  std::string session;  // sid
  std::string org;      // o.id; empty for a personal-account token (no "o" claim)
  std::string role;     // o.rol ("admin", "member", ...)
  // jti when not empty: tokens of one user minted within the same second differ only by it (an in-band
  // refresh must carry a fresh token, not the same bytes again).
  std::string token_id;
};

struct TokenSettings {
  std::string issuer = "https://clerk.fleet-bench.local";
  std::string key_id = "ins_fleet_bench";
  std::int64_t ttl_s = 4 * 3600;
};

class TokenMinter {
 public:
  // Reads a PEM private key (RSA). Throws std::runtime_error when it cannot.
  TokenMinter(const std::string& private_key_pem_path, TokenSettings settings);

  std::string mint(const TokenClaims& claims) const;
  // Mints many tokens on all cores (RSA signing costs ~0.2 ms each, a 19k-viewer run needs 19k tokens).
  std::vector<std::string> mint_all(const std::vector<TokenClaims>& claims) const;

 private:
  std::shared_ptr<EVP_PKEY> key_;
  TokenSettings settings_;
};

}  // namespace loadgen
