#include "net/listener.hpp"

#include <boost/asio/post.hpp>

#include "net/http_session.hpp"
#include "net/worker.hpp"
#include "obs/log.hpp"

namespace fleet::net {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

Result<tcp::acceptor> Listener::bind(const tcp::endpoint& endpoint, asio::io_context& io) {
  tcp::acceptor acceptor(io);
  boost::system::error_code ec;
  auto fail = [&](const char* what) {
    return make_error(ErrorCode::internal, std::string(what) + " " + endpoint.address().to_string() + ":" +
                                               std::to_string(endpoint.port()) + ": " + ec.message());
  };
  acceptor.open(endpoint.protocol(), ec);
  if (ec) return fail("cannot open socket for");
  acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) return fail("cannot set SO_REUSEADDR on");
  acceptor.bind(endpoint, ec);
  if (ec) return fail("cannot bind");
  acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("cannot listen on");
  return acceptor;
}

Listener::Listener(tcp::acceptor acceptor, std::vector<Worker*> workers, NetContext& ctx)
    : acceptor_(std::move(acceptor)), backoff_(acceptor_.get_executor()), workers_(std::move(workers)), ctx_(ctx) {}

tcp::endpoint Listener::local_endpoint() const {
  boost::system::error_code ec;
  return acceptor_.local_endpoint(ec);
}

void Listener::start() { do_accept(); }

void Listener::stop() {
  asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
    boost::system::error_code ec;
    self->acceptor_.close(ec);
    self->backoff_.cancel();
  });
}

void Listener::do_accept() {
  Worker& target = *workers_[next_++ % workers_.size()];
  acceptor_.async_accept(target.io(), [self = shared_from_this(), &target](boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !self->acceptor_.is_open()) return;
    if (ec) {
      // Typically EMFILE under a connection flood: pause briefly instead of spinning on the error.
      obs::warn("accept failed", {{"error", ec.message()}});
      self->backoff_.expires_after(std::chrono::milliseconds(50));
      self->backoff_.async_wait([self](boost::system::error_code wec) {
        if (!wec) self->do_accept();
      });
      return;
    }
    socket.set_option(tcp::no_delay(true), ec);
    // The session must start on its own worker's thread.
    asio::post(target.io(), [s = std::move(socket), &target, &ctx = self->ctx_]() mutable {
      std::make_shared<HttpSession>(std::move(s), target, ctx)->run();
    });
    self->do_accept();
  });
}

}  // namespace fleet::net
