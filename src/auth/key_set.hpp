#pragma once
// An immutable snapshot of the verification keys: built once (keys parsed once), then shared between
// threads as shared_ptr<const KeySet>. A refresh builds a new snapshot and swaps the pointer.
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/jwk.hpp"
#include "core/result.hpp"

namespace fleet::auth {

class KeySet {
 public:
  // At most this many keys are taken from one JWKS document; the rest are skipped.
  static constexpr std::size_t kMaxKeys = 64;

  // From a JWKS document ({"keys":[...]}, strict JSON). Unusable keys (unsupported kty, private parts,
  // RSA-1024, duplicate kid, ...) are skipped with a warning log; usable ones are kept. Error
  // (ErrorCode::invalid_field) when the document is malformed or holds no usable key at all, so a broken
  // document never replaces a working set.
  static Result<std::shared_ptr<const KeySet>> from_jwks(std::string_view json);

  // From one PEM public key. It has no kid and matches tokens with any kid or none.
  static Result<std::shared_ptr<const KeySet>> from_pem(std::string_view pem);

  // From already-parsed keys (tests, tools). Later duplicates of a kid are dropped.
  static std::shared_ptr<const KeySet> from_keys(std::vector<PublicKey> keys);

  // The key for a token header's kid (nullopt when the header has none), or nullptr. A kid-less token
  // matches only when the choice is unambiguous: a PEM set, or a set of exactly one key.
  const PublicKey* find(std::optional<std::string_view> kid) const noexcept;

  std::size_t size() const noexcept { return keys_.size(); }
  std::size_t skipped() const noexcept { return skipped_; }
  std::vector<std::string> kids() const;

 private:
  KeySet() = default;
  // Gives every key its prepared verification contexts (auth/verify_contexts): paid once per key set,
  // not once per token.
  void prepare();
  std::vector<PublicKey> keys_;  // few keys: a linear scan beats a map
  bool any_kid_ = false;
  std::size_t skipped_ = 0;
};

}  // namespace fleet::auth
