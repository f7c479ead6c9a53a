#pragma once
// Share links (docs/protocol.md, "Share links"): which shares exist, and whether a share token is one of
// them. A token is "fsh_" + the share id's 32 hex digits + base64url(HMAC-SHA256(share key, share id))
// truncated to 16 bytes (22 characters): fleetd can check it without storing it, and an admin who lists
// shares sees ids that are not tokens. No '.' in it, so /share/<token> is a page route.
//
// The app loads the registry from the store at start (active shares) and keeps it current as shares are
// created and revoked through the API; WebSocket sessions ask it at authentication and at every sweep.
// Thread-safe: any thread may call anything; reads take a shared lock, never I/O under it.
#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/ids.hpp"

namespace fleet::auth {

// What a share token grants: a fixed set of one tenant's devices, until expires_ms (wall clock, ms).
struct ShareGrant {
  std::string share_id;  // "shr_" + 32 hex
  TenantId tenant;
  std::vector<DeviceId> devices;
  std::int64_t expires_ms = 0;
};

enum class ShareStatus : std::uint8_t {
  ok,
  invalid,  // not a share token, a bad signature, or a share this registry does not know
  expired,
  revoked,
};

struct ShareCheck {
  ShareStatus status = ShareStatus::invalid;
  std::optional<ShareGrant> grant;  // set when status is ok
};

class ShareRegistry {
 public:
  // `key`: the store's share key (store::Store::share_key()), at least 32 bytes. A shorter one signs
  // nothing: token_for() answers "" and verify() `invalid`, so a store without a key shares nothing.
  explicit ShareRegistry(std::string key);

  // Whether the key is long enough to sign: false means no share can be created (nor any token accepted).
  bool can_sign() const noexcept;

  // Whether `token` has the share-token form (prefix and length): such a token is never a JWT, so the
  // transport sends it here instead of to the JWT authenticator.
  static bool is_share_token(std::string_view token) noexcept;

  // The token of share `share_id` (for POST /api/v1/shares' answer). Empty for a malformed id.
  std::string token_for(std::string_view share_id) const;

  // Registers a share (created now, or loaded at start). Replaces one with the same id.
  void add(ShareGrant grant);
  // Marks a share revoked: its token fails with `revoked` from now on. Unknown ids are ignored.
  void revoke(std::string_view share_id);

  // Checks a token: form, signature (constant-time), known share, not revoked, not expired at now_ms.
  ShareCheck verify(std::string_view token, std::int64_t now_ms) const;
  // A live session's share, at each sweep: ok, expired or revoked (invalid when unknown).
  ShareStatus status(std::string_view share_id, std::int64_t now_ms) const;

 private:
  struct Entry {
    ShareGrant grant;
    bool revoked = false;
  };
  std::string key_;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, Entry> shares_;  // by share id
};

}  // namespace fleet::auth
