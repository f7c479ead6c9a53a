#include "test_tls_server.hpp"

#include <openssl/ssl.h>

#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include "proto/messages.hpp"

namespace fleet::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using beast::error_code;

struct TestTlsServer::Session : std::enable_shared_from_this<Session> {
  Session(TestTlsServer& s, tcp::socket sock) : server(s), ws(std::move(sock), s.ctx_) {}

  TestTlsServer& server;
  // The WebSocket stream owns the TLS stream, so plain HTTP requests are served on ws.next_layer().
  websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws;
  beast::flat_buffer buffer;
  http::request<http::string_body> req;
  http::response<http::string_body> res;
  std::string hello;

  void start() {
    ws.next_layer().async_handshake(ssl::stream_base::server,
                                    [self = shared_from_this()](error_code ec) { self->on_handshake(ec); });
  }

  void on_handshake(error_code ec) {
    {
      std::lock_guard lock(server.mu_);
      if (ec) {
        ++server.stats_.handshakes_failed;
      } else {
        ++server.stats_.handshakes_ok;
        const char* sni = SSL_get_servername(ws.next_layer().native_handle(), TLSEXT_NAMETYPE_host_name);
        server.stats_.sni.push_back(sni ? std::optional<std::string>(sni) : std::nullopt);
      }
    }
    if (ec) return close_socket();
    read_request();
  }

  void read_request() {
    req = {};
    http::async_read(ws.next_layer(), buffer, req, [self = shared_from_this()](error_code ec, std::size_t) {
      if (ec) return self->close_socket();
      if (websocket::is_upgrade(self->req)) return self->upgrade();
      self->respond();
    });
  }

  void respond() {
    AfterResponse after;
    {
      std::lock_guard lock(server.mu_);
      ++server.stats_.http_requests;
      after = server.after_;
    }
    res = http::response<http::string_body>(http::status::ok, req.version());
    res.set(http::field::content_type, "application/json");
    res.body() = R"({"target":")" + std::string(req.target()) + R"("})";
    res.keep_alive(true);  // even when about to close: an idle timeout is not announced
    res.prepare_payload();
    http::async_write(ws.next_layer(), res, [self = shared_from_this(), after](error_code ec, std::size_t) {
      if (ec) return self->close_socket();
      switch (after) {
        case AfterResponse::keep_alive: return self->read_request();
        case AfterResponse::abrupt: return self->close_socket();
        case AfterResponse::close_notify:
          return self->ws.next_layer().async_shutdown([self](error_code) { self->close_socket(); });
      }
    });
  }

  void upgrade() {
    std::string query_token;
    if (auto u = boost::urls::parse_origin_form(req.target())) {
      auto it = u->params().find("token");
      if (it != u->params().end()) query_token = (*it).value;
    }
    ws.async_accept(req, [self = shared_from_this(), query_token](error_code ec) {
      if (ec) return self->close_socket();
      {
        std::lock_guard lock(self->server.mu_);
        ++self->server.stats_.ws_upgrades;
      }
      if (!query_token.empty()) return self->authenticated(query_token);
      // Protocol 2: the token comes in the first message, {"type":"auth","token":...}.
      self->buffer.consume(self->buffer.size());
      self->ws.async_read(self->buffer, [self](error_code e, std::size_t) {
        if (e) return;
        boost::system::error_code parse_ec;
        const auto v = boost::json::parse(beast::buffers_to_string(self->buffer.data()), parse_ec);
        const auto* o = !parse_ec && v.is_object() ? &v.get_object() : nullptr;
        const auto* token = o ? o->if_contains("token") : nullptr;
        self->authenticated(token && token->is_string() ? std::string(token->get_string()) : std::string());
      });
    });
  }

  void authenticated(std::string token) {
    {
      std::lock_guard lock(server.mu_);
      server.stats_.tokens.push_back(std::move(token));
    }
    proto::Hello h;
    h.tenant = "org_tls";
    h.user = "user_tls";
    h.role = "admin";
    h.token_exp = 1'795'000'000;
    h.server = "fleetd/test";
    h.seq = 1;
    hello = proto::encode_hello(h);
    ws.text(true);
    ws.async_write(asio::buffer(hello), [self = shared_from_this()](error_code e, std::size_t) {
      if (!e) self->read_frames();
    });
  }

  void read_frames() {
    buffer.consume(buffer.size());
    ws.async_read(buffer, [self = shared_from_this()](error_code ec, std::size_t) {
      if (!ec) self->read_frames();
    });
  }

  void close_socket() {
    error_code ignored;
    beast::get_lowest_layer(ws).socket().close(ignored);
  }
};

TestTlsServer::TestTlsServer(const std::string& cert_file, const std::string& key_file)
    : ctx_(ssl::context::tls_server), acceptor_(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
  ctx_.use_certificate_chain_file(cert_file);
  ctx_.use_private_key_file(key_file, ssl::context::pem);
  port_ = acceptor_.local_endpoint().port();
  do_accept();
  thread_ = std::thread([this] { ioc_.run(); });
}

TestTlsServer::~TestTlsServer() {
  // Closing every socket fails the sessions' pending operations, so run() runs out of work and returns.
  asio::post(ioc_, [this] {
    error_code ignored;
    acceptor_.close(ignored);
    for (auto& w : sessions_) {
      if (auto s = w.lock()) s->close_socket();
    }
  });
  thread_.join();
}

void TestTlsServer::do_accept() {
  acceptor_.async_accept([this](error_code ec, tcp::socket sock) {
    if (ec) return;
    auto s = std::make_shared<Session>(*this, std::move(sock));
    sessions_.push_back(s);
    s->start();
    do_accept();
  });
}

std::string TestTlsServer::url(const std::string& scheme, const std::string& host) const {
  return scheme + "://" + host + ":" + std::to_string(port_);
}

void TestTlsServer::set_after_response(AfterResponse a) {
  std::lock_guard lock(mu_);
  after_ = a;
}

TestTlsServer::Stats TestTlsServer::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

bool TestTlsServer::wait_for(const std::function<bool(const Stats&)>& pred,
                             std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred(stats())) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return pred(stats());
}

}  // namespace fleet::test
