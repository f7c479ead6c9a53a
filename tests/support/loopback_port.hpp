#pragma once
// Loopback ports for tests that need one of their own, held for as long as the test holds it: unlike a
// port that was free a moment ago, no test running in parallel can take it meanwhile.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>
#include <string>

namespace fleet::testing {

// A TCP socket bound to 127.0.0.1 on an ephemeral port, written to `port`; -1 on failure (the port is
// then unset). The caller owns the descriptor, and may listen on it.
inline int bind_loopback(unsigned short& port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (fd >= 0) ::close(fd);
    return -1;
  }
  port = ntohs(addr.sin_port);
  return fd;
}

// A port that refuses connections for as long as this object lives: bound, never listening.
class RefusingPort {
 public:
  RefusingPort() : fd_(bind_loopback(port_)) {
    if (fd_ < 0) throw std::runtime_error("cannot bind a loopback port");
  }
  ~RefusingPort() { ::close(fd_); }
  RefusingPort(const RefusingPort&) = delete;
  RefusingPort& operator=(const RefusingPort&) = delete;

  unsigned short port() const noexcept { return port_; }
  // "<scheme>://127.0.0.1:<port>"
  std::string url(const std::string& scheme = "http") const {
    return scheme + "://127.0.0.1:" + std::to_string(port_);
  }

 private:
  unsigned short port_ = 0;
  int fd_;
};

}  // namespace fleet::testing
