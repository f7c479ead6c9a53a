#pragma once
// Verification contexts prepared once per key. OpenSSL 3's EVP_DigestVerifyInit_ex looks the digest and
// the signature algorithm up by name in the provider store (with locks) on every call; for RS256 that is
// a measurable share of a WebSocket handshake. A key set therefore initialises one context per algorithm
// a key permits when it is built, and each verification copies the prepared context instead.
#include <array>
#include <memory>

#include "auth/jws_alg.hpp"
#include "auth/ossl.hpp"

namespace fleet::auth {

struct PublicKey;

// Immutable after create(); shared by every copy of its PublicKey and read by many threads at once.
// EVP_MD_CTX_copy_ex takes its source const, which OpenSSL 3 (openssl-threads(7)) allows concurrently.
// The contexts hold their own reference to the EVP_PKEY, so a key set replaced by a JWKS refresh stays
// valid for as long as a verification still holds a pointer to it.
class VerifyContexts {
 public:
  // One context per algorithm `key` permits, in the same padding configuration as verify_signature;
  // nullptr when none could be prepared (then verification takes the unprepared path).
  static std::shared_ptr<const VerifyContexts> create(const PublicKey& key);

  // A context ready for one EVP_DigestVerify with `alg`, or nullptr when `alg` was not prepared for
  // this key (not permitted, or OpenSSL refused the copy). Thread-safe.
  ossl::MdCtxPtr start(JwsAlg alg) const;

 private:
  static constexpr std::size_t kAlgs = static_cast<std::size_t>(JwsAlg::EdDSA) + 1;
  std::array<ossl::MdCtxPtr, kAlgs> prepared_;
};

}  // namespace fleet::auth
