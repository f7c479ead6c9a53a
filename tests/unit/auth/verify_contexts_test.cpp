#include "auth/verify_contexts.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "auth/jwk.hpp"
#include "auth/signature.hpp"
#include "test_keys.hpp"

namespace fleet::auth {
namespace {

using namespace fleet::auth::testing;

constexpr std::string_view kInput = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0";

PublicKey bare_key(const Pkey& pkey, KeyKind kind) {
  PublicKey k;
  k.kind = kind;
  k.pkey = pkey;
  return k;
}

// The prepared path must accept exactly what the unprepared one accepts, for every algorithm.
TEST(VerifyContexts, PreparedAndUnpreparedAgreeForEveryAlgorithm) {
  struct Case {
    Pkey pkey;
    KeyKind kind;
    JwsAlg alg;
  };
  const std::vector<Case> cases{
      {shared_rsa(), KeyKind::rsa, JwsAlg::RS256},        {shared_rsa(), KeyKind::rsa, JwsAlg::RS384},
      {shared_rsa(), KeyKind::rsa, JwsAlg::RS512},        {shared_rsa(), KeyKind::rsa, JwsAlg::PS256},
      {gen_ec("P-256"), KeyKind::ec_p256, JwsAlg::ES256}, {gen_ec("P-384"), KeyKind::ec_p384, JwsAlg::ES384},
      {gen_ed25519(), KeyKind::ed25519, JwsAlg::EdDSA}};
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(to_string(c.alg)));
    PublicKey plain = bare_key(c.pkey, c.kind);
    PublicKey prepared = plain;
    prepared.verify_contexts = VerifyContexts::create(prepared);
    ASSERT_NE(prepared.verify_contexts, nullptr);
    auto ctx = prepared.verify_contexts->start(c.alg);
    ASSERT_NE(ctx, nullptr) << "no prepared context";

    auto sig = sign_jws_input(c.pkey.get(), c.alg, kInput);
    ASSERT_TRUE(sig.has_value());
    // A prepared context is copied per use: verifying twice with one key must work twice.
    for (int i = 0; i < 2; ++i) {
      EXPECT_TRUE(verify_signature(plain, c.alg, kInput, *sig));
      EXPECT_TRUE(verify_signature(prepared, c.alg, kInput, *sig));
    }
    std::string bad = *sig;
    bad[bad.size() / 2] = static_cast<char>(bad[bad.size() / 2] ^ 0x01);
    EXPECT_FALSE(verify_signature(plain, c.alg, kInput, bad));
    EXPECT_FALSE(verify_signature(prepared, c.alg, kInput, bad));
    EXPECT_FALSE(verify_signature(prepared, c.alg, std::string(kInput) + "x", *sig));
  }
}

TEST(VerifyContexts, OnlyPermittedAlgorithmsArePrepared) {
  PublicKey rs = bare_key(shared_rsa(), KeyKind::rsa);
  rs.alg = JwsAlg::RS256;  // the JWK pins the algorithm
  auto contexts = VerifyContexts::create(rs);
  ASSERT_NE(contexts, nullptr);
  EXPECT_NE(contexts->start(JwsAlg::RS256), nullptr);
  EXPECT_EQ(contexts->start(JwsAlg::PS256), nullptr);
  EXPECT_EQ(contexts->start(JwsAlg::ES256), nullptr);
  EXPECT_EQ(VerifyContexts::create(PublicKey{}), nullptr);  // no key, nothing to prepare
}

TEST(VerifyContexts, EveryKeySetPreparesItsKeys) {
  auto jwks = set_of(shared_rsa().get(), "k1");
  ASSERT_NE(jwks->find("k1"), nullptr);
  EXPECT_NE(jwks->find("k1")->verify_contexts, nullptr);
  auto pem = KeySet::from_pem(pem_public(shared_rsa().get()));
  ASSERT_TRUE(pem.has_value());
  EXPECT_NE((*pem)->find(std::nullopt)->verify_contexts, nullptr);
  auto keys = KeySet::from_keys({bare_key(gen_ec("P-256"), KeyKind::ec_p256)});
  EXPECT_NE(keys->find(std::nullopt)->verify_contexts, nullptr);
}

// Rotation: a JWKS refresh replaces the key set while workers still verify with the old one. The prepared
// contexts own their key, so a verification holding a key copied out of a dropped set stays valid.
TEST(VerifyContexts, SurvivesTheKeySetItCameFrom) {
  auto sig = sign_jws_input(shared_rsa().get(), JwsAlg::RS256, kInput);
  ASSERT_TRUE(sig.has_value());
  PublicKey kept;
  {
    auto set = set_of(shared_rsa().get(), "old");
    kept = *set->find("old");
  }
  kept.pkey.reset();  // only the prepared contexts still reference the EVP_PKEY now
  auto ctx = kept.verify_contexts->start(JwsAlg::RS256);
  ASSERT_NE(ctx, nullptr);
  EXPECT_EQ(EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig->data()), sig->size(),
                             reinterpret_cast<const unsigned char*>(kInput.data()), kInput.size()),
            1);
}

// Several threads verify with one shared set while another keeps replacing it (run under TSan/ASan).
TEST(VerifyContexts, ConcurrentVerificationDuringRotation) {
  auto sig = sign_jws_input(shared_rsa().get(), JwsAlg::RS256, kInput);
  ASSERT_TRUE(sig.has_value());
  std::shared_ptr<const KeySet> current = set_of(shared_rsa().get(), "k");
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> verifiers;
  for (int t = 0; t < 3; ++t) {
    verifiers.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        auto set = std::atomic_load(&current);
        if (!verify_signature(*set->find("k"), JwsAlg::RS256, kInput, *sig)) failures.fetch_add(1);
      }
    });
  }
  std::thread rotator([&] {
    while (!stop.load()) std::atomic_store(&current, set_of(shared_rsa().get(), "k"));
  });
  for (auto& t : verifiers) t.join();
  stop = true;
  rotator.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace fleet::auth
