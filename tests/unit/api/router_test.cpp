// The API handlers as plain functions: a request in, a response out, over an in-memory store, a fake
// authenticator and a broker whose workers run inline.
#include "api/router.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <map>

#include "api/app_config.hpp"
#include "api/bearer.hpp"
#include "api/http_errors.hpp"
#include "auth/share_registry.hpp"
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

// --- Device groups (docs/protocol.md, "Device groups (users)").

std::string ids_json(const std::vector<std::string>& ids) {
  std::string out = "[";
  for (const auto& id : ids) out += (out.size() > 1 ? ",\"" : "\"") + id + "\"";
  return out + "]";
}

std::string field_of(const Response& r) {
  const auto body = boost::json::parse(r.body);
  const auto& e = body.at("error").as_object();
  return e.contains("field") ? std::string(e.at("field").as_string()) : std::string();
}

std::vector<std::string> fake_ids(std::size_t n) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i) {
    std::string hex = std::to_string(i);
    out.push_back("dev_" + std::string(32 - hex.size(), '0') + hex);
  }
  return out;
}

TEST_F(RouterTest, GroupsAreCreatedListedChangedAndDeleted) {
  const std::string admin = "alice|org_a|admin";
  const std::string member = "carol|org_a|org:member";
  auto [d1, k1] = create(admin, "Truck 1");
  auto [d2, k2] = create(admin, "Truck 2");
  auto created =
      call("POST", "/api/v1/groups", R"({"name":"North depot","devices":)" + ids_json({d1}) + "}", admin);
  ASSERT_EQ(created.status, 201) << created.body;
  const auto group = json(created).at("group");
  const std::string id(group.at("id").as_string());
  EXPECT_EQ(id.substr(0, 4), "grp_");
  EXPECT_EQ(group.at("name").as_string(), "North depot");
  EXPECT_EQ(group.at("created_ms").as_int64(), clock_.now_ms());
  EXPECT_EQ(group.at("devices"), boost::json::parse(ids_json({d1})));

  // Any member reads; the member list is replaced whole.
  auto put =
      call("PUT", "/api/v1/groups/" + id + "/devices", R"({"devices":)" + ids_json({d2, d1}) + "}", admin);
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(json(put).at("group").at("devices"), boost::json::parse(ids_json({d2, d1})));
  auto list = call("GET", "/api/v1/groups", {}, member);
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(json(list).at("groups").as_array().size(), 1u);
  EXPECT_EQ(json(list).at("groups").at(0).at("devices"), boost::json::parse(ids_json({d2, d1})));
  // Without "devices" a group starts empty.
  auto empty = call("POST", "/api/v1/groups", R"({"name":"South"})", admin);
  ASSERT_EQ(empty.status, 201) << empty.body;
  EXPECT_TRUE(json(empty).at("group").at("devices").as_array().empty());

  auto del = call("DELETE", "/api/v1/groups/" + id, {}, admin);
  ASSERT_EQ(del.status, 200) << del.body;
  EXPECT_EQ(json(del).at("group").at("id").as_string(), id);
  EXPECT_EQ(call("DELETE", "/api/v1/groups/" + id, {}, admin).status, 404);
  EXPECT_EQ(json(call("GET", "/api/v1/groups", {}, member)).at("groups").as_array().size(), 1u);
}

TEST_F(RouterTest, GroupWritesNeedTheAdminRoleAndStayInTheTenant) {
  const std::string admin = "alice|org_a|admin";
  const std::string member = "carol|org_a|org:member";
  auto [d1, k1] = create(admin, "Truck 1");
  auto [foreign, kf] = create("bob|org_b|admin", "Their truck");
  auto created = call("POST", "/api/v1/groups", R"({"name":"A"})", admin);
  const std::string id(json(created).at("group").at("id").as_string());
  const std::string body = R"({"devices":)" + ids_json({d1}) + "}";

  EXPECT_EQ(call("POST", "/api/v1/groups", R"({"name":"B"})", member).status, 403);
  EXPECT_EQ(call("PUT", "/api/v1/groups/" + id + "/devices", body, member).status, 403);
  EXPECT_EQ(call("DELETE", "/api/v1/groups/" + id, {}, member).status, 403);
  EXPECT_EQ(call("GET", "/api/v1/groups").status, 401);
  // Another tenant's group is missing; a malformed id never reaches the store.
  EXPECT_EQ(call("PUT", "/api/v1/groups/" + id + "/devices", R"({"devices":[]})", "bob|org_b|admin").status,
            404);
  EXPECT_EQ(call("DELETE", "/api/v1/groups/" + id, {}, "bob|org_b|admin").status, 404);
  EXPECT_TRUE(json(call("GET", "/api/v1/groups", {}, "bob|org_b|admin")).at("groups").as_array().empty());
  EXPECT_EQ(call("DELETE", "/api/v1/groups/grp_nope", {}, admin).status, 404);
  EXPECT_EQ(call("DELETE", "/api/v1/groups/grp_nope", {}, member).status, 404);  // the id is read first
  EXPECT_EQ(call("PUT", "/api/v1/groups/GRP_0/devices", body, admin).status, 404);
  // Another tenant's device is refused like a missing one, and nothing changes.
  auto bad = call("PUT", "/api/v1/groups/" + id + "/devices",
                  R"({"devices":)" + ids_json({d1, foreign}) + "}", admin);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(field_of(bad), "devices");
  EXPECT_TRUE(
      json(call("GET", "/api/v1/groups", {}, admin)).at("groups").at(0).at("devices").as_array().empty());
  // Names are unique in a tenant, not across tenants.
  auto dup = call("POST", "/api/v1/groups", R"({"name":"A"})", admin);
  EXPECT_EQ(dup.status, 400);
  EXPECT_EQ(field_of(dup), "name");
  EXPECT_EQ(call("POST", "/api/v1/groups", R"({"name":"A"})", "bob|org_b|admin").status, 201);
}

TEST_F(RouterTest, GroupBodiesAreValidatedNamingTheField) {
  const std::string admin = "alice|org_a|admin";
  const std::pair<std::string, std::string> cases[] = {
      {"{}", "name"},
      {R"({"name":""})", "name"},
      {R"({"name":5})", "name"},
      {R"({"name":")" + std::string(101, 'x') + R"("})", "name"},
      {R"({"name":"tab\there"})", "name"},
      {R"({"name":"A","devices":"dev_x"})", "devices"},
      {R"({"name":"A","devices":["dev_x"]})", "devices"},
      {R"({"name":"A","devices":[7]})", "devices"},
      {R"({"name":"A","colour":"red"})", "colour"},
      {"[]", ""},
  };
  for (const auto& [body, field] : cases) {
    auto r = call("POST", "/api/v1/groups", body, admin);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(field_of(r), field) << body;
  }
  EXPECT_EQ(json(call("POST", "/api/v1/groups", "nope", admin)).at("error").at("code").as_string(),
            "invalid_json");
  EXPECT_EQ(call("POST", "/api/v1/groups", R"({"name":"A","name":"B"})", admin).status, 400);
  EXPECT_EQ(call("POST", "/api/v1/groups", R"({"name":")" + std::string(100, 'x') + R"("})", admin).status,
            201);

  // 10,000 members at most: 10,001 are refused by count, 10,000 reach the store (which knows none).
  auto over =
      call("POST", "/api/v1/groups", R"({"name":"Big","devices":)" + ids_json(fake_ids(10'001)) + "}", admin);
  EXPECT_EQ(over.status, 400);
  EXPECT_EQ(field_of(over), "devices");
  EXPECT_NE(json(over).at("error").at("message").as_string().find("10000"), boost::json::string::npos);
  auto at_limit =
      call("POST", "/api/v1/groups", R"({"name":"Big","devices":)" + ids_json(fake_ids(10'000)) + "}", admin);
  EXPECT_EQ(at_limit.status, 400);
  EXPECT_EQ(json(at_limit).at("error").at("message").as_string().find("10000"), boost::json::string::npos);

  auto created = call("POST", "/api/v1/groups", R"({"name":"A"})", admin);
  const std::string id(json(created).at("group").at("id").as_string());
  for (const char* body :
       {"{}", R"({"devices":null})", R"({"devices":["dev_x"]})", R"({"name":"A","devices":[]})"}) {
    auto r = call("PUT", "/api/v1/groups/" + id + "/devices", body, admin);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(field_of(r), std::string(body).find("name") != std::string::npos ? "name" : "devices") << body;
  }
}

TEST_F(RouterTest, GroupMemberListsMayBeLargeButOnlyWithCredentials) {
  auto head = [](std::string_view method, std::string_view path, std::string_view authorization) {
    return RequestHead{method, path, authorization};
  };
  EXPECT_EQ(router_.admit(head("POST", "/api/v1/groups", "Bearer t")).body_limit, Router::kGroupBodyLimit);
  EXPECT_EQ(router_.admit(head("PUT", "/api/v1/groups/grp_1/devices", "Bearer t")).body_limit,
            Router::kGroupBodyLimit);
  EXPECT_EQ(router_.admit(head("POST", "/api/v1/groups", "")).body_limit, Router::kSmallBodyLimit);
  EXPECT_EQ(router_.admit(head("POST", "/api/v1/shares", "Bearer t")).body_limit, Router::kSmallBodyLimit);
  EXPECT_EQ(router_.admit(head("GET", "/api/v1/groups", "Bearer t")).body_limit, Router::kSmallBodyLimit);
  // 10,000 ids with a little whitespace each fit.
  EXPECT_GT(Router::kGroupBodyLimit, ids_json(fake_ids(10'000)).size() + 10'000 * 5);
}

// --- Share links (docs/protocol.md, "Share links (users)").

TEST_F(RouterTest, SharesAreCreatedWithAWorkingTokenListedWithoutItAndRevoked) {
  const std::string admin = "alice|org_a|admin";
  auto [d1, k1] = create(admin, "Truck 1");
  auto [d2, k2] = create(admin, "Truck 2");
  auto r =
      call("POST", "/api/v1/shares",
           R"({"devices":)" + ids_json({d1, d2}) + R"(,"expires_in_s":3600,"label":"Customer 42"})", admin);
  ASSERT_EQ(r.status, 201) << r.body;
  const auto j = json(r);
  const auto& share = j.at("share");
  const std::string id(share.at("id").as_string());
  const std::string token(j.at("token").as_string());
  EXPECT_EQ(id.substr(0, 4), "shr_");
  EXPECT_EQ(share.at("label").as_string(), "Customer 42");
  EXPECT_EQ(share.at("created_by").as_string(), "alice");
  EXPECT_EQ(share.at("devices"), boost::json::parse(ids_json({d1, d2})));
  EXPECT_EQ(share.at("created_ms").as_int64(), clock_.now_ms());
  EXPECT_EQ(share.at("expires_ms").as_int64(), clock_.now_ms() + 3'600'000);
  EXPECT_TRUE(share.at("revoked_ms").is_null());
  EXPECT_EQ(token, shares_.token_for(id));
  EXPECT_EQ(j.at("url").as_string(), "/share/" + token);
  // The registry knows it at once, with exactly the shared devices of this tenant.
  const auto check = shares_.verify(token, clock_.now_ms());
  ASSERT_EQ(check.status, auth::ShareStatus::ok);
  EXPECT_EQ(check.grant->tenant.str(), "org_a");
  ASSERT_EQ(check.grant->devices.size(), 2u);
  EXPECT_EQ(check.grant->devices[0].str(), d1);
  EXPECT_EQ(check.grant->expires_ms, clock_.now_ms() + 3'600'000);

  auto list = call("GET", "/api/v1/shares", {}, admin);
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.body.find(token), std::string::npos);
  EXPECT_EQ(list.body.find("token"), std::string::npos);
  ASSERT_EQ(json(list).at("shares").as_array().size(), 1u);
  EXPECT_EQ(json(list).at("shares").at(0).at("id").as_string(), id);

  // Another tenant neither sees nor revokes it.
  EXPECT_TRUE(json(call("GET", "/api/v1/shares", {}, "bob|org_b|admin")).at("shares").as_array().empty());
  EXPECT_EQ(call("DELETE", "/api/v1/shares/" + id, {}, "bob|org_b|admin").status, 404);
  EXPECT_EQ(shares_.status(id, clock_.now_ms()), auth::ShareStatus::ok);

  clock_.advance_ms(5'000);
  auto revoked = call("DELETE", "/api/v1/shares/" + id, {}, admin);
  ASSERT_EQ(revoked.status, 200) << revoked.body;
  EXPECT_EQ(json(revoked).at("share").at("revoked_ms").as_int64(), clock_.now_ms());
  EXPECT_EQ(shares_.status(id, clock_.now_ms()), auth::ShareStatus::revoked);
  EXPECT_EQ(shares_.verify(token, clock_.now_ms()).status, auth::ShareStatus::revoked);
  clock_.advance_ms(1'000);
  auto again = call("DELETE", "/api/v1/shares/" + id, {}, admin);
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(json(again).at("share").at("revoked_ms").as_int64(), clock_.now_ms() - 1'000);
  EXPECT_EQ(call("DELETE", "/api/v1/shares/shr_x", {}, admin).status, 404);
}

TEST_F(RouterTest, SharesAreForAdminsOnly) {
  const std::string admin = "alice|org_a|admin";
  const std::string member = "carol|org_a|org:member";
  auto [d1, k1] = create(admin, "Truck 1");
  const std::string body = R"({"devices":)" + ids_json({d1}) + R"(,"expires_in_s":60})";
  EXPECT_EQ(call("POST", "/api/v1/shares", body, member).status, 403);
  EXPECT_EQ(call("GET", "/api/v1/shares", {}, member).status, 403);
  auto created = call("POST", "/api/v1/shares", body, admin);
  const std::string id(json(created).at("share").at("id").as_string());
  EXPECT_EQ(call("DELETE", "/api/v1/shares/" + id, {}, member).status, 403);
  EXPECT_EQ(call("POST", "/api/v1/shares", body).status, 401);
  EXPECT_EQ(shares_.status(id, clock_.now_ms()), auth::ShareStatus::ok);
}

TEST_F(RouterTest, ShareBodiesAreValidatedAndNothingIsStoredOnError) {
  const std::string admin = "alice|org_a|admin";
  auto [d1, k1] = create(admin, "Truck 1");
  auto [foreign, kf] = create("bob|org_b|admin", "Their truck");
  const std::string one = ids_json({d1});
  const std::pair<std::string, std::string> cases[] = {
      {R"({"expires_in_s":60})", "devices"},
      {R"({"devices":[],"expires_in_s":60})", "devices"},
      {R"({"devices":)" + ids_json(fake_ids(101)) + R"(,"expires_in_s":60})", "devices"},
      {R"({"devices":["dev_x"],"expires_in_s":60})", "devices"},
      {R"({"devices":)" + ids_json({d1, foreign}) + R"(,"expires_in_s":60})", "devices"},
      {R"({"devices":)" + one + "}", "expires_in_s"},
      {R"({"devices":)" + one + R"(,"expires_in_s":9})", "expires_in_s"},
      {R"({"devices":)" + one + R"(,"expires_in_s":2592001})", "expires_in_s"},
      {R"({"devices":)" + one + R"(,"expires_in_s":-60})", "expires_in_s"},
      {R"({"devices":)" + one + R"(,"expires_in_s":"3600"})", "expires_in_s"},
      {R"({"devices":)" + one + R"(,"expires_in_s":3600.5})", "expires_in_s"},
      {R"({"devices":)" + one + R"(,"expires_in_s":1e300})", "expires_in_s"},
      {R"({"devices":)" + one + R"(,"expires_in_s":18446744073709551615})", "expires_in_s"},
      {R"({"devices":)" + one + R"(,"expires_in_s":60,"label":")" + std::string(101, 'x') + R"("})", "label"},
      {R"({"devices":)" + one + R"(,"expires_in_s":60,"label":7})", "label"},
      {R"({"devices":)" + one + R"(,"expires_in_s":60,"label":"a\nb"})", "label"},
      {R"({"devices":)" + one + R"(,"expires_in_s":60,"url":"x"})", "url"},
  };
  for (const auto& [body, field] : cases) {
    auto r = call("POST", "/api/v1/shares", body, admin);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(field_of(r), field) << body;
  }
  EXPECT_TRUE(json(call("GET", "/api/v1/shares", {}, admin)).at("shares").as_array().empty());
  // The bounds themselves are fine: 10 s, 30 days, a 100-byte label, 100 devices (counted before the store).
  for (const std::string& body :
       {R"({"devices":)" + one + R"(,"expires_in_s":10})",
        R"({"devices":)" + one + R"(,"expires_in_s":2592000.0})",
        R"({"devices":)" + one + R"(,"expires_in_s":60,"label":")" + std::string(100, 'x') + R"("})",
        R"({"devices":)" + one + R"(,"expires_in_s":60,"label":""})"}) {
    EXPECT_EQ(call("POST", "/api/v1/shares", body, admin).status, 201) << body;
  }
  auto over = call("POST", "/api/v1/shares",
                   R"({"devices":)" + ids_json(fake_ids(101)) + R"(,"expires_in_s":60})", admin);
  EXPECT_NE(json(over).at("error").at("message").as_string().find("1-100 device"), boost::json::string::npos);
  auto hundred = call("POST", "/api/v1/shares",
                      R"({"devices":)" + ids_json(fake_ids(100)) + R"(,"expires_in_s":60})", admin);
  EXPECT_EQ(hundred.status, 400);
  EXPECT_EQ(json(hundred).at("error").at("message").as_string().find("100 device"),
            boost::json::string::npos);
}

TEST_F(RouterTest, WithoutAShareKeyNoShareIsStored) {
  auto [d1, k1] = create("alice|org_a|admin", "Truck 1");
  auth::ShareRegistry keyless{std::string()};
  ApiContext ctx = ctx_;
  ApiContext keyless_ctx{ctx.store, ctx.broker, ctx.device_index, ctx.authenticator, keyless, ctx.clock, {}};
  Router router(keyless_ctx);
  Request req{"POST", "/api/v1/shares", "", "Bearer alice|org_a|admin",
              R"({"devices":)" + ids_json({d1}) + R"(,"expires_in_s":60})"};
  std::optional<Response> out;
  Responder done = [&](Response r) { out = std::move(r); };
  router.handle(std::move(req), done);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->status, 500);
  EXPECT_TRUE(json(call("GET", "/api/v1/shares", {}, "alice|org_a|admin")).at("shares").as_array().empty());
}

TEST_F(RouterTest, AShareTokenOpensNoEndpoint) {
  const std::string admin = "alice|org_a|admin";
  auto [d1, k1] = create(admin, "Truck 1");
  auto created =
      call("POST", "/api/v1/shares", R"({"devices":)" + ids_json({d1}) + R"(,"expires_in_s":60})", admin);
  const std::string token(json(created).at("token").as_string());
  const std::string group_id(
      json(call("POST", "/api/v1/groups", R"({"name":"G"})", admin)).at("group").at("id").as_string());
  const std::string share_id(json(created).at("share").at("id").as_string());
  const std::pair<std::string, std::string> routes[] = {
      {"GET", "/api/v1/me"},
      {"GET", "/api/v1/devices"},
      {"POST", "/api/v1/devices"},
      {"DELETE", "/api/v1/devices/" + d1},
      {"GET", "/api/v1/devices/" + d1 + "/telemetry"},
      {"GET", "/api/v1/groups"},
      {"POST", "/api/v1/groups"},
      {"PUT", "/api/v1/groups/" + group_id + "/devices"},
      {"DELETE", "/api/v1/groups/" + group_id},
      {"GET", "/api/v1/shares"},
      {"POST", "/api/v1/shares"},
      {"DELETE", "/api/v1/shares/" + share_id},
  };
  for (const auto& [method, path] : routes) {
    auto r = call(method, path, "{}", token);
    EXPECT_EQ(r.status, 401) << method << " " << path;
    EXPECT_EQ(json(r).at("error").at("message").as_string(),
              "a share token is accepted only by its share page")
        << method << " " << path;
  }
  EXPECT_EQ(call("POST", "/api/v1/telemetry", R"({"ts":1795000000000,"lat":1,"lon":2})", token).status, 401);
  EXPECT_EQ(shares_.status(share_id, clock_.now_ms()), auth::ShareStatus::ok);
}

TEST_F(RouterTest, GroupAndShareRoutesRefuseOtherMethods) {
  const std::pair<std::string, std::string> routes[] = {
      {"PATCH", "/api/v1/groups"}, {"PUT", "/api/v1/groups/grp_1"}, {"POST", "/api/v1/groups/grp_1/devices"},
      {"PUT", "/api/v1/shares"},   {"GET", "/api/v1/shares/shr_1"},
  };
  for (const auto& [method, path] : routes)
    EXPECT_EQ(call(method, path).status, 405) << method << " " << path;
  EXPECT_EQ(call("GET", "/api/v1/groups/grp_1/other").status, 404);
  EXPECT_EQ(call("DELETE", "/api/v1/shares/shr_1/x").status, 404);
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
