#include "token_minter.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "clock.hpp"

namespace loadgen {

namespace {

std::runtime_error openssl_error(std::string_view what) {
  char buf[256] = {};
  ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
  return std::runtime_error(std::string(what) + ": " + buf);
}

}  // namespace

std::string base64url(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  auto byte = [&](std::size_t k) { return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[k])); };
  for (; i + 3 <= bytes.size(); i += 3) {
    std::uint32_t n = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    out += kAlphabet[n >> 18 & 63];
    out += kAlphabet[n >> 12 & 63];
    out += kAlphabet[n >> 6 & 63];
    out += kAlphabet[n & 63];
  }
  if (std::size_t rest = bytes.size() - i; rest > 0) {
    std::uint32_t n = byte(i) << 16 | (rest == 2 ? byte(i + 1) << 8 : 0);
    out += kAlphabet[n >> 18 & 63];
    out += kAlphabet[n >> 12 & 63];
    if (rest == 2) out += kAlphabet[n >> 6 & 63];
  }
  return out;
}

TokenMinter::TokenMinter(const std::string& private_key_pem_path, TokenSettings settings)
    : settings_(std::move(settings)) {
  std::FILE* f = std::fopen(private_key_pem_path.c_str(), "r");
  if (!f) throw std::runtime_error("cannot open private key " + private_key_pem_path);
  EVP_PKEY* key = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (!key) throw openssl_error("cannot read private key " + private_key_pem_path);
  key_.reset(key, &EVP_PKEY_free);
  if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) throw std::runtime_error("RS256 needs an RSA private key");
}

std::string TokenMinter::mint(const TokenClaims& claims) const {
  const std::int64_t now = wall_ms() / 1000;
  boost::json::object header{{"alg", "RS256"}, {"kid", settings_.key_id}, {"typ", "JWT"}};
  boost::json::object payload{{"iss", settings_.issuer},
                              {"sub", claims.user},
                              {"sid", claims.session},
                              {"iat", now},
                              {"nbf", now - 10},
                              {"exp", now + settings_.ttl_s},
                              {"v", 2}};
  if (!claims.token_id.empty()) payload["jti"] = claims.token_id;
  if (!claims.org.empty()) payload["o"] = boost::json::object{{"id", claims.org}, {"rol", claims.role}};

  std::string signing_input =
      base64url(boost::json::serialize(header)) + "." + base64url(boost::json::serialize(payload));

  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_.get()) != 1) {
    throw openssl_error("EVP_DigestSignInit");
  }
  std::size_t sig_len = 0;
  const auto* data = reinterpret_cast<const unsigned char*>(signing_input.data());
  if (EVP_DigestSign(ctx.get(), nullptr, &sig_len, data, signing_input.size()) != 1) {
    throw openssl_error("EVP_DigestSign");
  }
  std::string sig(sig_len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &sig_len, data,
                     signing_input.size()) != 1) {
    throw openssl_error("EVP_DigestSign");
  }
  sig.resize(sig_len);
  return signing_input + "." + base64url(sig);
}

std::vector<std::string> TokenMinter::mint_all(const std::vector<TokenClaims>& claims) const {
  std::vector<std::string> out(claims.size());
  const std::size_t workers = std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 16);
  std::vector<std::thread> threads;
  std::exception_ptr failure;
  std::mutex failure_mu;
  for (std::size_t w = 0; w < workers; ++w) {
    threads.emplace_back([&, w] {
      try {
        for (std::size_t i = w; i < claims.size(); i += workers) out[i] = mint(claims[i]);
      } catch (...) {
        std::lock_guard lock(failure_mu);
        failure = std::current_exception();
      }
    });
  }
  for (auto& t : threads) t.join();
  if (failure) std::rethrow_exception(failure);
  return out;
}

}  // namespace loadgen
