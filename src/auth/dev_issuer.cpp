#include "auth/dev_issuer.hpp"

#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <optional>
#include <system_error>

#include <boost/json/serialize.hpp>

#include "auth/ossl.hpp"

#include "auth/base64url.hpp"
#include "auth/jws.hpp"
#include "auth/secrets.hpp"

namespace fleet::auth {
namespace {

namespace json = boost::json;

Result<std::string> bn_param_b64(EVP_PKEY* pkey, const char* name) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &raw) != 1)
    return make_error(ErrorCode::internal, "cannot read RSA key");
  ossl::BnPtr bn(raw);
  std::string bytes(static_cast<std::size_t>(BN_num_bytes(bn.get())), '\0');
  BN_bn2bin(bn.get(), reinterpret_cast<unsigned char*>(bytes.data()));
  return base64url_encode(bytes);
}

Error key_file_error(const std::string& path, std::string_view what) {
  ERR_clear_error();
  return make_error(ErrorCode::internal, "dev issuer key file " + path + ": " + std::string(what));
}

Result<ossl::PkeyPtr> generate_key() {
  ossl::PkeyPtr pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(2048)));
  if (!pkey) {
    ERR_clear_error();
    return make_error(ErrorCode::internal, "dev issuer: RSA key generation failed");
  }
  return pkey;
}

// nullopt when the file does not exist.
Result<std::optional<ossl::PkeyPtr>> read_key(const std::string& path) {
  ossl::BioPtr bio(BIO_new_file(path.c_str(), "r"));
  if (!bio) {
    if (access(path.c_str(), F_OK) != 0 && errno == ENOENT) {
      ERR_clear_error();
      return std::optional<ossl::PkeyPtr>();
    }
    return key_file_error(path, "cannot be read");
  }
  ossl::PkeyPtr pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!pkey || EVP_PKEY_get_base_id(pkey.get()) != EVP_PKEY_RSA || EVP_PKEY_get_bits(pkey.get()) < 2048) {
    return key_file_error(path, "holds no RSA private key of at least 2048 bits");
  }
  return std::optional<ossl::PkeyPtr>(std::move(pkey));
}

// Written beside the target and renamed over it, so a crash never leaves half a key; 0600 from creation.
Result<void> write_key(const std::string& path, EVP_PKEY* pkey) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return key_file_error(tmp, std::generic_category().message(errno));
  ossl::BioPtr bio(BIO_new_fd(fd, BIO_CLOSE));
  if (!bio) {
    ::close(fd);
    return key_file_error(tmp, "cannot be written");
  }
  const bool ok = PEM_write_bio_PrivateKey(bio.get(), pkey, nullptr, nullptr, 0, nullptr, nullptr) == 1 &&
                  BIO_flush(bio.get()) == 1 && ::fsync(fd) == 0;
  bio.reset();
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return key_file_error(path, "cannot be written");
  }
  return {};
}

// "dev_" + base64url of the first 9 bytes of SHA-256 over the DER public key: the same key, the same kid.
Result<std::string> derived_kid(EVP_PKEY* pkey) {
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(pkey, &der);
  if (len <= 0) return make_error(ErrorCode::internal, "dev issuer: cannot encode the public key");
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int md_len = 0;
  const int ok = EVP_Digest(der, static_cast<std::size_t>(len), md.data(), &md_len, EVP_sha256(), nullptr);
  OPENSSL_free(der);
  if (ok != 1) return make_error(ErrorCode::internal, "dev issuer: SHA-256 failed");
  return "dev_" + base64url_encode(std::string_view(reinterpret_cast<const char*>(md.data()), 9));
}

Result<ossl::PkeyPtr> load_or_generate(const std::string& key_file) {
  if (!key_file.empty()) {
    auto existing = read_key(key_file);
    if (!existing) return existing.error();
    if (*existing) return std::move(**existing);
  }
  auto pkey = generate_key();
  if (!pkey) return pkey.error();
  if (!key_file.empty()) {
    if (auto w = write_key(key_file, pkey->get()); !w) return w.error();
  }
  return pkey;
}

// A fresh key offered to the shared store, and the one it keeps (ours, or another process's).
Result<ossl::PkeyPtr> shared(const std::function<Result<std::string>(const std::string&)>& store) {
  auto fresh = generate_key();
  if (!fresh) return fresh.error();
  ossl::BioPtr out(BIO_new(BIO_s_mem()));
  if (!out || PEM_write_bio_PrivateKey(out.get(), fresh->get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    ERR_clear_error();
    return make_error(ErrorCode::internal, "dev issuer: cannot encode the key");
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(out.get(), &data);
  auto kept = store(std::string(data, static_cast<std::size_t>(len)));
  if (!kept) return kept.error();
  ossl::BioPtr in(BIO_new_mem_buf(kept->data(), static_cast<int>(kept->size())));
  ossl::PkeyPtr pkey(in ? PEM_read_bio_PrivateKey(in.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!pkey || EVP_PKEY_get_base_id(pkey.get()) != EVP_PKEY_RSA || EVP_PKEY_get_bits(pkey.get()) < 2048) {
    ERR_clear_error();
    return make_error(ErrorCode::internal,
                      "dev issuer: the shared key is no RSA private key of at least 2048 bits");
  }
  return pkey;
}

}  // namespace

Result<std::shared_ptr<const DevIssuer>> DevIssuer::create(DevIssuerConfig config) {
  auto loaded = config.shared_key ? shared(config.shared_key) : load_or_generate(config.key_file);
  if (!loaded) return loaded.error();
  ossl::PkeyPtr pkey = std::move(*loaded);
  auto kid = derived_kid(pkey.get());
  if (!kid) return kid.error();
  auto n = bn_param_b64(pkey.get(), OSSL_PKEY_PARAM_RSA_N);
  if (!n) return n.error();
  auto e = bn_param_b64(pkey.get(), OSSL_PKEY_PARAM_RSA_E);
  if (!e) return e.error();

  std::shared_ptr<DevIssuer> issuer(new DevIssuer());
  issuer->config_ = std::move(config);
  issuer->kid_ = std::move(*kid);
  json::object jwk{{"kty", "RSA"}, {"kid", issuer->kid_}, {"use", "sig"}, {"alg", "RS256"}, {"n", *n},
                   {"e", *e}};
  json::object doc{{"keys", json::array{std::move(jwk)}}};
  issuer->jwks_ = json::serialize(doc);
  issuer->key_ = ossl::share(std::move(pkey));
  return std::shared_ptr<const DevIssuer>(std::move(issuer));
}

Result<std::shared_ptr<StaticKeySource>> DevIssuer::key_source() const {
  return StaticKeySource::from_text(jwks_);
}

Result<std::string> DevIssuer::issue(std::string_view user, std::string_view org, std::string_view role,
                                     std::int64_t ttl_s, std::int64_t now_s) const {
  auto sid = random_token("sess_", 16);
  if (!sid) return sid.error();
  json::object header{{"alg", "RS256"}, {"kid", kid_}, {"typ", "JWT"}};
  json::object payload{{"iss", config_.issuer}, {"sub", user},          {"sid", *sid}, {"iat", now_s},
                       {"nbf", now_s},          {"exp", now_s + ttl_s}, {"v", 2}};
  if (!config_.azp.empty()) payload["azp"] = config_.azp;
  if (!org.empty()) payload["o"] = json::object{{"id", org}, {"rol", role}, {"slg", org}};
  return encode_jws(header, payload, key_.get(), JwsAlg::RS256);
}

}  // namespace fleet::auth
