// Limits that protect the server and the other clients: slow consumers and the connection cap.
#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <boost/json.hpp>
#include <map>
#include <optional>
#include <string>
#include <thread>

#include "fleetd_process.hpp"
#include "wire.hpp"

namespace fleet::testing {
namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string batch_of(std::size_t n, std::int64_t ts0) {
  std::string body = "[";
  for (std::size_t i = 0; i < n; ++i) {
    body +=
        std::string(i ? "," : "") + R"({"ts":)" + std::to_string(ts0 + static_cast<std::int64_t>(i)) +
        R"(,"lat":48.8566,"lon":2.3522,"speed_kph":42.5,"heading_deg":90,"attributes":{"driver":"somebody with a long name"}})";
  }
  return body + "]";
}

struct Event {
  std::int64_t seq;
  std::string device;
};

// Reads telemetry until the event with `until_seq` arrived (or the session ends / times out).
std::vector<Event> read_until(WsClient& ws, std::int64_t until_seq,
                              std::chrono::seconds timeout = std::chrono::seconds(20)) {
  auto events = read_events(
      ws, [&](const auto& got) { return !got.empty() && got.back().at("seq").as_int64() >= until_seq; },
      timeout);
  std::vector<Event> out;
  for (auto& e : events) out.push_back({e.at("seq").as_int64(), std::string(e.at("device").as_string())});
  return out;
}

class SlowConsumer : public ::testing::Test {
 protected:
  void start(std::size_t soft, std::size_t hard, int devices) {
    server_ = std::make_unique<FleetdProcess>(std::vector<std::string>{
        "--dev", "--outbox-soft-limit", std::to_string(soft), "--outbox-hard-limit", std::to_string(hard)});
    admin_ = dev_token(port(), "alice", "org_a");
    for (int i = 0; i < devices; ++i)
      devices_.push_back(create_device(port(), admin_, "truck " + std::to_string(i)));
  }
  unsigned short port() const { return server_->port(); }
  // One small batch per round, round-robin over the devices; the fast client drains after each one, so
  // its outbox never holds more than one batch. Stops when `stop` says so or after `rounds`.
  std::int64_t drive(WsClient& fast, int rounds, const std::function<bool()>& stop,
                     std::vector<Event>& fast_events, std::size_t points_per_round = 5) {
    std::int64_t last_seq = 0;
    for (int round = 0; round < rounds; ++round) {
      const auto& d = devices_[static_cast<std::size_t>(round) % devices_.size()];
      const std::int64_t ts0 = now_ms() - 60'000 + round * static_cast<std::int64_t>(points_per_round);
      auto r = request(port(), "POST", "/api/v1/telemetry", batch_of(points_per_round, ts0), d.key);
      EXPECT_EQ(r.status, 202) << r.body;
      last_seq = r.json().at("last_seq").as_int64();
      auto got = read_until(fast, last_seq);
      fast_events.insert(fast_events.end(), got.begin(), got.end());
      if (stop()) break;
    }
    return last_seq;
  }
  std::string metrics() { return request(port(), "GET", "/metrics").body; }

  std::unique_ptr<FleetdProcess> server_;
  std::string admin_;
  std::vector<NewDevice> devices_;
};

TEST_F(SlowConsumer, BacklogIsCoalescedToTheNewestPointPerDevice) {
  // Rounds of 50 points (~10 KiB) stay under the fast client's 64 KiB soft limit; the slow client's kernel
  // buffers fill (a few MiB) and then its outbox goes over.
  start(64 * 1024, 64 << 20, 3);
  WsClient slow(port(), "/ws?token=" + admin_, {}, 4096);
  WsClient fast(port(), "/ws?token=" + admin_);
  fast.read_json();
  fast.read_json();
  std::vector<Event> fast_events;
  const std::int64_t last = drive(
      fast, 3000, [&] { return metrics().find("fleet_ws_coalesced_events_total 0\n") == std::string::npos; },
      fast_events, 50);
  ASSERT_EQ(metrics().find("fleet_ws_coalesced_events_total 0\n"), std::string::npos) << "never coalesced";
  // A few more rounds so every device has points that were dropped for the slow client.
  std::vector<Event> more;
  const std::int64_t final_seq = drive(
      fast, 30, [] { return false; }, more, 50);
  fast_events.insert(fast_events.end(), more.begin(), more.end());
  ASSERT_GT(final_seq, last);

  // The fast client saw every event, in order, without gaps.
  ASSERT_EQ(static_cast<std::int64_t>(fast_events.size()), final_seq);
  for (std::size_t i = 0; i < fast_events.size(); ++i)
    ASSERT_EQ(fast_events[i].seq, static_cast<std::int64_t>(i + 1));

  // The slow client catches up: fewer events, ascending seq, and the newest point of every device. Every
  // gap is explained by the `skipped` of the frame that closes it (docs/protocol.md), so the client can
  // tell coalescing from loss.
  slow.read_json();
  ASSERT_EQ(slow.read_json().at("seq").as_int64(), 0);  // the snapshot: the stream starts after 0
  std::vector<Event> slow_events;
  std::int64_t prev = 0;
  std::int64_t skipped_total = 0;
  int frames_with_skipped = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (prev < final_seq && std::chrono::steady_clock::now() < deadline) {
    auto msg = slow.read(std::chrono::seconds(30));
    ASSERT_TRUE(msg) << "closed " << slow.close_code();
    auto frame = boost::json::parse(*msg).as_object();
    if (frame.at("type").as_string() != "telemetry") continue;
    const auto& events = frame.at("events").as_array();
    ASSERT_FALSE(events.empty());
    const std::int64_t skipped = frame.contains("skipped") ? frame.at("skipped").as_int64() : 0;
    if (skipped > 0) ++frames_with_skipped;
    const std::int64_t last_seq = events.back().at("seq").as_int64();
    ASSERT_GT(events.front().at("seq").as_int64(), prev);
    ASSERT_EQ(last_seq - prev, static_cast<std::int64_t>(events.size()) + skipped) << *msg;
    for (const auto& e : events) {
      slow_events.push_back({e.at("seq").as_int64(), std::string(e.at("device").as_string())});
    }
    skipped_total += skipped;
    prev = last_seq;
  }
  ASSERT_FALSE(slow_events.empty());
  EXPECT_GT(frames_with_skipped, 0);
  EXPECT_EQ(static_cast<std::int64_t>(slow_events.size()) + skipped_total, final_seq);
  EXPECT_EQ(slow_events.back().seq, final_seq);
  EXPECT_LT(slow_events.size(), fast_events.size());
  for (std::size_t i = 1; i < slow_events.size(); ++i) ASSERT_LT(slow_events[i - 1].seq, slow_events[i].seq);
  std::map<std::string, std::int64_t> newest_fast, newest_slow;
  for (auto& e : fast_events) newest_fast[e.device] = e.seq;
  for (auto& e : slow_events) newest_slow[e.device] = e.seq;
  EXPECT_EQ(newest_slow, newest_fast);
  EXPECT_EQ(slow.close_code(), 0);  // still connected
}

TEST_F(SlowConsumer, IsClosedWith1013WhenEvenTheCoalescedBacklogIsTooBig) {
  // 40 devices x ~200-byte events cannot fit in 4 KiB, so coalescing cannot save this client.
  start(2048, 4096, 40);
  WsClient slow(port(), "/ws?token=" + admin_, {}, 4096);
  WsClient fast(port(), "/ws?token=" + admin_);
  fast.read_json();
  fast.read_json();
  std::vector<Event> fast_events;
  const std::int64_t last = drive(
      fast, 3000, [&] { return metrics().find("fleet_ws_slow_consumers_total 1\n") != std::string::npos; },
      fast_events);
  ASSERT_NE(metrics().find("fleet_ws_slow_consumers_total 1\n"), std::string::npos) << "never overflowed";
  // The close frame waits behind the stuck write: it arrives once the client reads again.
  EXPECT_EQ(slow.wait_close(std::chrono::seconds(30)), 1013);
  EXPECT_EQ(slow.close_reason(), "Slow consumer");
  // The healthy client lost nothing.
  EXPECT_EQ(static_cast<std::int64_t>(fast_events.size()), last);
  EXPECT_EQ(fast.close_code(), 0);
}

TEST(Limits, ConnectionsOverTheCapAreClosedServerBusy) {
  FleetdProcess server({"--dev", "--max-connections", "2"});
  const std::string token = dev_token(server.port(), "alice", "org_a");
  WsClient a(server.port(), "/ws?token=" + token);
  WsClient b(server.port(), "/ws?token=" + token);
  EXPECT_EQ(a.read_json().at("type").as_string(), "hello");
  EXPECT_EQ(b.read_json().at("type").as_string(), "hello");
  WsClient c(server.port(), "/ws?token=" + token);
  EXPECT_EQ(c.wait_close(), 1013);
  EXPECT_EQ(c.close_reason(), "Server busy");
  a.close();
  // The slot frees once the first session is gone.
  std::optional<std::string> first;
  EXPECT_TRUE(eventually([&] {
    WsClient d(server.port(), "/ws?token=" + token);
    first = d.read();
    return first.has_value();
  })) << "slot never freed";
  if (first) {
    EXPECT_NE(first->find("hello"), std::string::npos);
  }
}

TEST(Limits, HttpErrorsAreJson) {
  FleetdProcess server;
  auto missing = request(server.port(), "GET", "/api/v1/nothing");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.json().at("error").at("code").as_string(), "not_found");
  auto method = request(server.port(), "PUT", "/api/v1/devices");
  EXPECT_EQ(method.status, 405);
  EXPECT_EQ(method.json().at("error").at("code").as_string(), "method_not_allowed");
  auto no_upgrade = request(server.port(), "GET", "/ws?token=x");
  EXPECT_EQ(no_upgrade.status, 400);
  auto dev_bad = request(server.port(), "POST", "/dev/token", R"({"user":""})");
  EXPECT_EQ(dev_bad.status, 400);
  EXPECT_EQ(dev_bad.json().at("error").at("field").as_string(), "user");
}

}  // namespace
}  // namespace fleet::testing

namespace fleet::testing {
namespace {

TEST(Timeouts, SilentHttpConnectionsAreClosed) {
  FleetdProcess server({"--dev", "--http-timeout", "300"});
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), server.port()});
  const std::string partial = "GET /healthz HTTP/1.1\r\nHost: x\r\n";  // never finished
  boost::asio::write(socket, boost::asio::buffer(partial));
  const auto start = std::chrono::steady_clock::now();
  char buf[64];
  boost::system::error_code ec;
  socket.read_some(boost::asio::buffer(buf), ec);  // blocks until the server gives up on us
  EXPECT_TRUE(ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset) << ec.message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(Timeouts, ClientsThatStopAnsweringPingsAreDropped) {
  FleetdProcess server({"--dev", "--ws-idle-timeout", "1000"});
  WsClient ws(server.port(), "/ws?token=" + dev_token(server.port(), "alice", "org_a"));
  ws.read_json();
  ws.read_json();
  // Not reading means not answering the server's pings: the session goes after about a second.
  EXPECT_TRUE(eventually([&] { return metric(server.port(), "fleet_ws_connections") == "0"; }));
  EXPECT_NE(ws.wait_close(std::chrono::seconds(20)), 0);
}

TEST(Timeouts, ResponsiveIdleClientsStayConnected) {
  FleetdProcess server({"--dev", "--ws-idle-timeout", "2000"});
  WsClient ws(server.port(), "/ws?token=" + dev_token(server.port(), "alice", "org_a"));
  ws.read_json();
  ws.read_json();
  // Reading answers pings (Beast replies to them inside read; the server pings after 1 s of silence and
  // gives up at 2 s). No message arrives, so the read runs for 7 s; for 5 s of it, 2.5 idle timeouts, the
  // session must be there at every look. Time passing is what is tested here: holds_for fails at the first
  // look that finds it gone.
  std::thread probe([&] {
    EXPECT_TRUE(holds_for([&] { return metric(server.port(), "fleet_ws_connections") == "1"; },
                          std::chrono::milliseconds(5000), std::chrono::milliseconds(100)));
  });
  ws.read(std::chrono::milliseconds(7000));
  probe.join();
  EXPECT_EQ(ws.close_code(), 0);
}

}  // namespace
}  // namespace fleet::testing
