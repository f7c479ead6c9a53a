#include "store/key_directory.hpp"

#include <cstring>
#include <mutex>

namespace fleet::store {
namespace {

int nibble(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::size_t KeyDirectory::DigestHash::operator()(const Digest& d) const noexcept {
  // A SHA-256 digest is already uniform: any 8 of its bytes are a good hash.
  std::size_t h = 0;
  std::memcpy(&h, d.data(), sizeof h);
  return h;
}

std::optional<KeyDirectory::Digest> KeyDirectory::decode(std::string_view hex) noexcept {
  Digest d{};
  if (hex.size() != d.size() * 2) return std::nullopt;
  for (std::size_t i = 0; i < d.size(); ++i) {
    const int hi = nibble(hex[2 * i]);
    const int lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    d[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return d;
}

void KeyDirectory::insert(std::string_view key_hash) {
  const auto d = decode(key_hash);
  if (!d) return;
  std::unique_lock lock(mutex_);
  keys_.insert(*d);
}

void KeyDirectory::erase(std::string_view key_hash) {
  const auto d = decode(key_hash);
  if (!d) return;
  std::unique_lock lock(mutex_);
  keys_.erase(*d);
}

bool KeyDirectory::contains(std::string_view key_hash) const {
  const auto d = decode(key_hash);
  if (!d) return false;
  std::shared_lock lock(mutex_);
  return keys_.contains(*d);
}

std::size_t KeyDirectory::size() const {
  std::shared_lock lock(mutex_);
  return keys_.size();
}

}  // namespace fleet::store
