#include "test_ws_server.hpp"

#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
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
  bool authenticated = false;                  // a token came in the query or in the first auth message
  std::optional<OnAccept> when_authenticated;  // what to do once it did

  void start() {
    beast::http::async_read(ws.next_layer(), buffer, req,
                            [self = shared_from_this()](error_code ec, std::size_t) {
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
        auto params = u->params();
        if (auto it = params.find("token"); it != params.end()) c.token = (*it).value;
        if (auto it = params.find("since"); it != params.end()) c.since = std::stoull((*it).value);
        if (auto it = params.find("epoch"); it != params.end()) c.epoch = (*it).value;
      }
      authenticated = !c.token.empty();
      c.authenticated = authenticated;
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
      action = server.script_.on_accept;
      server.conns_[index].accepted_at = std::chrono::steady_clock::now();
    }
    server.cv_.notify_all();
    switch (action) {
      case OnAccept::keep_open: break;
      case OnAccept::drop: drop(); return;
      case OnAccept::greet:
      case OnAccept::close_1008:
      case OnAccept::close_1011:
        // Like fleetd: a tokenless connection is served (or refused) after its first message, the auth.
        if (authenticated) {
          act(action);
        } else {
          when_authenticated = action;
        }
        break;
    }
    read();
  }

  void act(OnAccept action) {
    switch (action) {
      case OnAccept::greet: greet(); break;
      case OnAccept::close_1008: close(1008, "Invalid token"); break;
      case OnAccept::close_1011: close(1011, "Internal error"); break;
      case OnAccept::keep_open:
      case OnAccept::drop: break;
    }
  }

  void greet() {
    Script script;
    std::optional<Seq> since;
    std::optional<std::string> epoch;
    {
      std::lock_guard lock(server.mu_);
      script = server.script_;
      since = server.conns_[index].since;
      epoch = server.conns_[index].epoch;
    }
    const bool asked = since && epoch;
    proto::Hello h;
    h.tenant = kTenant;
    h.user = kUser;
    h.role = "admin";
    h.token_exp = 1'795'000'000;
    h.server = "fleetd/test";
    h.seq = script.snapshot_seq;
    h.epoch = kEpoch;
    h.token_grace_s = 15;
    if (asked && script.recover && *epoch == kEpoch) {
      h.seq = *since;
      h.recovered = true;
      send(proto::encode_hello(h));
      return;
    }
    if (asked) h.recovered = false;
    send(proto::encode_hello(h));
    std::vector<Device> devices(1);
    devices[0].id = DeviceId("dev_1");
    devices[0].name = "Truck 1";
    StoredPoint p;
    p.seq = script.snapshot_seq;
    p.device = devices[0].id;
    p.point.ts_ms = 1'795'000'000'000;
    p.point.lat = 48.85;
    p.point.lon = 2.35;
    devices[0].last = p;
    send(proto::encode_snapshot(script.snapshot_seq, devices));
    p.seq = script.snapshot_seq + 1;
    p.point.lat = 48.86;
    std::vector<StoredPoint> points{p};
    send(proto::encode_telemetry(points));
  }

  void on_message(const std::string& text) {
    boost::system::error_code ec;
    const boost::json::value v = boost::json::parse(text, ec);
    const boost::json::object* o = !ec && v.is_object() ? &v.get_object() : nullptr;
    const boost::json::value* type = o ? o->if_contains("type") : nullptr;
    const bool is_auth = type && type->is_string() && type->get_string() == "auth";
    const boost::json::value* token = is_auth ? o->if_contains("token") : nullptr;
    const bool first_auth = is_auth && !authenticated;
    {
      // The message and what it carries are recorded together: a test that waits for the message sees
      // its since and epoch too.
      std::lock_guard lock(server.mu_);
      ConnInfo& c = server.conns_[index];
      if (first_auth) {
        if (token && token->is_string()) c.token = std::string(token->get_string());
        if (auto* since = o->if_contains("since"); since && since->is_number())
          c.since = since->to_number<Seq>();
        if (auto* epoch = o->if_contains("epoch"); epoch && epoch->is_string()) {
          c.epoch = std::string(epoch->get_string());
        }
        c.authenticated = true;
      }
      c.messages.push_back(text);
    }
    server.cv_.notify_all();
    if (!type || !type->is_string()) return;
    if (type->get_string() == "ping") return send(R"({"type":"pong"})");
    if (!is_auth) return;
    if (first_auth) {
      authenticated = true;
      if (when_authenticated) act(*when_authenticated);
      return;
    }
    OnRefresh answer;
    {
      std::lock_guard lock(server.mu_);
      answer = server.script_.on_refresh;
    }
    switch (answer) {
      case OnRefresh::auth_ok: send(proto::encode_auth_ok(kRefreshedExp)); break;
      case OnRefresh::silent: break;
      case OnRefresh::org_changed: close(1008, "Organization changed"); break;
      case OnRefresh::token_mismatch: close(1008, "Token mismatch"); break;
      case OnRefresh::invalid_token: close(1008, "Invalid token"); break;
    }
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
      const std::string text = beast::buffers_to_string(self->buffer.data());
      self->buffer.consume(self->buffer.size());
      self->on_message(text);
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
  script_.on_accept = a;
}

void TestWsServer::set_on_refresh(OnRefresh r) {
  std::lock_guard lock(mu_);
  script_.on_refresh = r;
}

void TestWsServer::set_recover(bool recover) {
  std::lock_guard lock(mu_);
  script_.recover = recover;
}

void TestWsServer::set_snapshot_seq(Seq s) {
  std::lock_guard lock(mu_);
  script_.snapshot_seq = s;
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

bool TestWsServer::wait_authenticated(std::size_t i, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return i < conns_.size() && conns_[i].authenticated; });
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

void TestWsServer::send(std::size_t i, std::string text) {
  asio::post(ioc_, [this, i, text = std::move(text)]() mutable { sessions_.at(i)->send(std::move(text)); });
}

std::string base64url(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kAlphabet[(acc >> bits) & 63];
    }
  }
  if (bits > 0) out += kAlphabet[(acc << (6 - bits)) & 63];
  return out;
}

std::string fake_jwt(const std::string& user, const std::string& org, int serial) {
  boost::json::object payload{{"sub", user}, {"o", boost::json::object{{"id", org}}}, {"jti", serial}};
  return base64url(R"({"alg":"RS256","typ":"JWT"})") + "." + base64url(boost::json::serialize(payload)) +
         ".c2ln";
}

}  // namespace fleet::test
