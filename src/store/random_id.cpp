#include "store/random_id.hpp"

#include <openssl/rand.h>

#include <array>

namespace fleet::store {

Result<std::string> new_random_id(std::string_view prefix) {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    return make_error(ErrorCode::internal, "RAND_bytes failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(prefix);
  id.reserve(prefix.size() + 2 * bytes.size());
  for (unsigned char b : bytes) {
    id += kHex[b >> 4];
    id += kHex[b & 0x0f];
  }
  return id;
}

}  // namespace fleet::store
