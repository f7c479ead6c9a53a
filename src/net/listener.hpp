#pragma once
// Accepts TCP connections and spreads them round-robin over the workers: each accepted socket is created
// on its worker's io_context and lives there for good.
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
  // Binds and listens on `endpoint`; accepting starts with start() on the acceptor's io_context.
  static Result<boost::asio::ip::tcp::acceptor> bind(const boost::asio::ip::tcp::endpoint& endpoint,
                                                     boost::asio::io_context& io);

  Listener(boost::asio::ip::tcp::acceptor acceptor, std::vector<Worker*> workers, NetContext& ctx);
  // The bound endpoint (with the real port when asked for port 0).
  boost::asio::ip::tcp::endpoint local_endpoint() const;
  void start();
  // Stops accepting; existing connections are unaffected. Thread-safe (posts to the accept loop).
  void stop();

 private:
  void do_accept();

  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer backoff_;
  std::vector<Worker*> workers_;
  NetContext& ctx_;
  std::size_t next_ = 0;
};

}  // namespace fleet::net
