// Device groups and share links over a real fleetd (docs/protocol.md, "Device groups (users)", "Share
// links (users)"): the REST flows end to end, and a share token refused by every endpoint but its page's
// WebSocket.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "fleetd_process.hpp"
#include "wire.hpp"

namespace fleet::testing {
namespace {

std::string ids_json(const std::vector<std::string>& ids) {
  std::string out = "[";
  for (const auto& id : ids) out += (out.size() > 1 ? ",\"" : "\"") + id + "\"";
  return out + "]";
}

std::string error_field(const HttpResult& r) {
  const auto j = r.json();
  const auto& e = j.at("error").as_object();
  return e.contains("field") ? std::string(e.at("field").as_string()) : std::string();
}

class ShareApi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new FleetdProcess(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static unsigned short port() { return server_->port(); }

  // A fresh tenant per test, so tests never see each other's groups and shares.
  static std::string tenant(const std::string& name) { return "org_" + name; }

  static FleetdProcess* server_;
};
FleetdProcess* ShareApi::server_ = nullptr;

TEST_F(ShareApi, AShareTokenIsRefusedByEveryOtherEndpoint) {
  const std::string admin = dev_token(port(), "alice", tenant("refused"));
  const NewDevice truck = create_device(port(), admin, "Truck");
  auto group = request(port(), "POST", "/api/v1/groups",
                       R"({"name":"G","devices":)" + ids_json({truck.id}) + "}", admin);
  ASSERT_EQ(group.status, 201) << group.body;
  const std::string group_id(group.json().at("group").at("id").as_string());
  auto share = request(port(), "POST", "/api/v1/shares",
                       R"({"devices":)" + ids_json({truck.id}) + R"(,"expires_in_s":600})", admin);
  ASSERT_EQ(share.status, 201) << share.body;
  const std::string share_id(share.json().at("share").at("id").as_string());
  const std::string token(share.json().at("token").as_string());

  const std::string device_body = R"({"name":"Mine now"})";
  const std::string devices_body = R"({"devices":)" + ids_json({truck.id}) + "}";
  const std::string share_body = R"({"devices":)" + ids_json({truck.id}) + R"(,"expires_in_s":600})";
  const std::vector<HttpCall> calls = {
      {"GET", "/api/v1/me", {}, token},
      {"GET", "/api/v1/devices", {}, token},
      {"POST", "/api/v1/devices", device_body, token},
      {"DELETE", "/api/v1/devices/" + truck.id, {}, token},
      {"GET", "/api/v1/devices/" + truck.id + "/telemetry", {}, token},
      {"GET", "/api/v1/devices/" + truck.id + "/telemetry?limit=5", {}, token},
      {"GET", "/api/v1/groups", {}, token},
      {"POST", "/api/v1/groups", R"({"name":"H"})", token},
      {"PUT", "/api/v1/groups/" + group_id + "/devices", devices_body, token},
      {"DELETE", "/api/v1/groups/" + group_id, {}, token},
      {"GET", "/api/v1/shares", {}, token},
      {"POST", "/api/v1/shares", share_body, token},
      {"DELETE", "/api/v1/shares/" + share_id, {}, token},
  };
  for (const HttpCall& c : calls) {
    const HttpResult r = request(port(), c.method, c.target, c.body, c.bearer);
    EXPECT_EQ(r.status, 401) << c.method << " " << c.target << ": " << r.body;
    // Refused as a share token, not merely as a token that failed to verify.
    EXPECT_EQ(r.json().at("error").at("message").as_string(),
              "a share token is accepted only by its share page")
        << c.method << " " << c.target;
  }
  // Ingest takes device keys only: a share token is no device's key.
  const HttpResult ingest =
      request(port(), "POST", "/api/v1/telemetry", R"({"ts":1795000000000,"lat":1,"lon":2})", token);
  EXPECT_EQ(ingest.status, 401) << ingest.body;

  // Nothing happened: the device, the group and the share are as they were.
  const auto devices = request(port(), "GET", "/api/v1/devices", {}, admin).json().at("devices").as_array();
  ASSERT_EQ(devices.size(), 1u);
  EXPECT_EQ(devices[0].at("name").as_string(), "Truck");
  EXPECT_EQ(request(port(), "GET", "/api/v1/devices/" + truck.id + "/telemetry", {}, admin)
                .json()
                .at("points")
                .as_array()
                .size(),
            0u);
  const auto groups = request(port(), "GET", "/api/v1/groups", {}, admin).json().at("groups").as_array();
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].at("devices"), boost::json::parse(ids_json({truck.id})));
  const auto shares = request(port(), "GET", "/api/v1/shares", {}, admin).json().at("shares").as_array();
  ASSERT_EQ(shares.size(), 1u);
  EXPECT_TRUE(shares[0].at("revoked_ms").is_null());

  // Public endpoints stay public: the token changes nothing there.
  const HttpResult config = request(port(), "GET", "/api/v1/app-config", {}, token);
  EXPECT_EQ(config.status, 200);
  EXPECT_EQ(config.body, request(port(), "GET", "/api/v1/app-config").body);
}

TEST_F(ShareApi, GroupsAreCreatedChangedListedAndDeleted) {
  const std::string admin = dev_token(port(), "alice", tenant("groups"));
  const std::string member = dev_token(port(), "carol", tenant("groups"), "org:member");
  const std::string other = dev_token(port(), "bob", tenant("groups_other"));
  const NewDevice a = create_device(port(), admin, "A");
  const NewDevice b = create_device(port(), admin, "B");
  const NewDevice theirs = create_device(port(), other, "Theirs");

  auto created = request(port(), "POST", "/api/v1/groups",
                         R"({"name":"North depot","devices":)" + ids_json({a.id}) + "}", admin);
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id(created.json().at("group").at("id").as_string());
  auto put = request(port(), "PUT", "/api/v1/groups/" + id + "/devices",
                     R"({"devices":)" + ids_json({b.id, a.id}) + "}", admin);
  ASSERT_EQ(put.status, 200) << put.body;
  auto list = request(port(), "GET", "/api/v1/groups", {}, member);  // any member reads
  ASSERT_EQ(list.status, 200) << list.body;
  ASSERT_EQ(list.json().at("groups").as_array().size(), 1u);
  EXPECT_EQ(list.json().at("groups").at(0).at("name").as_string(), "North depot");
  EXPECT_EQ(list.json().at("groups").at(0).at("devices"), boost::json::parse(ids_json({b.id, a.id})));

  // Writing needs the admin role; another tenant sees nothing and finds nothing.
  EXPECT_EQ(request(port(), "POST", "/api/v1/groups", R"({"name":"X"})", member).status, 403);
  EXPECT_EQ(request(port(), "DELETE", "/api/v1/groups/" + id, {}, member).status, 403);
  EXPECT_TRUE(request(port(), "GET", "/api/v1/groups", {}, other).json().at("groups").as_array().empty());
  EXPECT_EQ(request(port(), "PUT", "/api/v1/groups/" + id + "/devices", R"({"devices":[]})", other).status,
            404);
  EXPECT_EQ(request(port(), "DELETE", "/api/v1/groups/" + id, {}, other).status, 404);
  // Another tenant's device is refused like a missing one; nothing changes.
  auto foreign = request(port(), "PUT", "/api/v1/groups/" + id + "/devices",
                         R"({"devices":)" + ids_json({a.id, theirs.id}) + "}", admin);
  EXPECT_EQ(foreign.status, 400);
  EXPECT_EQ(error_field(foreign), "devices");
  EXPECT_EQ(request(port(), "GET", "/api/v1/groups", {}, admin).json().at("groups").at(0).at("devices"),
            boost::json::parse(ids_json({b.id, a.id})));

  // Bad bodies name the field.
  const std::pair<std::string, std::string> bad[] = {
      {R"({"devices":[]})", "name"},
      {R"({"name":""})", "name"},
      {R"({"name":"North depot"})", "name"},  // taken in this tenant
      {R"({"name":"Y","devices":["dev_nope"]})", "devices"},
      {R"({"name":"Y","owner":"me"})", "owner"},
  };
  for (const auto& [body, field] : bad) {
    auto r = request(port(), "POST", "/api/v1/groups", body, admin);
    EXPECT_EQ(r.status, 400) << body << ": " << r.body;
    EXPECT_EQ(error_field(r), field) << body;
  }
  // A 10,000-device member list (about 390 KB) is read whole and judged, not refused for its size.
  std::vector<std::string> many;
  for (int i = 0; i < 10'000; ++i) {
    std::string n = std::to_string(i);
    many.push_back("dev_" + std::string(32 - n.size(), '0') + n);
  }
  auto big =
      request(port(), "POST", "/api/v1/groups", R"({"name":"Big","devices":)" + ids_json(many) + "}", admin);
  EXPECT_EQ(big.status, 400) << big.body;
  EXPECT_EQ(error_field(big), "devices");

  auto deleted = request(port(), "DELETE", "/api/v1/groups/" + id, {}, admin);
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  EXPECT_EQ(deleted.json().at("group").at("id").as_string(), id);
  EXPECT_TRUE(request(port(), "GET", "/api/v1/groups", {}, admin).json().at("groups").as_array().empty());
  EXPECT_EQ(request(port(), "DELETE", "/api/v1/groups/" + id, {}, admin).status, 404);
}

TEST_F(ShareApi, SharesAreCreatedListedWithoutTokensAndRevokedTwice) {
  const std::string admin = dev_token(port(), "alice", tenant("shares"));
  const std::string member = dev_token(port(), "carol", tenant("shares"), "org:member");
  const std::string other = dev_token(port(), "bob", tenant("shares_other"));
  const NewDevice a = create_device(port(), admin, "A");
  const NewDevice theirs = create_device(port(), other, "Theirs");

  auto created =
      request(port(), "POST", "/api/v1/shares",
              R"({"devices":)" + ids_json({a.id}) + R"(,"expires_in_s":3600,"label":"Customer 42"})", admin);
  ASSERT_EQ(created.status, 201) << created.body;
  const auto j = created.json();
  const std::string id(j.at("share").at("id").as_string());
  const std::string token(j.at("token").as_string());
  EXPECT_EQ(token.substr(0, 4), "fsh_");
  EXPECT_EQ(token.size(), 58u);
  EXPECT_EQ(token.substr(4, 32), id.substr(4));  // the token names its share...
  EXPECT_EQ(j.at("url").as_string(), "/share/" + token);
  EXPECT_EQ(j.at("share").at("label").as_string(), "Customer 42");
  EXPECT_EQ(j.at("share").at("created_by").as_string(), "alice");
  // The expiry is counted from the request; the store stamps its creation a moment later.
  const auto lifetime = j.at("share").at("expires_ms").as_int64() - j.at("share").at("created_ms").as_int64();
  EXPECT_LE(lifetime, 3'600'000);
  EXPECT_GT(lifetime, 3'600'000 - 10'000);

  auto list = request(port(), "GET", "/api/v1/shares", {}, admin);
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.body.find(token.substr(36)), std::string::npos);  // ...but a listing never holds its MAC
  ASSERT_EQ(list.json().at("shares").as_array().size(), 1u);
  EXPECT_FALSE(list.json().at("shares").at(0).as_object().contains("token"));

  // Admins only, and only their tenant's.
  const std::string body = R"({"devices":)" + ids_json({a.id}) + R"(,"expires_in_s":60})";
  EXPECT_EQ(request(port(), "POST", "/api/v1/shares", body, member).status, 403);
  EXPECT_EQ(request(port(), "GET", "/api/v1/shares", {}, member).status, 403);
  EXPECT_EQ(request(port(), "DELETE", "/api/v1/shares/" + id, {}, member).status, 403);
  EXPECT_EQ(request(port(), "DELETE", "/api/v1/shares/" + id, {}, other).status, 404);
  EXPECT_TRUE(request(port(), "GET", "/api/v1/shares", {}, other).json().at("shares").as_array().empty());

  const std::pair<std::string, std::string> bad[] = {
      {R"({"devices":[],"expires_in_s":60})", "devices"},
      {R"({"devices":)" + ids_json({theirs.id}) + R"(,"expires_in_s":60})", "devices"},
      {R"({"devices":)" + ids_json({a.id}) + R"(,"expires_in_s":5})", "expires_in_s"},
      {R"({"devices":)" + ids_json({a.id}) + R"(,"expires_in_s":2592001})", "expires_in_s"},
      {R"({"devices":)" + ids_json({a.id}) + "}", "expires_in_s"},
      {R"({"devices":)" + ids_json({a.id}) + R"(,"expires_in_s":60,"label":")" + std::string(101, 'x') +
           R"("})",
       "label"},
      {R"({"devices":)" + ids_json({a.id}) + R"(,"expires_in_s":60,"tenant":"org_x"})", "tenant"},
  };
  for (const auto& [b, field] : bad) {
    auto r = request(port(), "POST", "/api/v1/shares", b, admin);
    EXPECT_EQ(r.status, 400) << b << ": " << r.body;
    EXPECT_EQ(error_field(r), field) << b;
  }
  EXPECT_EQ(request(port(), "GET", "/api/v1/shares", {}, admin).json().at("shares").as_array().size(), 1u);

  auto revoked = request(port(), "DELETE", "/api/v1/shares/" + id, {}, admin);
  ASSERT_EQ(revoked.status, 200) << revoked.body;
  const auto revoked_ms = revoked.json().at("share").at("revoked_ms");
  ASSERT_TRUE(revoked_ms.is_int64());
  auto again = request(port(), "DELETE", "/api/v1/shares/" + id, {}, admin);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.json().at("share").at("revoked_ms"), revoked_ms);  // the first revocation stands
  EXPECT_EQ(request(port(), "GET", "/api/v1/shares", {}, admin).json().at("shares").at(0).at("revoked_ms"),
            revoked_ms);
  EXPECT_EQ(request(port(), "DELETE", "/api/v1/shares/shr_nope", {}, admin).status, 404);
}

// fleetd loads its live shares at start: a link made before a restart still opens its page's session; one
// revoked before it does not.
TEST(ShareRestart, LiveSharesAreLoadedAtStartAndRevokedOnesAreNot) {
  TempDir dir;
  std::string live, revoked;
  {
    FleetdProcess first({"--dev"}, dir.path());
    const std::string admin = dev_token(first.port(), "alice", "org_restart");
    const NewDevice truck = create_device(first.port(), admin, "Truck");
    const std::string body = R"({"devices":)" + ids_json({truck.id}) + R"(,"expires_in_s":3600})";
    auto a = request(first.port(), "POST", "/api/v1/shares", body, admin);
    auto b = request(first.port(), "POST", "/api/v1/shares", body, admin);
    ASSERT_EQ(a.status, 201) << a.body;
    ASSERT_EQ(b.status, 201) << b.body;
    live = std::string(a.json().at("token").as_string());
    revoked = std::string(b.json().at("token").as_string());
    const std::string revoked_id(b.json().at("share").at("id").as_string());
    ASSERT_EQ(request(first.port(), "DELETE", "/api/v1/shares/" + revoked_id, {}, admin).status, 200);
  }
  FleetdProcess second({"--dev"}, dir.path());
  WsClient ws(second.port(), "/ws?token=" + live);
  const auto hello = ws.read_json();
  EXPECT_EQ(hello.at("type").as_string(), "hello");
  EXPECT_EQ(hello.at("role").as_string(), "share");
  EXPECT_EQ(hello.at("tenant").as_string(), "org_restart");
  WsClient refused(second.port(), "/ws?token=" + revoked);
  EXPECT_EQ(refused.wait_close(), 1008);
}

}  // namespace
}  // namespace fleet::testing
