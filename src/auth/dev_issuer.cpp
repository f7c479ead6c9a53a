#include "auth/dev_issuer.hpp"

#include <openssl/core_names.h>
#include <openssl/err.h>

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
  if (EVP_PKEY_get_bn_param(pkey, name, &raw) != 1) return make_error(ErrorCode::internal, "cannot read RSA key");
  ossl::BnPtr bn(raw);
  std::string bytes(static_cast<std::size_t>(BN_num_bytes(bn.get())), '\0');
  BN_bn2bin(bn.get(), reinterpret_cast<unsigned char*>(bytes.data()));
  return base64url_encode(bytes);
}

}  // namespace

Result<std::shared_ptr<const DevIssuer>> DevIssuer::create(DevIssuerConfig config) {
  ossl::PkeyPtr pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(2048)));
  if (!pkey) {
    ERR_clear_error();
    return make_error(ErrorCode::internal, "dev issuer: RSA key generation failed");
  }
  auto kid = random_token("dev_", 12);
  if (!kid) return kid.error();
  auto n = bn_param_b64(pkey.get(), OSSL_PKEY_PARAM_RSA_N);
  if (!n) return n.error();
  auto e = bn_param_b64(pkey.get(), OSSL_PKEY_PARAM_RSA_E);
  if (!e) return e.error();

  std::shared_ptr<DevIssuer> issuer(new DevIssuer());
  issuer->config_ = std::move(config);
  issuer->kid_ = std::move(*kid);
  json::object jwk{{"kty", "RSA"}, {"kid", issuer->kid_}, {"use", "sig"}, {"alg", "RS256"}, {"n", *n}, {"e", *e}};
  json::object doc{{"keys", json::array{std::move(jwk)}}};
  issuer->jwks_ = json::serialize(doc);
  issuer->key_ = ossl::share(std::move(pkey));
  return std::shared_ptr<const DevIssuer>(std::move(issuer));
}

Result<std::shared_ptr<StaticKeySource>> DevIssuer::key_source() const { return StaticKeySource::from_text(jwks_); }

Result<std::string> DevIssuer::issue(std::string_view user, std::string_view org, std::string_view role,
                                     std::int64_t ttl_s, std::int64_t now_s) const {
  auto sid = random_token("sess_", 16);
  if (!sid) return sid.error();
  json::object header{{"alg", "RS256"}, {"kid", kid_}, {"typ", "JWT"}};
  json::object payload{{"iss", config_.issuer}, {"sub", user},       {"sid", *sid},       {"iat", now_s},
                       {"nbf", now_s},          {"exp", now_s + ttl_s}, {"v", 2}};
  if (!config_.azp.empty()) payload["azp"] = config_.azp;
  if (!org.empty()) payload["o"] = json::object{{"id", org}, {"rol", role}, {"slg", org}};
  return encode_jws(header, payload, key_.get(), JwsAlg::RS256);
}

}  // namespace fleet::auth
