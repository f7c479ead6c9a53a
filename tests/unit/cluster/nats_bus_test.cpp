#include "cluster/nats_bus.hpp"

#include <gtest/gtest.h>

#include <mutex>
#include <thread>
#include <vector>

#include "cluster/cluster_metrics.hpp"
#include "eventually.hpp"
#include "loopback_port.hpp"
#include "nats_server.hpp"

namespace fleet::cluster {
namespace {

using testing::eventually;

// What one bus's handler received.
struct Inbox {
  std::mutex mu;
  std::vector<std::pair<std::string, std::string>> got;

  Bus::Handler handler() {
    return [this](std::string_view subject, std::string_view payload) {
      std::lock_guard lock(mu);
      got.emplace_back(subject, payload);
    };
  }
  bool has_payload_starting(const std::string& prefix) {
    std::lock_guard lock(mu);
    for (const auto& [subject, payload] : got) {
      if (payload.rfind(prefix, 0) == 0) return true;
    }
    return false;
  }
};

std::unique_ptr<NatsBus> connect(const std::string& url, const std::string& name,
                                 NatsBusOptions options = {}) {
  auto bus = NatsBus::connect(url, name, options);
  if (!bus) throw std::runtime_error(bus.error().message);
  return std::move(*bus);
}

// Publishes `tag`-numbered messages from `from` until `to` has one: a message sent while a subscription
// is still being restored after a reconnect is lost by design (at most once).
bool exchange(NatsBus& from, Inbox& to, const std::string& tag) {
  int n = 0;
  return eventually(
      [&] {
        from.publish("fleet.v1.org_a", tag + std::to_string(n++));
        return to.has_payload_starting(tag);
      },
      std::chrono::seconds(30), std::chrono::milliseconds(50));
}

TEST(NatsBus, RefusesAUrlThatIsNotNats) {
  auto bus = NatsBus::connect("http://127.0.0.1:4222", "t");
  ASSERT_FALSE(bus);
  EXPECT_EQ(bus.error().code, ErrorCode::unavailable);
  EXPECT_NE(bus.error().message.find("nats://"), std::string::npos) << bus.error().message;
}

TEST(NatsBus, NamesAnUnreachableServerWithoutItsPassword) {
  testing::RefusingPort refusing;
  const std::string url = "nats://fleet:s3cret-pw@127.0.0.1:" + std::to_string(refusing.port());
  auto bus = NatsBus::connect(url, "t");
  ASSERT_FALSE(bus);
  const std::string& msg = bus.error().message;
  EXPECT_NE(msg.find("127.0.0.1:" + std::to_string(refusing.port())), std::string::npos) << msg;
  EXPECT_EQ(msg.find("s3cret"), std::string::npos) << msg;
}

TEST(NatsBus, RedactsCredentialsOfEveryAddress) {
  EXPECT_EQ(redact_bus_url("nats://u:p@a:1,nats://tok@b:2,nats://c:3"), "nats://a:1,nats://b:2,nats://c:3");
}

TEST(NatsBus, TwoNodesExchangeAndSurviveAFrozenAndARestartedServer) {
  testing::NatsServer server;
  Inbox at_a;  // before the buses: their handlers write here until the buses are gone
  Inbox at_b;
  auto a = connect(server.url(), "node-a");
  auto b = connect(server.url(), "node-b");
  a->subscribe(at_a.handler());
  b->subscribe(at_b.handler());
  EXPECT_TRUE(a->connected());
  ClusterMetrics& m = ClusterMetrics::get();
  EXPECT_EQ(m.bus_connected.value(), 1);

  ASSERT_TRUE(exchange(*a, at_b, "one-"));
  ASSERT_TRUE(exchange(*b, at_a, "two-"));
  {
    std::lock_guard lock(at_a.mu);
    for (const auto& [subject, payload] : at_a.got) {
      EXPECT_EQ(subject, "fleet.v1.org_a");
      EXPECT_NE(payload.rfind("one-", 0), 0u) << "no echo of a node's own messages";
    }
  }

  // A frozen server (SIGSTOP ~2 s): publishing never blocks the caller meanwhile.
  server.sigstop();
  const auto frozen_at = std::chrono::steady_clock::now();
  int published = 0;
  while (std::chrono::steady_clock::now() - frozen_at < std::chrono::seconds(2)) {
    a->publish("fleet.v1.org_a", "frozen-" + std::to_string(published++));
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  server.sigcont();
  EXPECT_TRUE(exchange(*a, at_b, "after-stop-a-"));
  EXPECT_TRUE(exchange(*b, at_a, "after-stop-b-"));

  // kill -9 and a restart on the same port: both reconnect and resubscribe on their own.
  const auto reconnects = m.bus_reconnects.value();
  server.kill9();
  ASSERT_TRUE(eventually([&] { return !a->connected() && !b->connected(); }));
  EXPECT_TRUE(eventually([&] { return m.bus_connected.value() == 0; }));  // set by libnats' callback thread
  server.start();
  ASSERT_TRUE(eventually([&] { return a->connected() && b->connected(); }));
  EXPECT_TRUE(eventually([&] { return m.bus_reconnects.value() >= reconnects + 2; }));
  EXPECT_TRUE(eventually([&] { return m.bus_connected.value() == 1; }));
  EXPECT_TRUE(exchange(*a, at_b, "after-restart-a-"));
  EXPECT_TRUE(exchange(*b, at_a, "after-restart-b-"));
}

TEST(NatsBus, PublishDropsRatherThanWaitForAFrozenServer) {
  testing::NatsServer server;
  auto bus = connect(server.url(), "node-a", NatsBusOptions{.max_send_queue = 64, .max_send_bytes = 1 << 20});
  server.sigstop();
  // 128 MiB: far more than the socket, libnats' buffers and the send queue hold. Each publish returns at
  // once; what does not fit is dropped and counted (the probe repairs it in a cluster).
  const std::string payload(64 << 10, 'x');
  const auto dropped = ClusterMetrics::get().bus_publish_dropped.value();
  for (int k = 0; k < 2048; ++k) bus->publish("fleet.v1.org_a", payload);
  EXPECT_GT(bus->send_dropped(), 0u);
  EXPECT_GT(ClusterMetrics::get().bus_publish_dropped.value(), dropped);
  server.sigcont();
}

}  // namespace
}  // namespace fleet::cluster
