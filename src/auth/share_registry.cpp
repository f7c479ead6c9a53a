#include "auth/share_registry.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <mutex>

#include "auth/base64url.hpp"

namespace fleet::auth {
namespace {

constexpr std::string_view kTokenPrefix = "fsh_";
constexpr std::string_view kSharePrefix = "shr_";
constexpr std::size_t kIdHexDigits = 32;
constexpr std::size_t kMacBytes = 16;     // HMAC-SHA256 truncated (RFC 2104 section 5 allows it)
constexpr std::size_t kMacChars = 22;     // base64url of 16 bytes, unpadded
constexpr std::size_t kMinKeyBytes = 32;  // a key of HMAC-SHA256's output size
constexpr std::size_t kTokenChars = kTokenPrefix.size() + kIdHexDigits + kMacChars;

bool is_lower_hex(std::string_view s) noexcept {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool is_share_id(std::string_view id) noexcept {
  return id.size() == kSharePrefix.size() + kIdHexDigits &&
         id.substr(0, kSharePrefix.size()) == kSharePrefix && is_lower_hex(id.substr(kSharePrefix.size()));
}

// base64url(HMAC-SHA256(key, share_id)[0:16]); empty when the key is too short or OpenSSL fails, which
// no token can match (the comparison below first checks the length).
std::string mac_text(std::string_view key, std::string_view share_id) {
  if (key.size() < kMinKeyBytes) return {};
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(share_id.data()), share_id.size(), md, &len) ||
      len < kMacBytes) {
    return {};
  }
  std::string out = base64url_encode(std::string_view(reinterpret_cast<const char*>(md), kMacBytes));
  OPENSSL_cleanse(md, sizeof md);
  return out;
}

ShareStatus status_of(const ShareGrant& grant, bool revoked, std::int64_t now_ms) noexcept {
  // Revocation wins over expiry: it is the admin's explicit word, and the reason the viewer is told.
  if (revoked) return ShareStatus::revoked;
  if (now_ms >= grant.expires_ms) return ShareStatus::expired;
  return ShareStatus::ok;
}

}  // namespace

ShareRegistry::ShareRegistry(std::string key) : key_(std::move(key)) {}

bool ShareRegistry::can_sign() const noexcept { return key_.size() >= kMinKeyBytes; }

bool ShareRegistry::is_share_token(std::string_view token) noexcept {
  if (token.size() != kTokenChars || token.substr(0, kTokenPrefix.size()) != kTokenPrefix) return false;
  if (!is_lower_hex(token.substr(kTokenPrefix.size(), kIdHexDigits))) return false;
  for (char c : token.substr(kTokenPrefix.size() + kIdHexDigits)) {
    if (!is_base64url_char(c)) return false;
  }
  return true;
}

std::string ShareRegistry::token_for(std::string_view share_id) const {
  if (!is_share_id(share_id)) return {};
  std::string mac = mac_text(key_, share_id);
  if (mac.empty()) return {};
  std::string token(kTokenPrefix);
  token += share_id.substr(kSharePrefix.size());
  token += mac;
  return token;
}

void ShareRegistry::add(ShareGrant grant) {
  std::string id = grant.share_id;
  std::unique_lock lock(mu_);
  shares_.insert_or_assign(std::move(id), Entry{std::move(grant), false});
}

void ShareRegistry::revoke(std::string_view share_id) {
  std::unique_lock lock(mu_);
  if (auto it = shares_.find(std::string(share_id)); it != shares_.end()) it->second.revoked = true;
}

ShareCheck ShareRegistry::verify(std::string_view token, std::int64_t now_ms) const {
  ShareCheck out;
  if (!is_share_token(token)) return out;
  std::string share_id(kSharePrefix);
  share_id += token.substr(kTokenPrefix.size(), kIdHexDigits);
  // The signature first, in constant time, so an unsigned id learns nothing about which shares exist.
  const std::string expected = mac_text(key_, share_id);
  const std::string_view given = token.substr(kTokenPrefix.size() + kIdHexDigits);
  if (expected.size() != given.size() || CRYPTO_memcmp(expected.data(), given.data(), given.size()) != 0) {
    return out;
  }
  std::shared_lock lock(mu_);
  const auto it = shares_.find(share_id);
  if (it == shares_.end()) return out;
  out.status = status_of(it->second.grant, it->second.revoked, now_ms);
  if (out.status == ShareStatus::ok) out.grant = it->second.grant;
  return out;
}

ShareStatus ShareRegistry::status(std::string_view share_id, std::int64_t now_ms) const {
  std::shared_lock lock(mu_);
  const auto it = shares_.find(std::string(share_id));
  if (it == shares_.end()) return ShareStatus::invalid;
  return status_of(it->second.grant, it->second.revoked, now_ms);
}

}  // namespace fleet::auth
