// The API handlers as plain functions: a request in, a response out, over an in-memory store, a fake
// authenticator and a broker whose workers run inline.
#include "api/router.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <map>

#include "api/app_config.hpp"
#include "api/bearer.hpp"
#include "api/http_errors.hpp"
#include "hub/broker.hpp"
#include "store/memory_store.hpp"

namespace fleet::api {
namespace {

// Tokens are "user|tenant|role"; anything else is invalid, "" is missing, "|x|y" has no organization.
class FakeAuthenticator final : public auth::Authenticator {
 public:
  void authenticate(std::string_view token, std::function<void(auth::AuthOutcome)> done) override {
    auth::AuthOutcome o;
    if (token.empty()) {
      o.failure = auth::AuthFailure::missing_token;
      return done(o);
    }
    const auto a = token.find('|');
    const auto b = token.find('|', a == std::string_view::npos ? a : a + 1);
    if (a == std::string_view::npos || b == std::string_view::npos) {
      o.failure = auth::AuthFailure::invalid_token;
      return done(o);
    }
    if (token.substr(a + 1, b - a - 1).empty()) {
      o.failure = auth::AuthFailure::no_organization;
      return done(o);
    }
    o.ok = true;
    o.principal.user = UserId(std::string(token.substr(0, a)));
    o.principal.tenant = TenantId(std::string(token.substr(a + 1, b - a - 1)));
    o.principal.role = std::string(token.substr(b + 1));
    o.principal.exp_s = 1'800'000'000;
    done(o);
  }
};

struct Recorder : hub::Subscriber {
  hub::Outbox box;
  hub::Outbox& outbox() noexcept override { return box; }
  void on_ready() override {}
  void on_overflow() override {}
};

class RouterTest : public ::testing::Test {
 protected:
  RouterTest()
      : store_(clock_),
        ctx_{store_,
             broker_,
             device_index_,
             auth_,
             shares_,
             clock_,
             {},
             nullptr,
             nullptr,
             encode_app_config({"https://t.example.org/{z}/{x}/{y}.png", "(c) \"OSM\""})},
        router_(ctx_) {
    broker_.add_shard([](std::function<void()> task) { task(); }, hub_);
  }

  Response call(std::string method, std::string path, std::string body = {}, std::string bearer = {},
                std::string query = {}) {
    Request req{std::move(method), std::move(path), std::move(query),
                bearer.empty() ? "" : "Bearer " + bearer, std::move(body)};
    std::optional<Response> out;
    Responder done = [&](Response r) { out = std::move(r); };
    EXPECT_TRUE(router_.handle(std::move(req), done));
    EXPECT_TRUE(out.has_value()) << "handler did not answer synchronously with the in-memory store";
    return out.value_or(Response{});
  }
  static boost::json::value json(const Response& r) { return boost::json::parse(r.body); }

  std::pair<std::string, std::string> create(const std::string& admin, const std::string& name) {
    auto r = call("POST", "/api/v1/devices", R"({"name":")" + name + R"("})", admin);
    EXPECT_EQ(r.status, 201) << r.body;
    auto j = json(r);
    return {std::string(j.at("device").at("id").as_string()), std::string(j.at("key").as_string())};
  }

  ManualClock clock_{1'795'000'000'000};
  store::MemoryStore store_;
  hub::TenantHub hub_;
  proto::DeviceIndex device_index_;
  hub::LocalBroker broker_;
  FakeAuthenticator auth_;
  auth::ShareRegistry shares_{std::string(32, 'k')};
  ApiContext ctx_;
  Router router_;
};

TEST_F(RouterTest, IngestStoresAndPublishesOneEncodedBatchToTheTenant) {
  auto [id, key] = create("alice|org_a|admin", "Truck");
  Recorder a, b;
  hub_.subscribe(TenantId("org_a"), &a);
  hub_.subscribe(TenantId("org_b"), &b);
  auto r = call("POST", "/api/v1/telemetry",
                R"([{"ts":1795000000000,"lat":1,"lon":2},{"ts":1795000000001,"lat":3,"lon":4}])", key);
  ASSERT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(r.body, R"({"accepted":2,"last_seq":2})");
  EXPECT_EQ(a.box.events(), 2u);
  EXPECT_TRUE(b.box.empty());
  std::vector<hub::Slice> out;
  a.box.take(out, SIZE_MAX);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].batch->tenant.str(), "org_a");
  EXPECT_NE(out[0].bytes().find(id), std::string_view::npos);
}

TEST_F(RouterTest, IngestErrorsNameTheProblemAndPublishNothing) {
  auto [id, key] = create("alice|org_a|admin", "Truck");
  Recorder a;
  hub_.subscribe(TenantId("org_a"), &a);
  auto bad = call("POST", "/api/v1/telemetry",
                  R"([{"ts":1795000000000,"lat":1,"lon":2},{"ts":1795000000000,"lat":1,"lon":200}])", key);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(json(bad).at("error").at("index").as_int64(), 1);
  EXPECT_EQ(json(bad).at("error").at("field").as_string(), "lon");
  EXPECT_EQ(call("POST", "/api/v1/telemetry", R"({"ts":1795000000000,"lat":1,"lon":2})").status, 401);
  EXPECT_EQ(call("POST", "/api/v1/telemetry", R"({"ts":1795000000000,"lat":1,"lon":2})", "fk_unknown").status,
            401);
  EXPECT_TRUE(a.box.empty());
}

TEST_F(RouterTest, AppConfigIsPublicRevalidatedJson) {
  auto r = call("GET", "/api/v1/app-config");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(
      json(r),
      boost::json::parse(
          R"({"map":{"tile_url":"https://t.example.org/{z}/{x}/{y}.png","attribution":"(c) \"OSM\""}})"));
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0], (std::pair<std::string, std::string>{"Cache-Control", "no-cache"}));
  EXPECT_EQ(call("POST", "/api/v1/app-config").status, 405);
  EXPECT_EQ(encode_app_config({}), R"({"map":{"tile_url":"","attribution":""}})");
}

TEST_F(RouterTest, UserEndpointsMapAuthFailures) {
  EXPECT_EQ(call("GET", "/api/v1/me").status, 401);
  EXPECT_EQ(call("GET", "/api/v1/me", {}, "garbage").status, 401);
  auto no_org = call("GET", "/api/v1/me", {}, "alice||admin");
  EXPECT_EQ(no_org.status, 403);
  EXPECT_EQ(json(no_org).at("error").at("message").as_string(), "No organization");
  auto me = call("GET", "/api/v1/me", {}, "alice|org_a|org:member");
  ASSERT_EQ(me.status, 200);
  EXPECT_EQ(json(me).at("tenant").as_string(), "org_a");
  EXPECT_EQ(json(me).at("role").as_string(), "org:member");
}

TEST_F(RouterTest, DeviceNamesAreValidated) {
  const std::string admin = "alice|org_a|admin";
  for (const char* body : {"{}", R"({"name":""})", R"({"name":5})", R"({"name":"a","x":1})", "[]", "nope",
                           R"({"name":"a","name":"b"})"}) {
    auto r = call("POST", "/api/v1/devices", body, admin);
    EXPECT_EQ(r.status, 400) << body;
  }
  EXPECT_EQ(call("POST", "/api/v1/devices", R"({"name":")" + std::string(101, 'x') + R"("})", admin).status,
            400);
  EXPECT_EQ(call("POST", "/api/v1/devices", R"({"name":"tab\there"})", admin).status, 400);
}

TEST_F(RouterTest, DevicesAreTenantScoped) {
  auto [id, key] = create("alice|org_a|admin", "Truck");
  auto list_b = call("GET", "/api/v1/devices", {}, "bob|org_b|admin");
  EXPECT_TRUE(json(list_b).at("devices").as_array().empty());
  EXPECT_EQ(call("DELETE", "/api/v1/devices/" + id, {}, "bob|org_b|admin").status, 404);
  EXPECT_EQ(call("GET", "/api/v1/devices/" + id + "/telemetry", {}, "bob|org_b|admin").status, 404);
  EXPECT_EQ(call("DELETE", "/api/v1/devices/not-an-id", {}, "alice|org_a|admin").status, 404);
  EXPECT_EQ(call("DELETE", "/api/v1/devices/" + id, {}, "carol|org_a|org:member").status, 403);
  EXPECT_EQ(call("DELETE", "/api/v1/devices/" + id, {}, "alice|org_a|admin").status, 200);
}

TEST_F(RouterTest, HistoryQueryParametersAreStrict) {
  auto [id, key] = create("alice|org_a|admin", "Truck");
  const std::string path = "/api/v1/devices/" + id + "/telemetry";
  const std::string admin = "alice|org_a|admin";
  EXPECT_EQ(call("GET", path, {}, admin, "limit=0").status, 400);
  EXPECT_EQ(call("GET", path, {}, admin, "limit=10&limit=20").status, 400);
  EXPECT_EQ(call("GET", path, {}, admin, "from=yesterday").status, 400);
  EXPECT_EQ(call("GET", path, {}, admin, "colour=red").status, 400);
  EXPECT_EQ(call("GET", path, {}, admin, "from=2026-11-24T00:00:00Z&to=1795000000000&limit=5").status, 200);
  auto r = call("GET", path, {}, admin, "from=2026-11-24T00%3A00%3A00Z");
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST_F(RouterTest, UnknownRoutesAndMethods) {
  EXPECT_EQ(call("GET", "/api/v2/whatever").status, 404);
  auto r = call("PATCH", "/api/v1/devices");
  EXPECT_EQ(r.status, 405);
  ASSERT_FALSE(r.headers.empty());
  EXPECT_EQ(r.headers[0].first, "Allow");
  // Dev endpoints do not exist without a dev issuer; non-API paths are left to static files.
  Request req{"POST", "/dev/token", "", "", "{}"};
  Responder done = [](Response) { FAIL() << "must not answer"; };
  EXPECT_FALSE(router_.handle(std::move(req), done));
}

TEST(Bearer, ParsesTheSchemeStrictly) {
  EXPECT_EQ(bearer_credentials("Bearer abc"), "abc");
  EXPECT_EQ(bearer_credentials("bearer   abc  "), "abc");
  EXPECT_EQ(bearer_credentials("Basic abc"), std::nullopt);
  EXPECT_EQ(bearer_credentials("Bearer"), std::nullopt);
  EXPECT_EQ(bearer_credentials("Bearer "), std::nullopt);
  EXPECT_EQ(bearer_credentials("Bearerabc"), std::nullopt);
  EXPECT_EQ(bearer_credentials(""), std::nullopt);
}

TEST(HttpErrors, OneStatusPerCodeAndAJsonBody) {
  EXPECT_EQ(http_status(ErrorCode::invalid_point), 400);
  EXPECT_EQ(http_status(ErrorCode::payload_too_large), 413);
  EXPECT_EQ(http_status(ErrorCode::unauthorized), 401);
  EXPECT_EQ(http_status(ErrorCode::forbidden), 403);
  EXPECT_EQ(http_status(ErrorCode::not_found), 404);
  EXPECT_EQ(http_status(ErrorCode::unavailable), 503);
  Error e = make_error(ErrorCode::invalid_point, "lat \"too\" big");
  e.index = 3;
  e.field = "lat";
  EXPECT_EQ(error_response(e).body,
            R"({"error":{"code":"invalid_point","message":"lat \"too\" big","index":3,"field":"lat"}})");
  auto busy = error_response(ErrorCode::unavailable, "queue full");
  ASSERT_EQ(busy.headers.size(), 1u);
  EXPECT_EQ(busy.headers[0].first, "Retry-After");
  // Internal details stay in the log.
  EXPECT_EQ(boost::json::parse(error_response(ErrorCode::internal, "disk I/O error at /var/x").body)
                .at("error")
                .at("message")
                .as_string(),
            "internal error");
}

}  // namespace
}  // namespace fleet::api
