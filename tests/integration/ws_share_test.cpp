// Share-token sessions against a real fleetd (docs/protocol.md, "Share links"): a share token opens a
// session that sees only the shared devices (snapshot, events, views), cannot be refreshed or resumed
// into the tenant's stream, and closes with 1008 Share revoked / Share expired.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <set>

#include "fleetd_process.hpp"
#include "wire.hpp"

namespace fleet::testing {
namespace {

namespace json = boost::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

std::int64_t now_ms() {
  return std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string auth(const std::string& token, json::object extra = {}) {
  json::object o{{"type", "auth"}, {"token", token}};
  for (auto& kv : extra) o[kv.key()] = kv.value();
  return json::serialize(o);
}

struct Share {
  std::string id;
  std::string token;
};

class WsShare : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<FleetdProcess>(std::vector<std::string>{"--dev"});
    admin_ = dev_token(port(), "alice", "org_a", "admin", 3600);
    for (int i = 0; i < 4; ++i) devices_.push_back(create_device(port(), admin_, "v" + std::to_string(i)));
    for (int i = 0; i < 4; ++i) post(i, 48.85 + i * 0.01);
  }
  unsigned short port() const { return server_->port(); }
  std::int64_t post(int device, double lat) {
    auto r = request(port(), "POST", "/api/v1/telemetry",
                     json::serialize(json::object{{"ts", now_ms()}, {"lat", lat}, {"lon", 2.35}}),
                     devices_[static_cast<std::size_t>(device)].key);
    EXPECT_EQ(r.status, 202) << r.body;
    return r.status == 202 ? r.json().at("last_seq").as_int64() : 0;
  }
  Share share(std::vector<int> which, int expires_in_s = 3600) {
    json::array ids;
    for (int i : which) ids.push_back(json::string(devices_[static_cast<std::size_t>(i)].id));
    auto r = request(port(), "POST", "/api/v1/shares",
                     json::serialize(json::object{{"devices", ids}, {"expires_in_s", expires_in_s}}), admin_);
    EXPECT_EQ(r.status, 201) << r.body;
    auto j = r.json();
    return {std::string(j.at("share").at("id").as_string()), std::string(j.at("token").as_string())};
  }
  static std::set<std::string> ids_of(const json::object& snapshot) {
    std::set<std::string> ids;
    for (const auto& d : snapshot.at("devices").as_array()) ids.insert(std::string(d.at("id").as_string()));
    return ids;
  }
  // Telemetry events until one of device `device` at seq >= `seq`.
  std::vector<json::object> events_until(WsClient& ws, int device, std::int64_t seq) {
    std::vector<json::object> out;
    for (;;) {
      json::object m = ws.read_json();
      if (m.at("type").as_string() != "telemetry") continue;
      bool done = false;
      for (auto& e : m.at("events").as_array()) {
        out.push_back(e.as_object());
        done = done || (e.at("device").as_string() == devices_[static_cast<std::size_t>(device)].id &&
                        e.at("seq").as_int64() >= seq);
      }
      if (done) return out;
    }
  }

  std::unique_ptr<FleetdProcess> server_;
  std::string admin_;
  std::vector<NewDevice> devices_;
};

TEST_F(WsShare, SeesOnlyTheSharedDevicesAndNeverWidensItsView) {
  const Share s = share({1, 2});
  WsClient ws(port(), "/ws");
  ws.send(auth(s.token));
  const json::object hello = ws.read_json();
  EXPECT_EQ(hello.at("role").as_string(), "share");
  EXPECT_EQ(hello.at("user").as_string(), "share:" + s.id);
  EXPECT_EQ(hello.at("tenant").as_string(), "org_a");
  const std::set<std::string> shared{devices_[1].id, devices_[2].id};
  EXPECT_EQ(ids_of(ws.read_json()), shared);

  for (int i : {0, 3, 1}) post(i, 48.9);
  const std::int64_t mark = post(2, 48.9);
  for (const auto& e : events_until(ws, 2, mark))
    EXPECT_TRUE(shared.contains(std::string(e.at("device").as_string())));

  // A view naming another device of the tenant, or a group, cannot widen the share.
  const std::string group = "grp_0123456789abcdef0123456789abcdef";
  ws.send(json::serialize(
      json::object{{"type", "view"},
                   {"id", 1},
                   {"devices", json::array{json::string(devices_[0].id), json::string(devices_[1].id)}},
                   {"groups", json::array{json::string(group)}}}));
  json::object snap;
  do snap = ws.read_json();
  while (snap.at("type").as_string() != "snapshot");
  EXPECT_EQ(ids_of(snap), std::set<std::string>{devices_[1].id});
  std::set<std::string> unknown;
  for (const auto& u : snap.at("unknown").as_array()) unknown.insert(std::string(u.as_string()));
  EXPECT_EQ(unknown, (std::set<std::string>{devices_[0].id, group}));
  post(0, 48.95);
  const std::int64_t mark2 = post(1, 48.95);
  for (const auto& e : events_until(ws, 1, mark2)) EXPECT_EQ(e.at("device").as_string(), devices_[1].id);
}

TEST_F(WsShare, NeverResumesIntoTheTenantsStream) {
  const Share s = share({3});
  WsClient admin(port(), "/ws");
  admin.send(auth(admin_));
  const std::string epoch(admin.read_json().at("epoch").as_string());
  WsClient ws(port(), "/ws");
  ws.send(auth(s.token, {{"since", 1}, {"epoch", epoch}}));
  const json::object hello = ws.read_json();
  EXPECT_FALSE(hello.at("recovered").as_bool()) << "the events after since are the whole tenant's";
  EXPECT_EQ(ids_of(ws.read_json()), std::set<std::string>{devices_[3].id});
}

TEST_F(WsShare, CannotBeRefreshedWithAnotherToken) {
  const Share s = share({0});
  WsClient ws(port(), "/ws");
  ws.send(auth(s.token));
  ws.read_json();
  ws.read_json();
  ws.send(auth(admin_));
  EXPECT_EQ(ws.wait_close(), 1008);
  EXPECT_EQ(ws.close_reason(), "Token mismatch");
}

TEST_F(WsShare, RevocationClosesLiveSessionsAndRefusesNewOnes) {
  const Share s = share({0, 1});
  WsClient ws(port(), "/ws");
  ws.send(auth(s.token));
  ws.read_json();
  ws.read_json();
  auto r = request(port(), "DELETE", "/api/v1/shares/" + s.id, {}, admin_);
  ASSERT_EQ(r.status, 200) << r.body;
  const auto revoked_at = std::chrono::steady_clock::now();
  EXPECT_EQ(ws.wait_close(seconds(5)), 1008);
  EXPECT_EQ(ws.close_reason(), "Share revoked");
  EXPECT_LT(std::chrono::steady_clock::now() - revoked_at, seconds(2)) << "within a second (the sweep)";

  WsClient again(port(), "/ws");
  again.send(auth(s.token));
  EXPECT_EQ(again.wait_close(), 1008);
  EXPECT_EQ(again.close_reason(), "Share revoked");
}

TEST_F(WsShare, ExpiryClosesTheSession) {
  const Share s = share({2}, 10);  // the shortest expiry the API takes
  WsClient ws(port(), "/ws");
  ws.send(auth(s.token));
  EXPECT_LE(ws.read_json().at("token_exp").as_int64(), now_ms() / 1000 + 10);
  EXPECT_EQ(ws.wait_close(seconds(20)), 1008);
  EXPECT_EQ(ws.close_reason(), "Share expired");

  WsClient late(port(), "/ws");
  late.send(auth(s.token));
  EXPECT_EQ(late.wait_close(), 1008);
  EXPECT_EQ(late.close_reason(), "Share expired");
}

TEST_F(WsShare, ATamperedTokenIsInvalid) {
  Share s = share({0});
  s.token.back() = s.token.back() == 'A' ? 'B' : 'A';
  WsClient ws(port(), "/ws");
  ws.send(auth(s.token));
  EXPECT_EQ(ws.wait_close(), 1008);
  EXPECT_EQ(ws.close_reason(), "Invalid token");
}

}  // namespace
}  // namespace fleet::testing
