#pragma once
// Accepts TCP connections with one listening socket per worker, all bound to the same port with
// SO_REUSEPORT: the kernel spreads incoming connections over the workers, and each connection is accepted
// on the thread that serves it for life (no hand-off between threads per connection). Each worker waits
// for its listening socket to be readable, then takes what is pending with accept4 (net/accepted_socket):
// new sockets are born non-blocking and inherit TCP_NODELAY from the listener, so a connection costs one
// accept and no per-socket ioctl or setsockopt.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <vector>

#include "core/result.hpp"
#include "net/net_context.hpp"

namespace fleet::net {

class Worker;

class Listener final : public std::enable_shared_from_this<Listener> {
 public:
  // Binds and listens on `endpoint` once per worker, each socket on its worker's io_context (the first
  // one picks the port when `endpoint` asks for port 0; the others join it). SO_REUSEPORT only lets
  // sockets of the same user join the port. Accepting starts with start().
  static Result<std::vector<boost::asio::ip::tcp::acceptor>> bind(
      const boost::asio::ip::tcp::endpoint& endpoint, const std::vector<Worker*>& workers);

  // acceptors[i] must belong to workers[i]'s io_context (as bind() returns them).
  Listener(std::vector<boost::asio::ip::tcp::acceptor> acceptors, const std::vector<Worker*>& workers,
           NetContext& ctx);
  // The bound endpoint (with the real port when asked for port 0).
  boost::asio::ip::tcp::endpoint local_endpoint() const;
  void start();
  // Stops accepting; existing connections are unaffected. Thread-safe (posts to each accept loop).
  void stop();

 private:
  struct Acceptor {
    Acceptor(boost::asio::ip::tcp::acceptor s, Worker& w);
    boost::asio::ip::tcp::acceptor socket;
    boost::asio::steady_timer backoff;
    Worker& worker;
    boost::asio::ip::tcp protocol;
  };
  // Waits until `a` has connections pending, then accepts them.
  void wait_acceptable(Acceptor& a);
  // Accepts up to kAcceptBatch connections, starting a session for each; then waits again (or, with more
  // possibly pending, continues on a later turn so the worker's other sessions get to run).
  void accept_pending(Acceptor& a);
  void back_off(Acceptor& a);

  std::vector<std::unique_ptr<Acceptor>> acceptors_;
  NetContext& ctx_;
};

}  // namespace fleet::net
