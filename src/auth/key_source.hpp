#pragma once
// Where the authenticator gets its keys. Implementations: StaticKeySource (a PEM or JWKS file, or keys in
// memory) and net::JwksFetcher (a JWKS URL, refreshed in the background).
#include <functional>
#include <memory>

#include "auth/key_set.hpp"

namespace fleet::auth {

class KeySource {
 public:
  virtual ~KeySource() = default;
  // The current snapshot; never null once the source is constructed/started (may be an empty set
  // while a first fetch is still pending). Thread-safe and cheap: a shared_ptr copy.
  virtual std::shared_ptr<const KeySet> current() const = 0;
  // Asks for fresh keys, asynchronously and rate-limited. `done` is called exactly once, when the refresh
  // completed, failed (old keys kept) or was skipped by the rate limit, possibly inline and possibly
  // from another thread. Concurrent requests may share one fetch.
  virtual void refresh(std::function<void()> done) = 0;
};

}  // namespace fleet::auth
