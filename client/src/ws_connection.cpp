#include "ws_connection.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <deque>
#include <type_traits>

#include "proto/message_decode.hpp"
#include "tls_sni.hpp"

namespace fleet::detail {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using beast::error_code;

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

template <class NextLayer>
class WsSession final : public WsConnection, public std::enable_shared_from_this<WsSession<NextLayer>> {
  static constexpr bool kTls = std::is_same_v<NextLayer, TlsStream>;

 public:
  WsSession(asio::io_context& ioc, asio::ssl::context* tls_context, WsTimeouts timeouts, WsEvents events)
      : resolver_(ioc), ws_(make_stream(ioc, tls_context)), timeouts_(timeouts), events_(std::move(events)) {}

  void start(const Endpoint& ep, std::string target) override {
    ep_ = ep;
    target_ = std::move(target);
    resolver_.async_resolve(
        ep_.host, ep_.port,
        [self = this->shared_from_this()](error_code ec, tcp::resolver::results_type results) {
          self->on_resolve(ec, std::move(results));
        });
  }

  void send_text(std::string text) override {
    if (!open_ || closing_ || ended_) return;
    outbox_.push_back(std::move(text));
    if (!writing_) do_write();
  }

  void close() override {
    if (ended_ || closing_) return;
    closing_ = true;
    if (!open_) {
      // Still resolving or handshaking: abort; the pending operation completes with operation_aborted.
      resolver_.cancel();
      error_code ignored;
      beast::get_lowest_layer(ws_).socket().close(ignored);
      return;
    }
    ws_.async_close(websocket::close_code::normal, [self = this->shared_from_this()](error_code ec) {
      // The read loop sees the close handshake finish; after a failed close the socket must go too.
      if (ec) self->abort_socket();
    });
  }

 private:
  static websocket::stream<NextLayer> make_stream(asio::io_context& ioc, asio::ssl::context* tls_context) {
    if constexpr (kTls) {
      return websocket::stream<NextLayer>(ioc, *tls_context);
    } else {
      (void)tls_context;
      return websocket::stream<NextLayer>(ioc);
    }
  }

  void on_resolve(error_code ec, tcp::resolver::results_type results) {
    if (ec) return finish(ec, "resolve");
    if (closing_) return finish(asio::error::operation_aborted, "resolve");
    beast::get_lowest_layer(ws_).expires_after(timeouts_.handshake);
    beast::get_lowest_layer(ws_).async_connect(
        results,
        [self = this->shared_from_this()](error_code e, const tcp::endpoint&) { self->on_connect(e); });
  }

  void on_connect(error_code ec) {
    if (ec) return finish(ec, "connect");
    if constexpr (kTls) {
      auto& tls = ws_.next_layer();
      error_code addr_ec;
      asio::ip::make_address(ep_.host, addr_ec);
      // SNI is for names only (RFC 6066); verification covers both names and IP literals.
      if (addr_ec && !set_sni(tls.native_handle(), ep_.host)) {
        return finish(error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category()),
                      "tls sni");
      }
      tls.set_verify_mode(asio::ssl::verify_peer);
      tls.set_verify_callback(asio::ssl::host_name_verification(ep_.host));
      tls.async_handshake(asio::ssl::stream_base::client,
                          [self = this->shared_from_this()](error_code e) { self->on_tls_handshake(e); });
    } else {
      on_tls_handshake({});
    }
  }

  void on_tls_handshake(error_code ec) {
    if (ec) return finish(ec, "tls handshake");
    // From here the websocket stream's own timeouts apply (handshake, idle with keep-alive pings).
    beast::get_lowest_layer(ws_).expires_never();
    websocket::stream_base::timeout t{};
    t.handshake_timeout = timeouts_.handshake;
    t.idle_timeout = timeouts_.idle;
    t.keep_alive_pings = true;
    ws_.set_option(t);
    ws_.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
      req.set(beast::http::field::user_agent, "fleet-client/" FLEET_VERSION);
    }));
    ws_.read_message_max(proto::kMaxServerMessageBytes);
    ws_.async_handshake(ep_.host_header(), target_,
                        [self = this->shared_from_this()](error_code e) { self->on_handshake(e); });
  }

  void on_handshake(error_code ec) {
    if (ec) return finish(ec, "websocket handshake");
    if (closing_) return finish(asio::error::operation_aborted, "websocket handshake");
    open_ = true;
    if (events_.on_open) events_.on_open();
    do_read();
  }

  void do_read() {
    ws_.async_read(buffer_,
                   [self = this->shared_from_this()](error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(error_code ec) {
    if (ec) return finish(ec, "read");
    // Binary frames are not part of protocol 1; a text-only client ignores them.
    if (ws_.got_text() && events_.on_text) events_.on_text(beast::buffers_to_string(buffer_.data()));
    buffer_.consume(buffer_.size());
    if (!ended_) do_read();
  }

  void do_write() {
    writing_ = true;
    ws_.text(true);
    ws_.async_write(asio::buffer(outbox_.front()),
                    [self = this->shared_from_this()](error_code ec, std::size_t) {
                      self->writing_ = false;
                      if (ec) return self->abort_socket();  // the pending read reports the failure
                      self->outbox_.pop_front();
                      if (!self->outbox_.empty() && !self->closing_) self->do_write();
                    });
  }

  void abort_socket() {
    error_code ignored;
    beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(ws_).socket().close(ignored);
  }

  void finish(error_code ec, std::string_view stage) {
    if (ended_) return;
    ended_ = true;
    std::uint16_t code = 1006;
    std::string reason;
    if (ec == websocket::error::closed) {
      code = ws_.reason().code;
      reason.assign(ws_.reason().reason.data(), ws_.reason().reason.size());
    } else if (closing_) {
      code = 1000;
      reason = "Normal closure";
    } else {
      reason = std::string(stage) + ": " + ec.message();
    }
    abort_socket();
    if (events_.on_end) events_.on_end(code, std::move(reason));
  }

  tcp::resolver resolver_;
  websocket::stream<NextLayer> ws_;
  WsTimeouts timeouts_;
  WsEvents events_;
  Endpoint ep_;
  std::string target_;
  beast::flat_buffer buffer_;
  std::deque<std::string> outbox_;
  bool open_ = false;
  bool closing_ = false;
  bool ended_ = false;
  bool writing_ = false;
};

}  // namespace

std::shared_ptr<WsConnection> make_ws_connection(asio::io_context& ioc, asio::ssl::context* tls_context,
                                                 bool tls, WsTimeouts timeouts, WsEvents events) {
  if (tls) return std::make_shared<WsSession<TlsStream>>(ioc, tls_context, timeouts, std::move(events));
  return std::make_shared<WsSession<PlainStream>>(ioc, tls_context, timeouts, std::move(events));
}

}  // namespace fleet::detail
