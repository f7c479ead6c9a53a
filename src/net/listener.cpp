#include "net/listener.hpp"

#include <sys/socket.h>
#include <unistd.h>
#include <boost/asio/detail/socket_option.hpp>
#include <boost/asio/post.hpp>

#include "net/accepted_socket.hpp"
#include "net/http_session.hpp"
#include "net/worker.hpp"
#include "obs/log.hpp"

namespace fleet::net {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

namespace {

// What a connection refused at accept reads (docs/protocol.md, "HTTP edge"): a whole answer with the
// error body every endpoint uses, made once, so writing it needs no session.
std::string refusal_response(std::string_view message) {
  const std::string body = R"({"error":{"code":"unavailable","message":")" + std::string(message) + R"("}})";
  return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
         "Connection: close\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::string_view refusal_for(ConnectionRefusal why) {
  static const std::string per_address = refusal_response("too many connections from this address");
  static const std::string total = refusal_response("too many connections");
  return why == ConnectionRefusal::per_address ? per_address : total;
}

Result<tcp::acceptor> bind_one(const tcp::endpoint& endpoint, asio::io_context& io, bool reuse_port) {
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
  if (reuse_port) {
    acceptor.set_option(ReusePort(true), ec);
    if (ec) return fail("cannot set SO_REUSEPORT on");
  }
  acceptor.bind(endpoint, ec);
  if (ec) return fail("cannot bind");
  if (!reuse_port) return acceptor;
  // Linux copies TCP_NODELAY to every socket accepted from this one (tests/unit/net/accepted_socket_test
  // checks it): set once here instead of once per connection.
  acceptor.set_option(tcp::no_delay(true), ec);
  if (ec) return fail("cannot set TCP_NODELAY on");
  // Listener::accept_pending calls accept4 itself until EAGAIN: a blocking listener would park the worker.
  acceptor.non_blocking(true, ec);
  if (ec) return fail("cannot make non-blocking the socket of");
  acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("cannot listen on");
  return acceptor;
}

}  // namespace

Result<std::vector<tcp::acceptor>> Listener::bind(const tcp::endpoint& endpoint,
                                                  const std::vector<Worker*>& workers) {
  if (workers.empty()) return make_error(ErrorCode::internal, "no worker to listen on");
  // SO_REUSEPORT would also let a second fleetd, started by mistake on the same port, share it silently.
  // A plain bind first fails with "address in use" as it should (and picks the port when asked for 0).
  tcp::endpoint at = endpoint;
  {
    auto probe = bind_one(endpoint, workers.front()->io(), false);
    if (!probe) return probe.error();
    boost::system::error_code ec;
    at = probe->local_endpoint(ec);
    if (ec) return make_error(ErrorCode::internal, "cannot read the bound address: " + ec.message());
  }
  std::vector<tcp::acceptor> acceptors;
  for (Worker* w : workers) {
    auto a = bind_one(at, w->io(), true);
    if (!a) return a.error();
    acceptors.push_back(std::move(*a));
  }
  return acceptors;
}

Listener::Acceptor::Acceptor(tcp::acceptor s, Worker& w)
    : socket(std::move(s)), backoff(w.io()), worker(w), protocol(tcp::v4()) {
  boost::system::error_code ec;
  const tcp::endpoint at = socket.local_endpoint(ec);
  if (!ec) protocol = at.protocol();
}

Listener::Listener(std::vector<tcp::acceptor> acceptors, const std::vector<Worker*>& workers, NetContext& ctx)
    : ctx_(ctx) {
  for (std::size_t i = 0; i < acceptors.size() && i < workers.size(); ++i) {
    acceptors_.push_back(std::make_unique<Acceptor>(std::move(acceptors[i]), *workers[i]));
  }
}

tcp::endpoint Listener::local_endpoint() const {
  boost::system::error_code ec;
  return acceptors_.empty() ? tcp::endpoint{} : acceptors_.front()->socket.local_endpoint(ec);
}

void Listener::start() {
  for (auto& a : acceptors_) {
    asio::post(a->worker.io(), [self = shared_from_this(), &acc = *a] { self->accept_pending(acc); });
  }
}

void Listener::stop() {
  for (auto& a : acceptors_) {
    asio::post(a->worker.io(), [self = shared_from_this(), &acc = *a] {
      boost::system::error_code ec;
      acc.socket.close(ec);
      acc.backoff.cancel();
    });
  }
}

void Listener::wait_acceptable(Acceptor& a) {
  a.socket.async_wait(tcp::acceptor::wait_read,
                      [self = shared_from_this(), &a](boost::system::error_code ec) {
                        if (ec == asio::error::operation_aborted || !a.socket.is_open()) return;
                        if (ec) {
                          obs::warn("accept wait failed", {{"error", ec.message()}});
                          return self->back_off(a);
                        }
                        self->accept_pending(a);
                      });
}

void Listener::accept_pending(Acceptor& a) {
  // Enough to drain a burst in one go, few enough that a flood of connects cannot starve live sessions.
  constexpr int kAcceptBatch = 64;
  if (!a.socket.is_open()) return;
  for (int i = 0; i < kAcceptBatch; ++i) {
    int fd = -1;
    boost::system::error_code ec;
    switch (accept_nonblocking(a.socket.native_handle(), fd, ec)) {
      case AcceptStatus::would_block:
        // Drained: Asio's reactor is edge-triggered, so waiting is safe only now.
        return wait_acceptable(a);
      case AcceptStatus::skip: continue;
      case AcceptStatus::failed:
        // Typically EMFILE under a connection flood: pause briefly instead of spinning on the error.
        obs::warn("accept failed", {{"error", ec.message()}});
        return back_off(a);
      case AcceptStatus::accepted: {
        const auto peer = peer_address(fd);
        if (!peer) {  // gone already
          ::close(fd);
          continue;
        }
        ConnectionSlot slot = ctx_.connections.try_acquire(*peer);
        if (!slot.held()) {
          refuse_accepted(fd, refusal_for(slot.refusal()));
          continue;
        }
        tcp::socket socket = adopt_accepted(a.worker.io(), a.protocol, fd, ec);
        if (ec) {
          obs::warn("cannot register accepted socket", {{"error", ec.message()}});
          return back_off(a);
        }
        // Accepted on the worker that owns it: the session starts right here, on its own thread.
        std::make_shared<HttpSession>(std::move(socket), a.worker, ctx_, std::move(slot))->run();
        break;
      }
    }
  }
  // The batch is full and more may be pending; no new edge would wake a wait for those.
  asio::post(a.worker.io(), [self = shared_from_this(), &a] { self->accept_pending(a); });
}

void Listener::back_off(Acceptor& a) {
  a.backoff.expires_after(std::chrono::milliseconds(50));
  a.backoff.async_wait([self = shared_from_this(), &a](boost::system::error_code ec) {
    if (!ec) self->accept_pending(a);
  });
}

}  // namespace fleet::net
