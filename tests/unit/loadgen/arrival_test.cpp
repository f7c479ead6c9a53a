// Kernel receive stamps: the arrival time the benchmark judges delivery latency by must come from the
// socket, not from when the load generator got round to reading it.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <thread>

#include "clock.hpp"
#include "net.hpp"

namespace loadgen {
namespace {

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// A connected loopback TCP pair.
void connect_pair(Fd& client, Fd& server) {
  Fd listener;
  listener.fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener.fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener.fd, 1), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(listener.fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  client.fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_EQ(::connect(client.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  server.fd = ::accept(listener.fd, nullptr, nullptr);
  ASSERT_GE(server.fd, 0);
}

std::int64_t read_with_stamp(int fd, std::int64_t& now, bool* stamped = nullptr) {
  char buf[64];
  const StampedRead r = recv_stamped(fd, buf);
  EXPECT_GT(r.n, 0);
  now = r.read_us;
  if (stamped) *stamped = r.stamped;
  return r.arrival_us;
}

// The kernel turns stamping on for the whole stack asynchronously after the first socket asks for it,
// so the very first segments may come unstamped: ping until one is stamped.
void wait_until_stamped(int reader, int writer) {
  for (int i = 0; i < 2'000; ++i) {
    ASSERT_EQ(::send(writer, "w", 1, 0), 1);
    std::int64_t now = 0;
    bool stamped = false;
    read_with_stamp(reader, now, &stamped);
    if (stamped) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  FAIL() << "no receive time stamp after 2,000 pings";
}

TEST(Arrival, DatesBytesWhenTheyArrivedNotWhenTheyWereRead) {
  Fd client, server;
  connect_pair(client, server);
  enable_receive_timestamps(client.fd);
  wait_until_stamped(client.fd, server.fd);
  const std::int64_t sent = mono_us();
  ASSERT_EQ(::send(server.fd, "x", 1, 0), 1);
  // The reader is late. Time passing is what this test is about: the stamp comes from the kernel's
  // clock, which no test can move.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::int64_t now = 0;
  const std::int64_t arrived = read_with_stamp(client.fd, now);
  EXPECT_GE(now - arrived, 40'000);  // the 50 ms the bytes waited are not counted as delivery time
  EXPECT_GE(arrived, sent - 2'000);  // and the stamp is no earlier than the send (2 ms for clock steps)
  EXPECT_LE(arrived, now);
}

TEST(Arrival, WithoutStampsIsTheReadTime) {
  Fd client, server;
  connect_pair(client, server);
  ASSERT_EQ(::send(server.fd, "x", 1, 0), 1);
  std::int64_t now = 0;  // the read blocks until the byte is there
  EXPECT_EQ(read_with_stamp(client.fd, now), now);
}

}  // namespace
}  // namespace loadgen
