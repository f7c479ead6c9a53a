// fleet::Client's resume and gap detection against the in-test server (docs/protocol.md, "Resume" and
// "Slow consumers"): every reconnect sends since + epoch, recovered:true continues without a snapshot,
// gaps explained by `skipped` are accepted and unexplained ones cost a reconnect that resumes.
#include <gtest/gtest.h>

#include <initializer_list>
#include <optional>
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

// One telemetry frame with events at `seqs` (and `skipped` when not 0).
std::string frame(std::initializer_list<Seq> seqs, std::uint64_t skipped = 0) {
  std::string out = R"({"type":"telemetry",)";
  if (skipped) out += R"("skipped":)" + std::to_string(skipped) + ",";
  out += R"("events":[)";
  bool first = true;
  for (Seq s : seqs) {
    if (!first) out += ',';
    first = false;
    out += R"({"seq":)" + std::to_string(s) + R"(,"device":"dev_1","ts":1795000000000,"lat":48.9,"lon":2.3})";
  }
  return out + "]}";
}

// The resume request of connection i's first message, once it arrived.
struct Resume {
  std::optional<Seq> since;
  std::optional<std::string> epoch;
};
Resume resume_of(const TestWsServer& server, std::size_t i) {
  EXPECT_TRUE(fleet::testing::eventually([&] { return !server.info(i).messages.empty(); }));
  const auto info = server.info(i);
  return {info.since, info.epoch};
}

class ClientResume : public ::testing::Test {
 protected:
  TestWsServer server;
  Recorder rec;
  Client client{rec.options(server.base_url())};

  // Connects and waits for the greeting: snapshot at 1, event 2 applied.
  bool start() {
    client.set_token(fake_jwt(TestWsServer::kUser, TestWsServer::kTenant));
    return rec.wait([&] { return rec.events.size() == 1; });
  }
};

TEST_F(ClientResume, EveryReconnectSendsTheLastAppliedSeqAndTheEpoch) {
  ASSERT_TRUE(start());
  server.close(0, 1001, "Server shutting down");
  ASSERT_TRUE(server.wait_connections(2, kWait));
  Resume r = resume_of(server, 1);
  EXPECT_EQ(r.since, std::optional<Seq>(2));
  EXPECT_EQ(r.epoch, std::optional<std::string>(TestWsServer::kEpoch));
  ASSERT_TRUE(rec.wait([&] { return rec.hellos.size() == 2; }));

  // The resumed stream goes on; the next reconnect starts from what was applied since.
  server.send(1, frame({3, 4}));
  ASSERT_TRUE(rec.wait([&] { return rec.events.size() == 3; }));
  server.close(1, 1013, "Slow consumer");
  ASSERT_TRUE(server.wait_connections(3, kWait));
  EXPECT_EQ(resume_of(server, 2).since, std::optional<Seq>(4));
  ASSERT_TRUE(rec.wait([&] { return rec.hellos.size() == 3; }));

  server.close(2, 1011, "Internal error");
  ASSERT_TRUE(server.wait_connections(4, kWait));
  EXPECT_EQ(resume_of(server, 3).since, std::optional<Seq>(4));
  ASSERT_TRUE(rec.wait([&] { return rec.hellos.size() == 4; }));

  server.drop(3);  // no close frame at all
  ASSERT_TRUE(server.wait_connections(5, kWait));
  EXPECT_EQ(resume_of(server, 4).since, std::optional<Seq>(4));
  EXPECT_EQ(resume_of(server, 4).epoch, std::optional<std::string>(TestWsServer::kEpoch));
}

TEST_F(ClientResume, RecoveredTrueContinuesWithoutASnapshot) {
  server.set_recover(true);
  ASSERT_TRUE(start());
  server.drop(0);
  ASSERT_TRUE(rec.wait([&] { return rec.hellos.size() == 2; }));
  {
    std::lock_guard l(rec.mu);
    EXPECT_EQ(rec.hellos[1].recovered, std::optional<bool>(true));
    EXPECT_EQ(rec.hellos[1].seq, 2u);
  }
  // The missed events follow directly, on top of what the application already holds.
  server.send(1, frame({3}));
  server.send(1, frame({4, 5}));
  ASSERT_TRUE(rec.wait([&] { return rec.events.size() == 4; }));
  EXPECT_EQ(rec.event_seqs(), (std::vector<Seq>{2, 3, 4, 5}));
  std::lock_guard l(rec.mu);
  EXPECT_EQ(rec.snapshots.size(), 1u);
  EXPECT_EQ(server.connections(), 2u);
}

TEST_F(ClientResume, RecoveredFalseTakesTheSnapshotAndResumesFromIt) {
  server.set_recover(false);
  ASSERT_TRUE(start());
  server.set_snapshot_seq(10);  // the server moved on further than it can replay
  server.drop(0);
  // hello{recovered:false, seq:10}, snapshot at 10, event 11.
  ASSERT_TRUE(rec.wait([&] { return rec.events.size() == 2; }));
  {
    std::lock_guard l(rec.mu);
    ASSERT_EQ(rec.hellos.size(), 2u);
    EXPECT_EQ(rec.hellos[1].recovered, std::optional<bool>(false));
    ASSERT_EQ(rec.snapshots.size(), 2u);
    EXPECT_EQ(rec.snapshots[1].first, 10u);
  }
  EXPECT_EQ(rec.event_seqs(), (std::vector<Seq>{2, 11}));
  server.drop(1);
  ASSERT_TRUE(server.wait_connections(3, kWait));
  EXPECT_EQ(resume_of(server, 2).since, std::optional<Seq>(11));
}

TEST_F(ClientResume, ADropBeforeTheSnapshotKeepsTheOldResumePoint) {
  // hello{recovered:false} says the application's state is stale, but until the snapshot replaces it the
  // client still holds exactly what it applied.
  server.set_recover(false);
  ASSERT_TRUE(start());
  server.set_on_accept(TestWsServer::OnAccept::keep_open);
  server.drop(0);
  ASSERT_TRUE(server.wait_connections(2, kWait));
  EXPECT_EQ(resume_of(server, 1).since, std::optional<Seq>(2));
  server.send(
      1, R"({"type":"hello","protocol":2,"tenant":"org_test","user":"user_test","role":"admin",)"
         R"("token_exp":1795000000,"server":"fleetd/test","seq":9,"epoch":"epoch_test","recovered":false})");
  ASSERT_TRUE(rec.wait([&] { return rec.hellos.size() == 2; }));
  server.drop(1);
  ASSERT_TRUE(server.wait_connections(3, kWait));
  EXPECT_EQ(resume_of(server, 2).since, std::optional<Seq>(2));
}

TEST_F(ClientResume, GapsExplainedBySkippedAreAccepted) {
  ASSERT_TRUE(start());
  // After 2: 3 and 4 coalesced away before 5; then 6..9 minus two before 9; then a plain frame.
  server.send(0, frame({5}, 2));
  server.send(0, frame({7, 9}, 2));
  server.send(0, frame({10}));
  ASSERT_TRUE(rec.wait([&] { return rec.events.size() == 5; }));
  EXPECT_EQ(rec.event_seqs(), (std::vector<Seq>{2, 5, 7, 9, 10}));
  // Delivered on the first socket: the client never dropped it (a drop would have discarded frame 10).
  EXPECT_EQ(server.connections(), 1u);
  EXPECT_FALSE(server.info(0).ended);
  // And counted as applied: a reconnect resumes after the last of them.
  server.drop(0);
  ASSERT_TRUE(server.wait_connections(2, kWait));
  EXPECT_EQ(resume_of(server, 1).since, std::optional<Seq>(10));
}

TEST_F(ClientResume, AnUnexplainedGapReconnectsAndResumesFromTheLastAppliedSeq) {
  ASSERT_TRUE(start());
  server.send(0, frame({3}));
  server.send(0, frame({6}, 1));  // 4 and 5 missing, only one explained
  ASSERT_TRUE(server.wait_connections(2, kWait));
  EXPECT_EQ(resume_of(server, 1).since, std::optional<Seq>(3));
  EXPECT_EQ(resume_of(server, 1).epoch, std::optional<std::string>(TestWsServer::kEpoch));
  ASSERT_TRUE(server.wait_ended(0, kWait));
  EXPECT_EQ(server.info(0).client_close_code, std::optional<std::uint16_t>(1000));
  ASSERT_TRUE(rec.wait([&] { return rec.hellos.size() == 2; }));
  // The inconsistent frame was never delivered.
  EXPECT_EQ(rec.event_seqs(), (std::vector<Seq>{2, 3}));
  std::lock_guard l(rec.mu);
  ASSERT_FALSE(rec.closes.empty());
  EXPECT_EQ(rec.closes[0], std::make_pair(std::uint16_t{1000}, std::string("Telemetry gap")));
}

TEST_F(ClientResume, ADuplicateIsLossToo) {
  ASSERT_TRUE(start());
  server.send(0, frame({2, 3}));  // 2 was applied already
  ASSERT_TRUE(server.wait_connections(2, kWait));
  EXPECT_EQ(resume_of(server, 1).since, std::optional<Seq>(2));
  EXPECT_EQ(rec.event_seqs(), (std::vector<Seq>{2}));
}

TEST_F(ClientResume, RecoveredAtAnotherSeqStartsOverWithASnapshot) {
  // The server claims to continue after 7 when the client asked for 2: events 3..7 would be lost.
  ASSERT_TRUE(start());
  server.set_on_accept(TestWsServer::OnAccept::keep_open);
  server.drop(0);
  ASSERT_TRUE(server.wait_connections(2, kWait));
  ASSERT_EQ(resume_of(server, 1).since, std::optional<Seq>(2));
  server.send(
      1, R"({"type":"hello","protocol":2,"tenant":"org_test","user":"user_test","role":"admin",)"
         R"("token_exp":1795000000,"server":"fleetd/test","seq":7,"epoch":"epoch_test","recovered":true})");
  ASSERT_TRUE(server.wait_connections(3, kWait));
  const Resume r = resume_of(server, 2);
  EXPECT_FALSE(r.since.has_value());
  EXPECT_FALSE(r.epoch.has_value());
  std::lock_guard l(rec.mu);
  EXPECT_EQ(rec.hellos.size(), 1u);  // the inconsistent hello was not delivered
}

}  // namespace
}  // namespace fleet
