#pragma once
// A KeySource whose keys never change: a configured PEM public key or JWKS file, or keys in memory.
#include <memory>
#include <string>

#include "auth/key_source.hpp"
#include "core/result.hpp"

namespace fleet::auth {

class StaticKeySource final : public KeySource {
 public:
  explicit StaticKeySource(std::shared_ptr<const KeySet> keys) : keys_(std::move(keys)) {}

  // Reads a file holding either a PEM public key ("-----BEGIN PUBLIC KEY-----") or a JWKS document,
  // told apart by content. Errors: ErrorCode::internal when unreadable, invalid_field when unusable.
  static Result<std::shared_ptr<StaticKeySource>> from_file(const std::string& path);
  // From PEM or JWKS text already in memory (e.g. an environment variable), told apart the same way.
  static Result<std::shared_ptr<StaticKeySource>> from_text(std::string_view pem_or_jwks);

  std::shared_ptr<const KeySet> current() const override { return keys_; }
  // Nothing to fetch: completes inline.
  void refresh(std::function<void()> done) override {
    if (done) done();
  }

 private:
  std::shared_ptr<const KeySet> keys_;
};

}  // namespace fleet::auth
