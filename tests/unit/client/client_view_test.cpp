// fleet::Client's views against the in-test server (docs/protocol.md, "Views: scope the stream"): the view
// goes out in the auth message of every connection with increasing ids (or after hello, on a live
// session), the scoped snapshot that answers the newest
// id replaces the state (an older one is ignored), view_change reaches its callback, a scoped stream's
// gaps are not loss while an unscoped stream's still are.
#include <gtest/gtest.h>

#include <initializer_list>
#include <stdexcept>
#include <string>
#include <vector>

#include "client_recorder.hpp"
#include "fleet/client.hpp"
#include "test_ws_server.hpp"

namespace fleet {
namespace {

using test::fake_jwt;
using test::kWait;
using test::Recorder;
using test::TestWsServer;

const std::string kDevA = "dev_0123456789abcdef0123456789abcdef";
const std::string kGroup = "grp_fedcba9876543210fedcba9876543210";

View paris() {
  View v;
  v.boxes.push_back(GeoBox{2.25, 48.81, 2.42, 48.9});
  v.devices.emplace_back(kDevA);
  v.groups.push_back(kGroup);
  v.min_interval_ms = 1000;
  return v;
}

std::string expected_view_message(std::uint64_t id) {
  return R"({"type":"view","id":)" + std::to_string(id) + R"(,"boxes":[[2.25,48.81,2.42,48.9]],"groups":[")" +
         kGroup + R"("],"devices":[")" + kDevA + R"("],"min_interval_ms":1000})";
}

std::string frame(std::initializer_list<Seq> seqs) {
  std::string out = R"({"type":"telemetry","events":[)";
  bool first = true;
  for (Seq s : seqs) {
    if (!first) out += ',';
    first = false;
    out += R"({"seq":)" + std::to_string(s) + R"(,"device":"dev_1","ts":1795000000000,"lat":48.9,"lon":2.3})";
  }
  return out + "]}";
}

std::string scoped_snapshot(Seq seq, std::uint64_t view, const std::string& unknown = "") {
  std::string out = R"({"type":"snapshot","seq":)" + std::to_string(seq) + R"(,"view":)" +
                    std::to_string(view) + R"(,"devices":[{"id":")" + kDevA +
                    R"(","name":"Followed","last":null}])";
  if (!unknown.empty()) out += R"(,"unknown":[")" + unknown + R"("])";
  return out + "}";
}

// Message `n` the client sent on connection i, once it arrived ("" when it never did).
std::string sent(const TestWsServer& server, std::size_t i, std::size_t n) {
  EXPECT_TRUE(server.wait_connections(i + 1, kWait));
  if (!fleet::testing::eventually([&] { return server.info(i).messages.size() > n; })) return "";
  return server.info(i).messages[n];
}

// Whether the auth message of connection i carries view `id` (paris()).
bool auth_carries_view(const TestWsServer& server, std::size_t i, std::uint64_t id) {
  const std::string auth = sent(server, i, 0);
  std::string members = expected_view_message(id);
  members.replace(0, std::string(R"({"type":"view",)").size(), "{");
  const bool ok =
      auth.find(R"("type":"auth")") != std::string::npos && auth.size() > members.size() + 9 &&
      auth.compare(auth.size() - members.size() - 9, std::string::npos, R"(,"view":)" + members + "}") == 0;
  EXPECT_TRUE(ok) << auth;
  return ok;
}

class ClientView : public ::testing::Test {
 protected:
  TestWsServer server;
  Recorder rec;
  Client client{rec.options(server.base_url())};

  void connect() { client.set_token(fake_jwt(TestWsServer::kUser, TestWsServer::kTenant)); }

  // Everything the server sent before now has been handled: a pong sent after it has come back.
  void barrier(std::size_t conn) {
    const int pongs = rec.pongs.load();
    server.send(conn, R"({"type":"pong"})");
    ASSERT_TRUE(fleet::testing::eventually([&] { return rec.pongs.load() > pongs; }));
  }
};

TEST_F(ClientView, TheViewGoesOutInTheAuthMessageOfEveryConnectionWithIncreasingIds) {
  client.set_view(paris());
  connect();
  EXPECT_TRUE(auth_carries_view(server, 0, 1));
  server.close(0, 1001, "Server shutting down");
  EXPECT_TRUE(auth_carries_view(server, 1, 2));
  server.close(1, 1011, "Internal error");
  EXPECT_TRUE(auth_carries_view(server, 2, 3));
}

TEST_F(ClientView, ALiveSessionSendsANewViewAtOnceAndAWholeTenantViewToo) {
  connect();
  ASSERT_TRUE(rec.wait([&] { return rec.events.size() == 1; }));  // the greeting: snapshot 1, event 2
  client.set_view(paris());
  EXPECT_EQ(sent(server, 0, 1), expected_view_message(1));
  client.set_view(View{});
  EXPECT_EQ(sent(server, 0, 2), R"({"type":"view","id":2})");
  // A whole-tenant view is what a new connection starts with: nothing to send after its hello.
  server.close(0, 1001, "Server shutting down");
  ASSERT_TRUE(rec.wait([&] { return rec.hellos.size() == 2; }));
  barrier(1);
  EXPECT_EQ(server.info(1).messages.size(), 1u);  // the auth message only
}

TEST_F(ClientView, TheUnscopedGreetingIsHeldBackUntilTheViewsSnapshot) {
  client.set_view(paris());
  connect();
  ASSERT_TRUE(auth_carries_view(server, 0, 1));
  barrier(0);  // the greeting (hello, snapshot 1, event 2) was handled
  {
    std::lock_guard l(rec.mu);
    EXPECT_EQ(rec.hellos.size(), 1u);
    EXPECT_TRUE(rec.snapshots.empty());
    EXPECT_TRUE(rec.events.empty());
  }
  server.send(0, scoped_snapshot(5, 1, kGroup));
  server.send(0, frame({7}));
  ASSERT_TRUE(rec.wait([&] { return rec.events.size() == 1; }));
  std::lock_guard l(rec.mu);
  ASSERT_EQ(rec.snapshots.size(), 1u);
  EXPECT_EQ(rec.snapshots[0].first, 5u);
  ASSERT_EQ(rec.snapshots[0].second.size(), 1u);
  EXPECT_EQ(rec.snapshots[0].second[0].id.str(), kDevA);
  ASSERT_EQ(rec.views.size(), 1u);
  EXPECT_EQ(rec.views[0].first, 1u);
  EXPECT_EQ(rec.views[0].second, std::vector<std::string>{kGroup});
  EXPECT_EQ(rec.events[0].seq, 7u);
}

TEST_F(ClientView, InAScopedStreamGapsAreNotLossButDisorderStillIs) {
  client.set_view(paris());
  connect();
  ASSERT_TRUE(auth_carries_view(server, 0, 1));
  server.send(0, scoped_snapshot(5, 1));
  server.send(0, frame({9, 40}));
  server.send(0, frame({41, 1000}));
  ASSERT_TRUE(rec.wait([&] { return rec.events.size() == 4; }));
  EXPECT_EQ(server.connections(), 1u);
  EXPECT_EQ(rec.event_seqs(), (std::vector<Seq>{9, 40, 41, 1000}));
  {
    std::lock_guard l(rec.mu);
    EXPECT_TRUE(rec.closes.empty());
  }
  // A duplicate is still loss: reconnect, resuming from the last applied seq, and send the view again.
  server.send(0, frame({1000}));
  ASSERT_TRUE(server.wait_connections(2, kWait));
  ASSERT_TRUE(server.wait_authenticated(1, kWait));
  EXPECT_EQ(server.info(1).since, std::optional<Seq>(1000));
  EXPECT_TRUE(auth_carries_view(server, 1, 2));
}

TEST_F(ClientView, AfterReturningToTheWholeTenantAGapIsLossAgain) {
  client.set_view(paris());
  connect();
  ASSERT_TRUE(auth_carries_view(server, 0, 1));
  server.send(0, scoped_snapshot(5, 1));
  server.send(0, frame({9}));
  ASSERT_TRUE(rec.wait([&] { return rec.events.size() == 1; }));
  client.set_view(View{});
  ASSERT_EQ(sent(server, 0, 1), R"({"type":"view","id":2})");
  // Until the answer the stream may still be scoped.
  server.send(0, frame({12}));
  server.send(0, R"({"type":"snapshot","seq":20,"view":2,"devices":[]})");
  server.send(0, frame({21}));
  ASSERT_TRUE(rec.wait([&] { return rec.events.size() == 3; }));
  server.send(0, frame({23}));  // 22 missing, unexplained
  ASSERT_TRUE(server.wait_connections(2, kWait));
  EXPECT_EQ(rec.event_seqs(), (std::vector<Seq>{9, 12, 21}));
  std::lock_guard l(rec.mu);
  ASSERT_FALSE(rec.closes.empty());
  EXPECT_EQ(rec.closes[0], std::make_pair(std::uint16_t{1000}, std::string("Telemetry gap")));
}

TEST_F(ClientView, TheSnapshotOfAnOlderViewIsIgnored) {
  client.set_view(paris());
  connect();
  ASSERT_TRUE(auth_carries_view(server, 0, 1));
  View narrower = paris();
  narrower.boxes[0].east = 2.3;
  client.set_view(narrower);
  ASSERT_TRUE(fleet::testing::eventually([&] { return server.info(0).messages.size() == 2; }));
  server.send(0, scoped_snapshot(5, 1));
  barrier(0);
  {
    std::lock_guard l(rec.mu);
    EXPECT_TRUE(rec.snapshots.empty());
    EXPECT_TRUE(rec.views.empty());
  }
  server.send(0, scoped_snapshot(6, 2));
  ASSERT_TRUE(rec.wait([&] { return rec.views.size() == 1; }));
  std::lock_guard l(rec.mu);
  EXPECT_EQ(rec.views[0].first, 2u);
  ASSERT_EQ(rec.snapshots.size(), 1u);
  EXPECT_EQ(rec.snapshots[0].first, 6u);
}

TEST_F(ClientView, ViewChangesReachTheirCallback) {
  client.set_view(paris());
  connect();
  ASSERT_TRUE(auth_carries_view(server, 0, 1));
  server.send(0, scoped_snapshot(5, 1));
  server.send(0, R"({"type":"view_change","view":1,"entered":["dev_b"],"left":[")" + kDevA + R"("]})");
  ASSERT_TRUE(rec.wait([&] { return rec.view_changes.size() == 1; }));
  std::lock_guard l(rec.mu);
  EXPECT_EQ(rec.view_changes[0].view, 1u);
  EXPECT_EQ(rec.view_changes[0].entered, std::vector<DeviceId>{DeviceId("dev_b")});
  EXPECT_EQ(rec.view_changes[0].left, std::vector<DeviceId>{DeviceId(kDevA)});
  EXPECT_EQ(rec.pongs.load(), 0);  // not mistaken for anything else
}

TEST_F(ClientView, AViewTheServerWouldRefuseThrowsBeforeAnythingIsSent) {
  View v;
  v.boxes.push_back(GeoBox{2.4, 48.9, 2.2, 48.8});  // south above north
  EXPECT_THROW(client.set_view(v), std::invalid_argument);
  v = View{};
  v.min_interval_ms = 50;
  EXPECT_THROW(client.set_view(v), std::invalid_argument);
}

}  // namespace
}  // namespace fleet
