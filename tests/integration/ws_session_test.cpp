// Protocol 2 sessions against a real fleetd: first-message auth, in-band refresh, expiry with a grace,
// and resume by epoch + seq from the ring and from the store, across restarts (docs/protocol.md).
#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <csignal>
#include <thread>

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

std::string point_at(double lat) {
  return json::serialize(json::object{{"ts", now_ms()}, {"lat", lat}, {"lon", 2.35}});
}

std::string auth_message(const std::string& token) {
  return json::serialize(json::object{{"type", "auth"}, {"token", token}});
}

std::string resume_message(const std::string& token, std::int64_t since, const std::string& epoch) {
  return json::serialize(
      json::object{{"type", "auth"}, {"token", token}, {"since", since}, {"epoch", epoch}});
}

std::int64_t seq_of(const json::object& o) { return o.at("seq").as_int64(); }

// Posts one point every `period` from its own thread until destroyed; counts what got a 202.
class SteadyIngest {
 public:
  SteadyIngest(unsigned short port, std::string key, milliseconds period) {
    thread_ = std::thread([this, port, key = std::move(key), period] {
      while (!stop_) {
        if (request(port, "POST", "/api/v1/telemetry", point_at(48.85), key).status == 202) ++accepted_;
        std::this_thread::sleep_for(period);
      }
    });
  }
  ~SteadyIngest() {
    stop_ = true;
    thread_.join();
  }
  int accepted() const { return accepted_; }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::thread thread_;
};

// Every message until `until` holds for the messages so far, the session closes, or the timeout.
std::vector<json::object> read_until(WsClient& ws,
                                     const std::function<bool(const std::vector<json::object>&)>& until,
                                     milliseconds timeout = seconds(20)) {
  std::vector<json::object> out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!until(out)) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    auto msg = ws.read(left);
    if (!msg) break;
    out.push_back(json::parse(*msg).as_object());
  }
  return out;
}

// The seqs of every telemetry event among `messages`, in arrival order.
std::vector<std::int64_t> event_seqs(const std::vector<json::object>& messages) {
  std::vector<std::int64_t> seqs;
  for (const auto& m : messages) {
    if (m.at("type").as_string() != "telemetry") continue;
    for (const auto& e : m.at("events").as_array()) seqs.push_back(seq_of(e.as_object()));
  }
  return seqs;
}

void expect_contiguous(const std::vector<std::int64_t>& seqs, std::int64_t first, std::int64_t last) {
  ASSERT_EQ(static_cast<std::int64_t>(seqs.size()), last - first + 1)
      << "first " << first << " last " << last;
  for (std::size_t i = 0; i < seqs.size(); ++i) ASSERT_EQ(seqs[i], first + static_cast<std::int64_t>(i));
}

class WsSession : public ::testing::Test {
 protected:
  void start(std::vector<std::string> args = {}) {
    args.insert(args.begin(), "--dev");
    server_ = std::make_unique<FleetdProcess>(std::move(args));
    admin_ = dev_token(port(), "alice", "org_a");
    truck_ = create_device(port(), admin_, "Truck 1");
  }
  unsigned short port() const { return server_->port(); }
  int ingest(int n) {
    int last = 0;
    for (int i = 0; i < n; ++i) {
      auto r = request(port(), "POST", "/api/v1/telemetry", point_at(48.8 + i * 1e-4), truck_.key);
      EXPECT_EQ(r.status, 202) << r.body;
      last = static_cast<int>(r.json().at("last_seq").as_int64());
    }
    return last;
  }
  // Opens a tokenless socket and authenticates by message; returns hello.
  json::object open_by_message(WsClient& ws, const std::string& message) {
    ws.send(message);
    auto hello = ws.read_json();
    EXPECT_EQ(hello.at("type").as_string(), "hello");
    return hello;
  }

  std::unique_ptr<FleetdProcess> server_;
  std::string admin_;
  NewDevice truck_;
};

// ---- first-message auth ----

TEST_F(WsSession, FirstMessageAuthenticatesWithoutATokenInTheUrl) {
  start();
  ingest(2);
  WsClient ws(port(), "/ws");
  auto hello = open_by_message(ws, auth_message(admin_));
  EXPECT_EQ(hello.at("protocol").as_int64(), 2);
  EXPECT_EQ(hello.at("tenant").as_string(), "org_a");
  EXPECT_EQ(hello.at("seq").as_int64(), 2);
  EXPECT_EQ(hello.at("token_grace_s").as_int64(), 15);
  EXPECT_EQ(hello.at("epoch").as_string().size(), 16u);
  EXPECT_FALSE(hello.contains("recovered"));  // no resume was asked for
  auto snapshot = ws.read_json();
  EXPECT_EQ(snapshot.at("type").as_string(), "snapshot");
  EXPECT_EQ(snapshot.at("seq").as_int64(), 2);
  ingest(1);
  auto events = read_events(ws, [](const auto& e) { return !e.empty(); });
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(seq_of(events[0]), 3);
}

TEST_F(WsSession, NoAuthMessageClosesAtTheHandshakeTimeout) {
  start({"--handshake-timeout", "1500"});
  const auto opened = std::chrono::steady_clock::now();
  WsClient ws(port(), "/ws");
  EXPECT_EQ(ws.wait_close(seconds(10)), 1008);
  EXPECT_EQ(ws.close_reason(), "Authentication timeout");
  EXPECT_GE(std::chrono::steady_clock::now() - opened, milliseconds(1400));  // not before the timeout
  EXPECT_EQ(metric(port(), R"(fleet_ws_handshakes_total{outcome="refused",reason="auth_timeout"})"), "1");
}

TEST_F(WsSession, AFirstMessageThatIsNotAuthHasNoToken) {
  start();
  for (const std::string first : {R"({"type":"ping"})", "not json", "[]", R"({"type":"AUTH","token":"x"})"}) {
    WsClient ws(port(), "/ws");
    ws.send(first);
    EXPECT_EQ(ws.wait_close(seconds(5)), 1008) << first;
    EXPECT_EQ(ws.close_reason(), "Missing token") << first;
  }
  // Whatever a client sends after the close is never answered, and the server carries on.
  WsClient late(port(), "/ws");
  late.send("{}");
  late.send(auth_message(admin_));
  EXPECT_EQ(late.wait_close(seconds(5)), 1008);
  EXPECT_EQ(late.close_reason(), "Missing token");
  WsClient fine(port(), "/ws");
  EXPECT_EQ(open_by_message(fine, auth_message(admin_)).at("tenant").as_string(), "org_a");
}

TEST_F(WsSession, FirstMessageAuthRefusesBadTokensWithTheSameReasons) {
  start();
  WsClient garbage(port(), "/ws");
  garbage.send(auth_message("not.a.jwt"));
  EXPECT_EQ(garbage.wait_close(seconds(5)), 1008);
  EXPECT_EQ(garbage.close_reason(), "Invalid token");
  WsClient empty(port(), "/ws");
  empty.send(auth_message(""));
  EXPECT_EQ(empty.wait_close(seconds(5)), 1008);
  EXPECT_EQ(empty.close_reason(), "Missing token");
  WsClient personal(port(), "/ws");
  personal.send(auth_message(dev_token(port(), "bob", "")));
  EXPECT_EQ(personal.wait_close(seconds(5)), 1008);
  EXPECT_EQ(personal.close_reason(), "No organization");
}

TEST_F(WsSession, MalformedAuthMessagesCloseWithDocumentedReasons) {
  start();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"type":"auth"})", "Protocol violation"},
      {R"({"type":"auth","token":42})", "Protocol violation"},
      {R"({"type":"auth","token":"x","extra":1})", "Protocol violation"},
      {R"({"type":"auth","token":"x","since":5})", "Invalid resume"},
      {R"({"type":"auth","token":"x","epoch":"abc"})", "Invalid resume"},
      {R"({"type":"auth","token":"x","since":-1,"epoch":"abc"})", "Invalid resume"},
      {R"({"type":"auth","token":"x","since":1.5,"epoch":"abc"})", "Invalid resume"},
      {R"({"type":"auth","token":"x","since":"5","epoch":"abc"})", "Invalid resume"},
      {R"({"type":"auth","token":"x","since":9007199254740992,"epoch":"abc"})", "Invalid resume"},
      {R"({"type":"auth","token":"x","since":5,"epoch":"a b"})", "Invalid resume"},
      {R"({"type":"auth","token":"x","since":5,"epoch":""})", "Invalid resume"},
  };
  for (const auto& [message, reason] : cases) {
    WsClient ws(port(), "/ws");
    ws.send(message);
    EXPECT_EQ(ws.wait_close(seconds(5)), 1008) << message;
    EXPECT_EQ(ws.close_reason(), reason) << message;
  }
  for (const std::string query : {"since=5", "epoch=abc", "since=-1&epoch=abc", "since=x&epoch=abc",
                                  "since=99999999999999999&epoch=abc", "since=5&epoch=a%20b"}) {
    WsClient ws(port(), "/ws?token=" + admin_ + "&" + query);
    EXPECT_EQ(ws.wait_close(seconds(5)), 1008) << query;
    EXPECT_EQ(ws.close_reason(), "Invalid resume") << query;
  }
  // An oversized auth message is a too-big message; the server stays up for everyone else.
  WsClient big(port(), "/ws");
  big.send(auth_message(std::string(20'000, 'a')));
  EXPECT_EQ(big.wait_close(seconds(5)), 1009);
  WsClient fine(port(), "/ws");
  EXPECT_EQ(open_by_message(fine, auth_message(admin_)).at("tenant").as_string(), "org_a");
}

// ---- in-band refresh ----

TEST_F(WsSession, RefreshesInBandSixTimesOnOneSocketUnderSteadyIngest) {
  // 10-second tokens and a 2-second grace: without the refreshes the session would end after 12 s.
  start({"--token-grace", "2"});
  WsClient ws(port(), "/ws");
  auto hello = open_by_message(ws, auth_message(dev_token(port(), "alice", "org_a", "admin", 10)));
  const std::int64_t start_seq = hello.at("seq").as_int64();
  const std::int64_t started_ms = now_ms();
  ASSERT_EQ(ws.read_json().at("type").as_string(), "snapshot");
  std::vector<json::object> messages;
  {
    SteadyIngest feed(port(), truck_.key, milliseconds(100));
    std::int64_t exp = hello.at("token_exp").as_int64();
    for (int round = 0; round < 6; ++round) {
      // Read telemetry until about 1 s before the current token expires, then refresh.
      auto got = read_until(
          ws, [&](const auto&) { return now_ms() >= exp * 1000 - 1000; }, seconds(15));
      messages.insert(messages.end(), got.begin(), got.end());
      ASSERT_EQ(ws.close_code(), 0) << "closed in round " << round << ": " << ws.close_reason();
      ws.send(auth_message(dev_token(port(), "alice", "org_a", "admin", 10)));
      auto until_ok = read_until(
          ws, [](const auto& m) { return !m.empty() && m.back().at("type").as_string() == "auth_ok"; });
      ASSERT_FALSE(until_ok.empty()) << "no auth_ok in round " << round << ", close " << ws.close_reason();
      const std::int64_t new_exp = until_ok.back().at("token_exp").as_int64();
      EXPECT_GT(new_exp, exp);
      exp = new_exp;
      messages.insert(messages.end(), until_ok.begin(), until_ok.end());
    }
    // Still live a minute in, long after the first token's exp + grace.
    auto tail = read_until(
        ws, [&](const auto&) { return now_ms() >= started_ms + 60'000; }, seconds(15));
    messages.insert(messages.end(), tail.begin(), tail.end());
  }
  ASSERT_EQ(ws.close_code(), 0) << ws.close_reason();
  EXPECT_EQ(std::count_if(messages.begin(), messages.end(),
                          [](const auto& m) { return m.at("type").as_string() == "auth_ok"; }),
            6);
  EXPECT_EQ(std::count_if(messages.begin(), messages.end(),
                          [](const auto& m) { return m.at("type").as_string() == "snapshot"; }),
            0);
  const auto seqs = event_seqs(messages);
  ASSERT_GT(seqs.size(), 300u);  // ~10 points/s for about a minute
  expect_contiguous(seqs, start_seq + 1, seqs.back());
  EXPECT_EQ(metric(port(), R"(fleet_ws_refreshes_total{outcome="ok"})"), "6");
}

TEST_F(WsSession, RefreshWithAnotherOrganizationOrUserOrABadTokenCloses) {
  start();
  struct Case {
    std::string token;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {dev_token(port(), "alice", "org_b"), "Organization changed"},
      {dev_token(port(), "mallory", "org_a"), "Token mismatch"},
      {"not.a.jwt", "Invalid token"},
      {dev_token(port(), "alice", ""), "No organization"},
  };
  for (const auto& c : cases) {
    WsClient ws(port(), "/ws");
    open_by_message(ws, auth_message(admin_));
    ws.send(auth_message(c.token));
    EXPECT_EQ(ws.wait_close(seconds(5)), 1008) << c.reason;
    EXPECT_EQ(ws.close_reason(), c.reason);
  }
  // A session authenticated by its URL refreshes the same way.
  WsClient by_url(port(), "/ws?token=" + admin_);
  by_url.read_json();
  by_url.read_json();
  by_url.send(auth_message(dev_token(port(), "alice", "org_a")));
  auto ok = read_until(
      by_url, [](const auto& m) { return !m.empty() && m.back().at("type").as_string() == "auth_ok"; });
  ASSERT_FALSE(ok.empty());
}

TEST_F(WsSession, RefreshesFasterThanTheRateClose) {
  start();
  WsClient ws(port(), "/ws");
  open_by_message(ws, auth_message(admin_));  // the first of the burst of 5
  for (int i = 0; i < 5; ++i) ws.send(auth_message(admin_));
  EXPECT_EQ(ws.wait_close(seconds(5)), 1008);
  EXPECT_EQ(ws.close_reason(), "Too many auth messages");
  // Nobody else noticed.
  WsClient other(port(), "/ws");
  EXPECT_EQ(open_by_message(other, auth_message(admin_)).at("tenant").as_string(), "org_a");
}

TEST_F(WsSession, WithoutARefreshTheSessionClosesAtExpPlusGraceAndNotBefore) {
  start({"--token-grace", "2"});
  WsClient ws(port(), "/ws");
  auto hello = open_by_message(ws, auth_message(dev_token(port(), "alice", "org_a", "admin", 3)));
  EXPECT_EQ(hello.at("token_grace_s").as_int64(), 2);
  const std::int64_t deadline_ms = (hello.at("token_exp").as_int64() + 2) * 1000;
  EXPECT_EQ(ws.wait_close(seconds(15)), 1008);
  const std::int64_t closed_at = now_ms();
  EXPECT_EQ(ws.close_reason(), "Token expired");
  EXPECT_GE(closed_at, deadline_ms);
  EXPECT_LE(closed_at, deadline_ms + 3000);
}

// ---- resume ----

TEST_F(WsSession, ResumeFromTheRingDeliversExactlyTheMissedEventsWithoutASnapshot) {
  start();
  ingest(3);
  std::string epoch;
  std::int64_t last = 0;
  {
    WsClient ws(port(), "/ws");
    auto hello = open_by_message(ws, auth_message(admin_));
    epoch = std::string(hello.at("epoch").as_string());
    ws.read_json();  // snapshot at 3
    ingest(2);
    auto events = read_events(ws, [](const auto& e) { return e.size() >= 2; });
    ASSERT_EQ(events.size(), 2u);
    last = seq_of(events.back());
    ws.close();
  }
  EXPECT_EQ(last, 5);
  ingest(4);  // 6..9 while away
  WsClient ws(port(), "/ws");
  auto hello = open_by_message(ws, resume_message(admin_, last, epoch));
  EXPECT_TRUE(hello.at("recovered").as_bool());
  EXPECT_EQ(hello.at("seq").as_int64(), last);
  auto messages = read_until(ws, [](const auto& m) { return event_seqs(m).size() >= 4; });
  for (const auto& m : messages) EXPECT_NE(m.at("type").as_string(), "snapshot");
  expect_contiguous(event_seqs(messages), 6, 9);
  ingest(1);
  auto live = read_events(ws, [](const auto& e) { return !e.empty(); });
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(seq_of(live[0]), 10);
  EXPECT_EQ(metric(port(), R"(fleet_ws_resumes_total{outcome="ring"})"), "1");
}

TEST_F(WsSession, ResumeByQueryAndAtTheHeadRecoversNothingMissing) {
  start();
  const int last = ingest(2);
  WsClient first(port(), "/ws");
  const std::string epoch(open_by_message(first, auth_message(admin_)).at("epoch").as_string());
  WsClient ws(port(), "/ws?token=" + admin_ + "&since=" + std::to_string(last) + "&epoch=" + epoch);
  auto hello = ws.read_json();
  EXPECT_TRUE(hello.at("recovered").as_bool());
  EXPECT_EQ(hello.at("seq").as_int64(), last);
  ingest(1);
  auto next = ws.read_json();  // no snapshot in between
  EXPECT_EQ(next.at("type").as_string(), "telemetry");
  EXPECT_EQ(seq_of(next.at("events").as_array()[0].as_object()), last + 1);
}

TEST_F(WsSession, TwoHundredViewersDropForThreeSecondsUnderIngestAndResumeExactly) {
  start();
  ingest(1);
  constexpr int kViewers = 200;
  std::vector<std::unique_ptr<WsClient>> viewers;
  std::vector<std::int64_t> applied(kViewers, 0);
  std::string epoch;
  for (int i = 0; i < kViewers; ++i) {
    viewers.push_back(std::make_unique<WsClient>(port(), "/ws"));
    auto hello = open_by_message(*viewers.back(), auth_message(admin_));
    epoch = std::string(hello.at("epoch").as_string());
    viewers.back()->read_json();  // snapshot
    applied[static_cast<std::size_t>(i)] = hello.at("seq").as_int64();
  }
  {
    SteadyIngest feed(port(), truck_.key, milliseconds(20));
    ASSERT_TRUE(eventually([&] { return feed.accepted() >= 25; }));  // some live traffic before the drop
    // Each viewer applies what has arrived, then drops (a timed-out read leaves the socket unusable,
    // as a dead network would), stays away while ingest goes on (150 points, 3 s at this pace), and
    // resumes from what it applied.
    for (int i = 0; i < kViewers; ++i) {
      auto& v = *viewers[static_cast<std::size_t>(i)];
      const auto seqs = event_seqs(read_until(
          v, [](const auto&) { return false; }, milliseconds(5)));
      if (!seqs.empty()) applied[static_cast<std::size_t>(i)] = seqs.back();
      v.close();
    }
    viewers.clear();
    const int at_drop = feed.accepted();
    ASSERT_TRUE(eventually([&] { return feed.accepted() >= at_drop + 150; }));
    for (int i = 0; i < kViewers; ++i) {
      viewers.push_back(std::make_unique<WsClient>(port(), "/ws"));
      viewers.back()->send(resume_message(admin_, applied[static_cast<std::size_t>(i)], epoch));
    }
  }
  const int head = ingest(1);
  for (int i = 0; i < kViewers; ++i) {
    auto& v = *viewers[static_cast<std::size_t>(i)];
    auto hello = v.read_json();
    ASSERT_EQ(hello.at("type").as_string(), "hello");
    ASSERT_TRUE(hello.at("recovered").as_bool()) << "viewer " << i;
    auto messages = read_until(v, [head](const auto& m) {
      const auto s = event_seqs(m);
      return !s.empty() && s.back() >= head;
    });
    for (const auto& m : messages) ASSERT_NE(m.at("type").as_string(), "snapshot");
    expect_contiguous(event_seqs(messages), applied[static_cast<std::size_t>(i)] + 1, head);
  }
}

TEST_F(WsSession, ResumeThatCannotBeCompleteGetsASnapshot) {
  start({"--resume-max-events", "5"});
  ingest(2);
  WsClient first(port(), "/ws");
  const std::string epoch(open_by_message(first, auth_message(admin_)).at("epoch").as_string());
  const int head = ingest(10);
  auto expect_snapshot = [&](const std::string& message) {
    WsClient ws(port(), "/ws");
    ws.send(message);
    auto hello = ws.read_json();
    EXPECT_FALSE(hello.at("recovered").as_bool()) << message;
    EXPECT_EQ(hello.at("seq").as_int64(), head);
    auto snapshot = ws.read_json();
    EXPECT_EQ(snapshot.at("type").as_string(), "snapshot") << message;
    EXPECT_EQ(snapshot.at("seq").as_int64(), head);
  };
  expect_snapshot(resume_message(admin_, 2, epoch));                      // 10 missed, 5 allowed
  expect_snapshot(resume_message(admin_, head + 1, epoch));               // above the current seq
  expect_snapshot(resume_message(admin_, head - 1, "0123456789abcdef"));  // another epoch
  // Another tenant's epoch, with a seq that exists here: never trusted.
  const std::string other = dev_token(port(), "carol", "org_b");
  WsClient b(port(), "/ws");
  const std::string epoch_b(open_by_message(b, auth_message(other)).at("epoch").as_string());
  EXPECT_NE(epoch_b, epoch);
  expect_snapshot(resume_message(admin_, head - 1, epoch_b));
  EXPECT_EQ(metric(port(), R"(fleet_ws_resumes_total{outcome="snapshot"})"), "4");
}

void resume_across_restart(int signal) {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  std::string epoch;
  std::string key;
  std::int64_t last = 0;
  unsigned short port = 0;
  {
    FleetdProcess server({"--dev"}, data);
    port = server.port();
    const std::string admin = dev_token(port, "alice", "org_a");
    key = create_device(port, admin, "Truck").key;
    WsClient ws(port, "/ws");
    ws.send(auth_message(admin));
    epoch = std::string(ws.read_json().at("epoch").as_string());
    ws.read_json();
    for (int i = 0; i < 3; ++i)
      ASSERT_EQ(request(port, "POST", "/api/v1/telemetry", point_at(48.8), key).status, 202);
    last = seq_of(read_events(ws, [](const auto& e) { return e.size() >= 3; }).back());
    // Two more the viewer never sees: acknowledged, then the server goes.
    for (int i = 0; i < 2; ++i)
      ASSERT_EQ(request(port, "POST", "/api/v1/telemetry", point_at(48.9), key).status, 202);
    server.stop(signal);
  }
  FleetdProcess again({"--dev", "--listen", "127.0.0.1:" + std::to_string(port)}, data);
  ASSERT_EQ(again.port(), port);
  // The token minted before the restart still verifies: the dev issuer kept its key in the data dir.
  const std::string old_admin_like = dev_token(port, "alice", "org_a");
  WsClient ws(port, "/ws");
  ws.send(resume_message(old_admin_like, last, epoch));
  auto hello = ws.read_json();
  EXPECT_EQ(hello.at("epoch").as_string(), epoch);  // stable across restarts
  EXPECT_TRUE(hello.at("recovered").as_bool());
  auto messages = read_until(ws, [](const auto& m) { return event_seqs(m).size() >= 2; });
  expect_contiguous(event_seqs(messages), last + 1, last + 2);
  EXPECT_EQ(metric(port, R"(fleet_ws_resumes_total{outcome="store"})"), "1");
}

TEST(WsSessionRestart, ResumeAcrossASigtermRestartRecoversFromTheStore) { resume_across_restart(SIGTERM); }
TEST(WsSessionRestart, ResumeAcrossAKill9RestartRecoversFromTheStore) { resume_across_restart(SIGKILL); }

TEST(WsSessionRestart, TokensIssuedBeforeARestartStillVerify) {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  std::string token;
  unsigned short port = 0;
  {
    FleetdProcess server({"--dev"}, data);
    port = server.port();
    token = dev_token(port, "alice", "org_a");
    server.stop(SIGTERM);
  }
  FleetdProcess again({"--dev", "--listen", "127.0.0.1:" + std::to_string(port)}, data);
  WsClient ws(port, "/ws");
  ws.send(auth_message(token));
  EXPECT_EQ(ws.read_json().at("type").as_string(), "hello");
}

}  // namespace
}  // namespace fleet::testing
