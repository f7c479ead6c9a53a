#include "auth/key_set.hpp"

#include <algorithm>

#include "auth/verify_contexts.hpp"
#include "core/strict_json.hpp"
#include "obs/log.hpp"

namespace fleet::auth {
namespace {

std::string short_kid(std::string_view kid) { return std::string(kid.substr(0, 64)); }

bool has_kid(const std::vector<PublicKey>& keys, const std::string& kid) {
  return std::any_of(keys.begin(), keys.end(), [&](const PublicKey& k) { return k.kid == kid; });
}

}  // namespace

Result<std::shared_ptr<const KeySet>> KeySet::from_jwks(std::string_view json) {
  auto doc = parse_strict_json(json, JsonLimits{8, 1 << 20});
  if (!doc) return make_error(ErrorCode::invalid_field, "JWKS: " + doc.error().message);
  const auto* obj = doc->if_object();
  const auto* keys = obj ? obj->if_contains("keys") : nullptr;
  if (!keys || !keys->is_array()) return make_error(ErrorCode::invalid_field, "JWKS: no \"keys\" array");

  std::shared_ptr<KeySet> set(new KeySet());
  std::size_t index = 0;
  for (const auto& v : keys->as_array()) {
    const std::size_t i = index++;
    std::string kid;
    if (const auto* o = v.if_object()) {
      if (const auto* k = o->if_contains("kid"); k && k->is_string()) kid = short_kid(k->as_string());
    }
    std::string reason;
    if (set->keys_.size() >= kMaxKeys) {
      reason = "too many keys";
    } else if (!v.is_object()) {
      reason = "not an object";
    } else if (auto key = parse_jwk(v.as_object()); !key) {
      reason = key.error().message;
    } else if (has_kid(set->keys_, key->kid)) {
      // Two keys under one kid would make the choice depend on document order.
      reason = "duplicate kid";
    } else {
      set->keys_.push_back(std::move(*key));
      continue;
    }
    ++set->skipped_;
    obs::warn("jwks key skipped",
              {{"index", static_cast<std::uint64_t>(i)}, {"kid", kid}, {"reason", reason}});
  }
  if (set->keys_.empty()) return make_error(ErrorCode::invalid_field, "JWKS: no usable key");
  set->prepare();
  return std::shared_ptr<const KeySet>(std::move(set));
}

Result<std::shared_ptr<const KeySet>> KeySet::from_pem(std::string_view pem) {
  auto key = load_pem_public_key(pem);
  if (!key) return key.error();
  std::shared_ptr<KeySet> set(new KeySet());
  set->keys_.push_back(std::move(*key));
  set->any_kid_ = true;
  set->prepare();
  return std::shared_ptr<const KeySet>(std::move(set));
}

std::shared_ptr<const KeySet> KeySet::from_keys(std::vector<PublicKey> keys) {
  std::shared_ptr<KeySet> set(new KeySet());
  for (auto& k : keys) {
    if (has_kid(set->keys_, k.kid)) {
      ++set->skipped_;
      continue;
    }
    set->keys_.push_back(std::move(k));
  }
  set->prepare();
  return set;
}

const PublicKey* KeySet::find(std::optional<std::string_view> kid) const noexcept {
  if (any_kid_ || (!kid && keys_.size() == 1)) return keys_.empty() ? nullptr : &keys_.front();
  if (!kid) return nullptr;
  for (const auto& k : keys_) {
    if (!k.kid.empty() && k.kid == *kid) return &k;
  }
  return nullptr;
}

std::vector<std::string> KeySet::kids() const {
  std::vector<std::string> out;
  for (const auto& k : keys_) out.push_back(k.kid);
  return out;
}

void KeySet::prepare() {
  for (auto& k : keys_) k.verify_contexts = VerifyContexts::create(k);
}

}  // namespace fleet::auth
