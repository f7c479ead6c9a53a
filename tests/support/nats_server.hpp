#pragma once
// A nats-server of the test's own on a loopback port, for tests of the cluster bus against the real thing
// (tests/unit/cluster, tests/integration): start, stop, kill -9, SIGSTOP / SIGCONT, and restart on the
// same port so that clients reconnect to it.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>
#include <string>

#include "eventually.hpp"
#include "loopback_port.hpp"

namespace fleet::testing {

class NatsServer {
 public:
  static constexpr const char* kBinary = "/usr/sbin/nats-server";

  // Starts the server on a free loopback port and waits until it answers. Throws if it cannot.
  NatsServer() {
    const int fd = bind_loopback(port_);  // picks a port; released just before the server binds it
    if (fd < 0) throw std::runtime_error("cannot pick a loopback port");
    ::close(fd);
    start();
  }
  ~NatsServer() { kill9(); }
  NatsServer(const NatsServer&) = delete;
  NatsServer& operator=(const NatsServer&) = delete;

  unsigned short port() const noexcept { return port_; }
  std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }
  bool running() const noexcept { return pid_ > 0; }

  // Starts the server (again) on its port and waits until it sends its INFO greeting.
  void start() {
    if (pid_ > 0) return;
    const std::string port = std::to_string(port_);
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      const int null = ::open("/dev/null", O_WRONLY);  // its log would drown the test's output
      if (null >= 0) {
        ::dup2(null, STDOUT_FILENO);
        ::dup2(null, STDERR_FILENO);
      }
      ::execl(kBinary, kBinary, "-a", "127.0.0.1", "-p", port.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    if (!eventually([&] { return greets(); }, std::chrono::seconds(20), std::chrono::milliseconds(20))) {
      kill9();
      throw std::runtime_error("nats-server did not start on port " + port);
    }
  }
  // SIGTERM, and waits for it to exit.
  void stop() { end(SIGTERM); }
  // SIGKILL, and reaps it: no goodbye to its clients.
  void kill9() { end(SIGKILL); }
  // Freezes it: its sockets stay open, nothing is read or written (a hung server, a dead link).
  void sigstop() const {
    if (pid_ > 0) ::kill(pid_, SIGSTOP);
  }
  void sigcont() const {
    if (pid_ > 0) ::kill(pid_, SIGCONT);
  }
  void restart() {
    stop();
    start();
  }

 private:
  void end(int sig) {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGCONT);  // a stopped process would not act on SIGTERM
    ::kill(pid_, sig);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  // Whether a connection to the port gets the server's "INFO" line (a listening but frozen server does not).
  bool greets() const {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    timeval tv{0, 200'000};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port_);
    char buf[4] = {};
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
                    ::recv(fd, buf, sizeof buf, MSG_WAITALL) == 4 && std::memcmp(buf, "INFO", 4) == 0;
    ::close(fd);
    return ok;
  }

  unsigned short port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace fleet::testing
