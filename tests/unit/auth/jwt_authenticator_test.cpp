#include "auth/jwt_authenticator.hpp"

#include <gtest/gtest.h>

#include <mutex>
#include <optional>
#include <vector>

#include "auth/static_key_source.hpp"
#include "test_keys.hpp"

namespace fleet::auth {
namespace {

namespace json = boost::json;
using namespace fleet::auth::testing;

constexpr std::int64_t kNowS = 1'700'000'000;

// Serves `keys`; refresh() counts, swaps in `next` (if set) and completes inline or when told to.
class FakeKeySource final : public KeySource {
 public:
  explicit FakeKeySource(std::shared_ptr<const KeySet> keys) : keys_(std::move(keys)) {}
  std::shared_ptr<const KeySet> current() const override {
    std::lock_guard lock(mu_);
    return keys_;
  }
  void refresh(std::function<void()> done) override {
    std::unique_lock lock(mu_);
    ++refreshes;
    if (next) keys_ = next;
    if (deferred) {
      pending.push_back(std::move(done));
      return;
    }
    lock.unlock();
    done();
  }
  void complete_pending() {
    auto p = std::move(pending);
    for (auto& f : p) f();
  }

  int refreshes = 0;
  bool deferred = false;
  std::shared_ptr<const KeySet> next;
  std::vector<std::function<void()>> pending;

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const KeySet> keys_;
};

class JwtAuthenticatorTest : public ::testing::Test {
 protected:
  JwtAuthenticatorTest() : clock_(kNowS * 1000) {}

  std::string token(std::string_view kid, json::object extra = {}) {
    json::object c{{"sub", "user_1"},
                   {"sid", "sess_1"},
                   {"iat", kNowS},
                   {"exp", kNowS + 60},
                   {"o", json::object{{"id", "org_1"}, {"rol", "admin"}}}};
    for (auto& [k, v] : extra) c[k] = v;
    return sign(json::object{{"alg", "RS256"}, {"kid", kid}, {"typ", "JWT"}}, c, shared_rsa().get(),
                JwsAlg::RS256);
  }
  // Runs authenticate and returns the outcome if `done` was called (checks it is called at most once).
  std::optional<AuthOutcome> run(JwtAuthenticator& a, std::string_view t) {
    std::optional<AuthOutcome> out;
    int calls = 0;
    a.authenticate(t, [&](AuthOutcome o) {
      ++calls;
      out = std::move(o);
    });
    EXPECT_LE(calls, 1);
    return out;
  }

  ManualClock clock_;
};

TEST_F(JwtAuthenticatorTest, MissingToken) {
  auto src = std::make_shared<FakeKeySource>(set_of(shared_rsa().get(), "k1"));
  JwtAuthenticator a(src, {}, clock_);
  auto o = run(a, "");
  ASSERT_TRUE(o);
  EXPECT_FALSE(o->ok);
  EXPECT_EQ(o->failure, AuthFailure::missing_token);
  EXPECT_EQ(src->refreshes, 0);
}

TEST_F(JwtAuthenticatorTest, ValidTokenGivesPrincipal) {
  auto src = std::make_shared<FakeKeySource>(set_of(shared_rsa().get(), "k1"));
  JwtAuthenticator a(src, {}, clock_);
  auto o = run(a, token("k1"));
  ASSERT_TRUE(o);
  ASSERT_TRUE(o->ok) << o->detail;
  EXPECT_EQ(o->principal.tenant.str(), "org_1");
  EXPECT_EQ(o->principal.user.str(), "user_1");
  EXPECT_EQ(o->principal.role, "admin");
  EXPECT_EQ(o->principal.session_id, "sess_1");
  EXPECT_EQ(o->principal.exp_s, kNowS + 60);
  EXPECT_EQ(src->refreshes, 0);
}

TEST_F(JwtAuthenticatorTest, UsesInjectedClock) {
  auto src = std::make_shared<FakeKeySource>(set_of(shared_rsa().get(), "k1"));
  JwtAuthenticator a(src, {}, clock_);
  const auto t = token("k1");
  clock_.advance_ms(120'000);
  auto o = run(a, t);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->failure, AuthFailure::invalid_token);
  EXPECT_NE(o->detail.find("expired"), std::string::npos);
}

TEST_F(JwtAuthenticatorTest, UnknownKidRefreshesOnceThenSucceeds) {
  auto other = gen_ec("P-256");
  auto src = std::make_shared<FakeKeySource>(set_of(other.get(), "old"));
  src->next = set_of(shared_rsa().get(), "new");
  JwtAuthenticator a(src, {}, clock_);
  auto o = run(a, token("new"));
  ASSERT_TRUE(o);
  EXPECT_TRUE(o->ok) << o->detail;
  EXPECT_EQ(src->refreshes, 1);
}

TEST_F(JwtAuthenticatorTest, UnknownKidAfterRefreshFailsWithoutLooping) {
  auto src = std::make_shared<FakeKeySource>(set_of(shared_rsa().get(), "k1"));
  JwtAuthenticator a(src, {}, clock_);
  auto o = run(a, token("k2"));
  ASSERT_TRUE(o);
  EXPECT_FALSE(o->ok);
  EXPECT_EQ(o->failure, AuthFailure::invalid_token);
  EXPECT_NE(o->detail.find("unknown_kid"), std::string::npos);
  EXPECT_EQ(src->refreshes, 1);
}

TEST_F(JwtAuthenticatorTest, CompletesWhenRefreshCompletesAndCopiesToken) {
  auto src = std::make_shared<FakeKeySource>(set_of(gen_ec("P-256").get(), "old"));
  src->next = set_of(shared_rsa().get(), "new");
  src->deferred = true;
  std::optional<AuthOutcome> out;
  {
    auto a = std::make_unique<JwtAuthenticator>(src, JwtAuthenticatorConfig{}, clock_);
    std::string t = token("new");
    a->authenticate(t, [&](AuthOutcome o) { out = std::move(o); });
    t.assign(t.size(), 'x');  // the caller's buffer may be gone by the time the refresh completes
  }                           // and so may the authenticator
  EXPECT_FALSE(out);
  src->complete_pending();
  ASSERT_TRUE(out);
  EXPECT_TRUE(out->ok) << out->detail;
}

TEST_F(JwtAuthenticatorTest, OtherFailuresDoNotRefresh) {
  auto src = std::make_shared<FakeKeySource>(set_of(shared_rsa().get(), "k1"));
  JwtAuthenticator a(src, {}, clock_);
  auto t = token("k1");
  t.back() = t.back() == 'A' ? 'Q' : 'A';
  auto o = run(a, t);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->failure, AuthFailure::invalid_token);
  EXPECT_EQ(run(a, "garbage")->failure, AuthFailure::invalid_token);
  EXPECT_EQ(src->refreshes, 0);
}

TEST_F(JwtAuthenticatorTest, ClaimsPolicyApplied) {
  auto src = std::make_shared<FakeKeySource>(set_of(shared_rsa().get(), "k1"));
  JwtAuthenticatorConfig cfg;
  cfg.claims.issuer = "https://clerk.example";
  JwtAuthenticator a(src, cfg, clock_);
  EXPECT_EQ(run(a, token("k1"))->failure, AuthFailure::invalid_token);  // no iss
  EXPECT_TRUE(run(a, token("k1", {{"iss", "https://clerk.example"}}))->ok);
  EXPECT_EQ(run(a, token("k1", {{"iss", "https://clerk.example"}, {"o", json::object{}}}))->failure,
            AuthFailure::no_organization);
  EXPECT_EQ(run(a, token("k1", {{"iss", "https://clerk.example"}, {"sts", "pending"}}))->failure,
            AuthFailure::pending_session);
}

TEST_F(JwtAuthenticatorTest, DetailDoesNotContainToken) {
  auto src = std::make_shared<FakeKeySource>(set_of(shared_rsa().get(), "k1"));
  JwtAuthenticator a(src, {}, clock_);
  const auto t = token("k2");
  auto o = run(a, t);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->detail.find(t.substr(0, 16)), std::string::npos);
}

TEST_F(JwtAuthenticatorTest, StaticPemSourceAcceptsAnyKid) {
  auto src = StaticKeySource::from_text(pem_public(shared_rsa().get()));
  ASSERT_TRUE(src.has_value()) << src.error().message;
  JwtAuthenticator a(*src, {}, clock_);
  EXPECT_TRUE(run(a, token("ins_2abc"))->ok);
}

}  // namespace
}  // namespace fleet::auth
