#include "test_ws_server.hpp"

#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/url/parse.hpp>
#include <deque>

#include "proto/messages.hpp"

namespace fleet::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using beast::error_code;

struct TestWsServer::Session : std::enable_shared_from_this<Session> {
  Session(TestWsServer& s, tcp::socket sock, std::size_t i) : server(s), ws(std::move(sock)), index(i) {}

  TestWsServer& server;
  websocket::stream<beast::tcp_stream> ws;
  std::size_t index;
  beast::flat_buffer buffer;
  beast::http::request<beast::http::string_body> req;
  std::deque<std::string> outbox;
  bool writing = false;

  void start() {
    beast::http::async_read(ws.next_layer(), buffer, req, [self = shared_from_this()](error_code ec, std::size_t) {
      if (ec) return self->ended();
      self->on_request();
    });
  }

  void on_request() {
    {
      std::lock_guard lock(server.mu_);
      ConnInfo& c = server.conns_[index];
      c.target = std::string(req.target());
      if (auto u = boost::urls::parse_origin_form(req.target())) {
        auto it = u->params().find("token");
        if (it != u->params().end()) c.token = (*it).value;
      }
    }
    ws.async_accept(req, [self = shared_from_this()](error_code ec) {
      if (ec) return self->ended();
      self->on_accepted();
    });
  }

  void on_accepted() {
    OnAccept action;
    {
      std::lock_guard lock(server.mu_);
      action = server.on_accept_;
      server.conns_[index].accepted_at = std::chrono::steady_clock::now();
    }
    server.cv_.notify_all();
    switch (action) {
      case OnAccept::keep_open: break;
      case OnAccept::greet: greet(); break;
      case OnAccept::close_1008: close(1008, "Invalid token"); break;
      case OnAccept::close_1011: close(1011, "Internal error"); break;
      case OnAccept::drop: drop(); return;
    }
    read();
  }

  void greet() {
    proto::Hello h{"org_test", "user_test", "admin", 1'795'000'000, "fleetd/test", 1};
    send(proto::encode_hello(h));
    std::vector<Device> devices(1);
    devices[0].id = DeviceId("dev_1");
    devices[0].name = "Truck 1";
    StoredPoint p;
    p.seq = 1;
    p.device = devices[0].id;
    p.point.ts_ms = 1'795'000'000'000;
    p.point.lat = 48.85;
    p.point.lon = 2.35;
    devices[0].last = p;
    send(proto::encode_snapshot(1, devices));
    p.seq = 2;
    p.point.lat = 48.86;
    std::vector<StoredPoint> points{p};
    send(proto::encode_telemetry(points));
  }

  void send(std::string text) {
    outbox.push_back(std::move(text));
    if (!writing) write();
  }

  void write() {
    writing = true;
    ws.async_write(asio::buffer(outbox.front()), [self = shared_from_this()](error_code ec, std::size_t) {
      self->writing = false;
      if (ec) return;
      self->outbox.pop_front();
      if (!self->outbox.empty()) self->write();
    });
  }

  void read() {
    ws.async_read(buffer, [self = shared_from_this()](error_code ec, std::size_t) {
      if (ec) {
        if (ec == websocket::error::closed) {
          std::lock_guard lock(self->server.mu_);
          self->server.conns_[self->index].client_close_code = self->ws.reason().code;
        }
        return self->ended();
      }
      if (beast::buffers_to_string(self->buffer.data()) == R"({"type":"ping"})") self->send(R"({"type":"pong"})");
      self->buffer.consume(self->buffer.size());
      self->read();
    });
  }

  void close(std::uint16_t code, std::string reason) {
    websocket::close_reason cr;
    cr.code = code;
    cr.reason = reason;
    ws.async_close(cr, [self = shared_from_this()](error_code) {});
  }

  void drop() {
    error_code ignored;
    beast::get_lowest_layer(ws).socket().close(ignored);
    ended();
  }

  void ended() {
    {
      std::lock_guard lock(server.mu_);
      server.conns_[index].ended = true;
    }
    server.cv_.notify_all();
  }
};

TestWsServer::TestWsServer() : acceptor_(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
  port_ = acceptor_.local_endpoint().port();
  do_accept();
  thread_ = std::thread([this] { ioc_.run(); });
}

TestWsServer::~TestWsServer() {
  asio::post(ioc_, [this] {
    error_code ignored;
    acceptor_.close(ignored);
    for (auto& s : sessions_) beast::get_lowest_layer(s->ws).socket().close(ignored);
    sessions_.clear();
  });
  thread_.join();
}

void TestWsServer::do_accept() {
  acceptor_.async_accept([this](error_code ec, tcp::socket sock) {
    if (ec) return;
    std::size_t index;
    {
      std::lock_guard lock(mu_);
      index = conns_.size();
      conns_.emplace_back();
    }
    auto s = std::make_shared<Session>(*this, std::move(sock), index);
    sessions_.push_back(s);
    s->start();
    do_accept();
  });
}

std::string TestWsServer::base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

void TestWsServer::set_on_accept(OnAccept a) {
  std::lock_guard lock(mu_);
  on_accept_ = a;
}

std::size_t TestWsServer::connections() const {
  std::lock_guard lock(mu_);
  std::size_t n = 0;
  for (const auto& c : conns_) n += c.accepted_at != std::chrono::steady_clock::time_point{} ? 1 : 0;
  return n;
}

TestWsServer::ConnInfo TestWsServer::info(std::size_t i) const {
  std::lock_guard lock(mu_);
  return conns_.at(i);
}

bool TestWsServer::wait_connections(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] {
    std::size_t accepted = 0;
    for (const auto& c : conns_) accepted += c.accepted_at != std::chrono::steady_clock::time_point{} ? 1 : 0;
    return accepted >= n;
  });
}

bool TestWsServer::wait_ended(std::size_t i, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return i < conns_.size() && conns_[i].ended; });
}

void TestWsServer::close(std::size_t i, std::uint16_t code, std::string reason) {
  asio::post(ioc_, [this, i, code, reason = std::move(reason)] { sessions_.at(i)->close(code, reason); });
}

void TestWsServer::drop(std::size_t i) {
  asio::post(ioc_, [this, i] { sessions_.at(i)->drop(); });
}

}  // namespace fleet::test
