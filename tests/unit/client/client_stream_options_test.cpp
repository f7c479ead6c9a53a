// fleet::Client's stream options against the in-test server (docs/protocol.md, "Stream options"): they go
// in the first auth message of every connection (or the query) and nowhere else, a client that sets none
// sends exactly the auth message it always did, and a compact session delivers `tc` events with the
// indexes announced on its own connection, checked like JSON telemetry (an unknown index is loss).
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <stdexcept>

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
const std::string kDevB = "dev_fedcba9876543210fedcba9876543210";

std::string first_message(const TestWsServer& server, std::size_t i) {
  EXPECT_TRUE(server.wait_connections(i + 1, kWait));
  EXPECT_TRUE(fleet::testing::eventually([&] { return !server.info(i).messages.empty(); }));
  const auto info = server.info(i);
  return info.messages.empty() ? "" : info.messages[0];
}

// The resume request of connection i, once its first message arrived.
std::optional<Seq> since_of(const TestWsServer& server, std::size_t i) {
  EXPECT_TRUE(server.wait_authenticated(i, kWait));
  return server.info(i).since;
}

std::string announce(std::uint32_t index, const std::string& device) {
  return R"({"type":"devices","devices":[{"i":)" + std::to_string(index) + R"(,"id":")" + device + "\"}]}";
}

// A tc frame with one chunk based at `seq0`, one event per (offset, index); `skipped` when not 0.
std::string tc(Seq seq0, std::initializer_list<std::pair<int, std::uint32_t>> events,
               std::uint64_t skipped = 0) {
  std::string out = R"({"type":"tc",)";
  if (skipped) out += R"("skipped":)" + std::to_string(skipped) + ",";
  out += R"("chunks":[[)" + std::to_string(seq0) + ",1795000000000";
  for (const auto& [o, i] : events)
    out += ",[" + std::to_string(o) + ",-5," + std::to_string(i) + ",48850123,-2350201,12.5]";
  return out + "]]}";
}

Client::Options compact_options(Recorder& rec, const TestWsServer& server) {
  Client::Options o = rec.options(server.base_url());
  o.stream.format = StreamFormat::compact;
  return o;
}

TEST(ClientStreamOptions, WithoutOptionsTheAuthMessageIsExactlyTodays) {
  TestWsServer server;
  Recorder rec;
  Client client(rec.options(server.base_url()));
  const std::string token = fake_jwt(TestWsServer::kUser, TestWsServer::kTenant);
  client.set_token(token);
  EXPECT_EQ(first_message(server, 0), R"({"type":"auth","token":")" + token + R"("})");
  ASSERT_TRUE(rec.wait([&] { return rec.events.size() == 1; }));  // the greeting: snapshot 1, event 2

  // And when resuming: only since and epoch are added.
  server.close(0, 1001, "Server shutting down");
  ASSERT_TRUE(server.wait_connections(2, kWait));
  EXPECT_EQ(first_message(server, 1), R"({"type":"auth","token":")" + token + R"(","since":2,"epoch":")" +
                                          TestWsServer::kEpoch + R"("})");
}

TEST(ClientStreamOptions, OptionsGoInEveryFirstAuthMessageAndNeverInARefresh) {
  TestWsServer server;
  Recorder rec;
  Client::Options o = rec.options(server.base_url());
  o.stream.format = StreamFormat::compact;
  o.stream.flush_ms = 50;
  o.stream.coalesce = true;
  Client client(std::move(o));
  const std::string token = fake_jwt(TestWsServer::kUser, TestWsServer::kTenant, 1);
  client.set_token(token);
  EXPECT_EQ(first_message(server, 0),
            R"({"type":"auth","token":")" + token + R"(","format":"compact","flush_ms":50,"coalesce":true})");
  ASSERT_TRUE(rec.wait([&] { return rec.events.size() == 1; }));

  const std::string fresh = fake_jwt(TestWsServer::kUser, TestWsServer::kTenant, 2);
  client.set_token(fresh);
  ASSERT_TRUE(rec.wait([&] { return rec.auth_oks.size() == 1; }));
  EXPECT_EQ(server.info(0).messages.at(1), R"({"type":"auth","token":")" + fresh + R"("})");

  server.close(0, 1001, "Server shutting down");
  ASSERT_TRUE(server.wait_connections(2, kWait));
  EXPECT_EQ(first_message(server, 1), R"({"type":"auth","token":")" + fresh + R"(","since":2,"epoch":")" +
                                          TestWsServer::kEpoch +
                                          R"(","format":"compact","flush_ms":50,"coalesce":true})");
}

TEST(ClientStreamOptions, EachOptionIsSentOnlyWhenSet) {
  TestWsServer server;
  Recorder rec;
  Client::Options o = rec.options(server.base_url());
  o.stream.flush_ms = 0;
  o.stream.coalesce = false;
  Client client(std::move(o));
  const std::string token = fake_jwt(TestWsServer::kUser, TestWsServer::kTenant);
  client.set_token(token);
  EXPECT_EQ(first_message(server, 0),
            R"({"type":"auth","token":")" + token + R"(","flush_ms":0,"coalesce":false})");
}

TEST(ClientStreamOptions, WithTheTokenInTheUrlOptionsAreQueryParameters) {
  TestWsServer server;
  Recorder rec;
  Client::Options o = rec.options(server.base_url());
  o.token_in_url = true;
  o.stream.format = StreamFormat::json;
  o.stream.flush_ms = 1000;
  o.stream.coalesce = true;
  Client client(std::move(o));
  client.set_token("tok");
  ASSERT_TRUE(server.wait_connections(1, kWait));
  EXPECT_EQ(server.info(0).target, "/ws?token=tok&format=json&flush_ms=1000&coalesce=1");
  ASSERT_TRUE(rec.wait([&] { return rec.events.size() == 1; }));
  server.close(0, 1001, "Server shutting down");
  ASSERT_TRUE(server.wait_connections(2, kWait));
  EXPECT_EQ(server.info(1).target, std::string("/ws?token=tok&since=2&epoch=") + TestWsServer::kEpoch +
                                       "&format=json&flush_ms=1000&coalesce=1");
}

TEST(ClientStreamOptions, AFlushWindowOverASecondIsRefusedAtConstruction) {
  Client::Options o;
  o.stream.flush_ms = 1001;
  EXPECT_THROW(Client{o}, std::invalid_argument);
  o.stream.flush_ms = 1000;
  EXPECT_NO_THROW(Client{o});
}

class ClientCompact : public ::testing::Test {
 protected:
  TestWsServer server;
  Recorder rec;
  Client client{compact_options(rec, server)};

  // Connects and waits for the greeting (JSON: snapshot at 1, event 2 of dev_1).
  bool start() {
    client.set_token(fake_jwt(TestWsServer::kUser, TestWsServer::kTenant));
    return rec.wait([&] { return rec.events.size() == 1; });
  }
};

TEST_F(ClientCompact, TcEventsAreDeliveredAsEventsOfTheAnnouncedDevices) {
  ASSERT_TRUE(start());
  server.send(0, announce(0, kDevA));
  server.send(0, announce(57, kDevB));
  server.send(0, tc(3, {{0, 0}, {1, 57}, {2, 0}}));
  ASSERT_TRUE(rec.wait([&] { return rec.events.size() == 4; }));
  std::lock_guard l(rec.mu);
  EXPECT_EQ(rec.events[1].seq, 3u);
  EXPECT_EQ(rec.events[1].device.str(), kDevA);
  EXPECT_EQ(rec.events[2].seq, 4u);
  EXPECT_EQ(rec.events[2].device.str(), kDevB);
  EXPECT_EQ(rec.events[3].seq, 5u);
  EXPECT_EQ(rec.events[3].device.str(), kDevA);
  EXPECT_EQ(rec.events[2].point.ts_ms, 1795000000000 - 5);
  EXPECT_EQ(rec.events[2].point.lat, 48.850123);
  EXPECT_EQ(rec.events[2].point.lon, -2.350201);
  EXPECT_EQ(rec.events[2].point.speed_kph, 12.5);
  EXPECT_TRUE(rec.closes.empty());
}

TEST_F(ClientCompact, ASnapshotsIndexesNameDevicesToo) {
  server.set_on_accept(TestWsServer::OnAccept::keep_open);
  client.set_token(fake_jwt(TestWsServer::kUser, TestWsServer::kTenant));
  ASSERT_TRUE(server.wait_authenticated(0, kWait));
  server.send(
      0, R"({"type":"hello","protocol":2,"tenant":"org_test","user":"user_test","role":"admin",)"
         R"("token_exp":1795000000,"token_grace_s":15,"server":"fleetd/test","seq":7,"epoch":"epoch_test"})");
  server.send(0, R"({"type":"snapshot","seq":7,"devices":[{"id":")" + kDevB +
                     R"(","name":"Van","i":4,"last":null}]})");
  server.send(0, tc(8, {{0, 4}}));
  ASSERT_TRUE(rec.wait([&] { return rec.events.size() == 1; }));
  std::lock_guard l(rec.mu);
  EXPECT_EQ(rec.events[0].seq, 8u);
  EXPECT_EQ(rec.events[0].device.str(), kDevB);
  ASSERT_EQ(rec.snapshots.size(), 1u);
  EXPECT_EQ(rec.snapshots[0].second.at(0).id.str(), kDevB);
}

TEST_F(ClientCompact, SkippedExplainsAGapAndAnUnexplainedOneIsLoss) {
  ASSERT_TRUE(start());
  server.send(0, announce(1, kDevA));
  server.send(0, tc(10, {{0, 1}}, 7));  // 3..9 coalesced away, 10 delivered: 10 - 2 = 1 + 7
  ASSERT_TRUE(rec.wait([&] { return rec.events.size() == 2; }));
  server.send(0, tc(12, {{0, 1}}));  // 11 missing, unexplained
  ASSERT_TRUE(server.wait_connections(2, kWait));
  EXPECT_EQ(since_of(server, 1), std::optional<Seq>(10));
  std::lock_guard l(rec.mu);
  EXPECT_EQ(rec.events.size(), 2u);
  ASSERT_FALSE(rec.closes.empty());
  EXPECT_EQ(rec.closes[0], std::make_pair(std::uint16_t{1000}, std::string("Telemetry gap")));
}

TEST_F(ClientCompact, AnUnannouncedIndexIsLossAndResumesFromTheLastAppliedSeq) {
  ASSERT_TRUE(start());
  server.send(0, tc(3, {{0, 9}}));
  ASSERT_TRUE(server.wait_connections(2, kWait));
  EXPECT_EQ(since_of(server, 1), std::optional<Seq>(2));
  std::lock_guard l(rec.mu);
  EXPECT_EQ(rec.events.size(), 1u);
  ASSERT_FALSE(rec.closes.empty());
  EXPECT_EQ(rec.closes[0], std::make_pair(std::uint16_t{1000}, std::string("Telemetry gap")));
}

TEST_F(ClientCompact, AMalformedTcFrameOrAnnouncementIsLoss) {
  ASSERT_TRUE(start());
  server.send(0, announce(1, kDevA));
  server.send(0, R"({"type":"tc","chunks":[[3,0,[0,0,1,48.85,2350000]]]})");  // lat_e6 not an integer
  ASSERT_TRUE(server.wait_connections(2, kWait));
  EXPECT_EQ(since_of(server, 1), std::optional<Seq>(2));
  ASSERT_TRUE(rec.wait([&] { return rec.hellos.size() == 2; }));  // resumed (recovered: true)
  server.send(1, R"({"type":"devices","devices":[{"i":"1","id":")" + kDevA + "\"}]}");
  ASSERT_TRUE(server.wait_connections(3, kWait));
  std::lock_guard l(rec.mu);
  EXPECT_EQ(rec.events.size(), 1u);
  ASSERT_EQ(rec.closes.size(), 2u);
  EXPECT_EQ(rec.closes[1].second, "Telemetry gap");
}

TEST_F(ClientCompact, AReconnectForgetsTheIndexesAndLaterAnnouncementsOverwrite) {
  ASSERT_TRUE(start());
  server.send(0, announce(5, kDevA));
  server.send(0, tc(3, {{0, 5}}));
  ASSERT_TRUE(rec.wait([&] { return rec.events.size() == 2; }));

  // The resumed connection (recovered: true, no snapshot) must announce again: 5 is unknown on it.
  server.close(0, 1001, "Server shutting down");
  ASSERT_TRUE(server.wait_connections(2, kWait));
  ASSERT_TRUE(rec.wait([&] { return rec.hellos.size() == 2; }));
  server.send(1, tc(4, {{0, 5}}));
  ASSERT_TRUE(server.wait_connections(3, kWait));
  EXPECT_EQ(since_of(server, 2), std::optional<Seq>(3));

  // On the next one, 5 names another device, then is renamed again.
  ASSERT_TRUE(rec.wait([&] { return rec.hellos.size() == 3; }));
  server.send(2, announce(5, kDevB));
  server.send(2, tc(4, {{0, 5}}));
  server.send(2, announce(5, kDevA));
  server.send(2, tc(5, {{0, 5}}));
  ASSERT_TRUE(rec.wait([&] { return rec.events.size() == 4; }));
  std::lock_guard l(rec.mu);
  EXPECT_EQ(rec.events[1].device.str(), kDevA);
  EXPECT_EQ(rec.events[2].seq, 4u);
  EXPECT_EQ(rec.events[2].device.str(), kDevB);
  EXPECT_EQ(rec.events[3].seq, 5u);
  EXPECT_EQ(rec.events[3].device.str(), kDevA);
}

TEST_F(ClientCompact, JsonTelemetryStillAppliesOnACompactSession) {
  // A server that ignores the option answers in JSON: the greeting's event 2 came as `telemetry`.
  ASSERT_TRUE(start());
  server.send(0, R"({"type":"telemetry","events":[{"seq":3,"device":"dev_1","ts":1,"lat":1,"lon":2}]})");
  ASSERT_TRUE(rec.wait([&] { return rec.events.size() == 2; }));
  EXPECT_EQ(rec.event_seqs(), (std::vector<Seq>{2, 3}));
}

}  // namespace
}  // namespace fleet
