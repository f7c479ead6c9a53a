#include "auth/secrets.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <string>

#include "auth/base64url.hpp"

namespace fleet::auth {

Result<std::string> random_token(std::string_view prefix, std::size_t nbytes) {
  if (nbytes == 0 || nbytes > 1024) return make_error(ErrorCode::internal, "random_token: bad length");
  std::string raw(nbytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(nbytes)) != 1) {
    return make_error(ErrorCode::internal, "RAND_bytes failed");
  }
  std::string out(prefix);
  out += base64url_encode(raw);
  OPENSSL_cleanse(raw.data(), raw.size());
  return out;
}

Result<std::string> sha256_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1 || len != 32) {
    return make_error(ErrorCode::internal, "SHA-256 failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace fleet::auth
