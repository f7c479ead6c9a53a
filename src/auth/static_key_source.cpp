#include "auth/static_key_source.hpp"

#include <fstream>

namespace fleet::auth {

Result<std::shared_ptr<StaticKeySource>> StaticKeySource::from_text(std::string_view pem_or_jwks) {
  auto keys = pem_or_jwks.find("-----BEGIN") != std::string_view::npos ? KeySet::from_pem(pem_or_jwks)
                                                                       : KeySet::from_jwks(pem_or_jwks);
  if (!keys) return keys.error();
  return std::make_shared<StaticKeySource>(std::move(*keys));
}

Result<std::shared_ptr<StaticKeySource>> StaticKeySource::from_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::internal, "cannot open key file " + path);
  std::string text;
  // Key files are small; refuse anything large rather than read it all.
  constexpr std::size_t kMaxBytes = 1 << 20;
  text.resize(kMaxBytes + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxBytes) return make_error(ErrorCode::invalid_field, "key file too large: " + path);
  auto src = from_text(text);
  if (!src) return make_error(src.error().code, path + ": " + src.error().message);
  return src;
}

}  // namespace fleet::auth
