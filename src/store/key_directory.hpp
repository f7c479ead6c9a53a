#pragma once
// The ingest keys that may append right now (registered, not revoked), readable from any thread. The
// transport asks it before reading a request's body, so a caller without a valid device key never gets a
// byte of its body buffered (docs/protocol.md, "HTTP edge"). The store thread keeps it in step with the
// devices table; append still checks the key itself, so a key revoked between the two is refused there.
#include <array>
#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string_view>
#include <unordered_set>

namespace fleet::store {

class KeyDirectory {
 public:
  // `key_hash` is the hex SHA-256 the API makes of a key. Anything else is never active: insert ignores it
  // and contains answers false.
  void insert(std::string_view key_hash);
  void erase(std::string_view key_hash);
  bool contains(std::string_view key_hash) const;
  std::size_t size() const;

 private:
  using Digest = std::array<std::uint8_t, 32>;  // binary, half the memory of the hex form
  struct DigestHash {
    std::size_t operator()(const Digest& d) const noexcept;
  };
  static std::optional<Digest> decode(std::string_view hex) noexcept;

  mutable std::shared_mutex mutex_;
  std::unordered_set<Digest, DigestHash> keys_;  // guarded by mutex_
};

}  // namespace fleet::store
