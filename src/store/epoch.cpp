#include "store/epoch.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <stdexcept>

namespace fleet::store {
namespace {

std::string hex(const unsigned char* p, std::size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[p[i] >> 4];
    out[2 * i + 1] = kDigits[p[i] & 0x0F];
  }
  return out;
}

}  // namespace

std::string tenant_epoch(std::string_view store_id, const TenantId& tenant) {
  std::string input;
  input.reserve(store_id.size() + 1 + tenant.str().size());
  input.append(store_id).append(1, '\n').append(tenant.str());
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  // EVP_Digest with SHA-256 fails only when OpenSSL itself is unusable, which fleetd cannot run without.
  if (EVP_Digest(input.data(), input.size(), md.data(), &len, EVP_sha256(), nullptr) != 1 || len < 8) {
    throw std::runtime_error("SHA-256 unavailable");
  }
  return hex(md.data(), 8);
}

std::string random_store_id() {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
    throw std::runtime_error("RAND_bytes failed");
  return hex(bytes.data(), bytes.size());
}

}  // namespace fleet::store
