#include "net/accepted_socket.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

namespace fleet::net {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

tcp::acceptor listening(asio::io_context& io, bool nodelay) {
  tcp::acceptor a(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  if (nodelay) a.set_option(tcp::no_delay(true));
  a.non_blocking(true);
  return a;
}

int nodelay_of(int fd) {
  int v = -1;
  socklen_t len = sizeof v;
  EXPECT_EQ(::getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &len), 0);
  return v;
}

TEST(AcceptedSocket, WouldBlockWhenNothingIsPending) {
  asio::io_context io;
  auto a = listening(io, true);
  int fd = -1;
  boost::system::error_code ec;
  EXPECT_EQ(accept_nonblocking(a.native_handle(), fd, ec), AcceptStatus::would_block);
}

// The listener sets TCP_NODELAY once instead of once per connection; that relies on Linux copying it.
TEST(AcceptedSocket, InheritsNodelayAndIsNonBlocking) {
  asio::io_context io;
  for (bool nodelay : {true, false}) {
    auto a = listening(io, nodelay);
    tcp::socket client(io);
    client.connect(a.local_endpoint());
    int fd = -1;
    boost::system::error_code ec;
    ASSERT_EQ(accept_nonblocking(a.native_handle(), fd, ec), AcceptStatus::accepted);
    EXPECT_EQ(nodelay_of(fd) != 0, nodelay);
    EXPECT_NE(::fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
    EXPECT_NE(::fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
    ::close(fd);
  }
}

TEST(AcceptedSocket, AdoptedSocketWorksWithAsio) {
  asio::io_context io;
  auto a = listening(io, true);
  tcp::socket client(io);
  client.connect(a.local_endpoint());
  int fd = -1;
  boost::system::error_code ec;
  ASSERT_EQ(accept_nonblocking(a.native_handle(), fd, ec), AcceptStatus::accepted);
  tcp::socket server = adopt_accepted(io, tcp::v4(), fd, ec);
  ASSERT_FALSE(ec) << ec.message();
  ASSERT_TRUE(server.is_open());

  // An asynchronous read completes once the client writes (the socket is registered with the reactor)...
  std::array<char, 5> got{};
  bool done = false;
  asio::async_read(server, asio::buffer(got), [&](boost::system::error_code e, std::size_t n) {
    EXPECT_FALSE(e) << e.message();
    EXPECT_EQ(n, got.size());
    done = true;
  });
  asio::write(client, asio::buffer(std::string_view("hello")));
  io.run();
  EXPECT_TRUE(done);
  EXPECT_EQ(std::string_view(got.data(), got.size()), "hello");

  // ...and closing it hangs up on the client (EOF), with the descriptor really released.
  server.close(ec);
  EXPECT_FALSE(ec);
  EXPECT_EQ(::fcntl(fd, F_GETFD), -1);
  std::array<char, 1> one{};
  client.read_some(asio::buffer(one), ec);
  EXPECT_EQ(ec, asio::error::eof);
}

}  // namespace
}  // namespace fleet::net
