// The cluster benchmark gives the load generator every node (--url A,B): the list must parse, and the
// ingest driver must post to all of them, or the "both nodes" figures would measure one node.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "eventually.hpp"
#include "ingest_driver.hpp"
#include "net.hpp"

namespace loadgen {
namespace {

TEST(ParseEndpoints, ReadsEveryNodeOfACommaSeparatedList) {
  const auto eps = parse_endpoints("http://127.0.0.1:8001,127.0.0.1:8002");
  ASSERT_EQ(eps.size(), 2U);
  EXPECT_EQ(eps[0].host_header, "127.0.0.1:8001");
  EXPECT_EQ(ntohs(eps[1].addr.sin_port), 8002);
  EXPECT_EQ(parse_endpoints("http://127.0.0.1:9").size(), 1U);
}

TEST(ParseEndpoints, RejectsAnEmptyListOrABadMember) {
  EXPECT_THROW(parse_endpoints(""), std::invalid_argument);
  EXPECT_THROW(parse_endpoints("http://127.0.0.1:8001,nohost"), std::invalid_argument);
}

// A listening socket on an ephemeral loopback port: the kernel completes connects without accept().
class Listener {
 public:
  Listener() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), len) != 0 || ::listen(fd_, 64) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      throw std::runtime_error("cannot listen on loopback");
    }
    port_ = ntohs(a.sin_port);
  }
  ~Listener() { ::close(fd_); }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int accept_all() const {  // connections waiting in the backlog
    int n = 0;
    for (int c; (c = ::accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK)) >= 0; ++n) ::close(c);
    return n;
  }

 private:
  int fd_;
  unsigned port_ = 0;
};

TEST(IngestDriver, SpreadsItsConnectionsOverEveryNode) {
  Listener a, b;
  const SourceAddresses sources(1);
  IngestDriver driver(parse_endpoints(a.url() + "," + b.url()), sources, {DeviceKey{0, "fk_test", {}}}, 1, 4,
                      1);
  driver.start();  // returns once every connection is up on the client's side
  // The listener's side sees each handshake complete a moment later.
  int at_a = 0, at_b = 0;
  EXPECT_TRUE(fleet::testing::eventually([&] {
    at_a += a.accept_all();
    at_b += b.accept_all();
    return at_a + at_b >= 4;
  }));
  EXPECT_EQ(at_a, 2);
  EXPECT_EQ(at_b, 2);
}

}  // namespace
}  // namespace loadgen
