#include "wire.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <stdexcept>

namespace fleet::testing {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

boost::json::value HttpResult::json() const { return boost::json::parse(body); }

namespace {

http::request<http::string_body> make_request(const HttpCall& c) {
  http::request<http::string_body> req{http::string_to_verb(c.method), c.target, 11};
  req.set(http::field::host, "127.0.0.1");
  if (!c.bearer.empty()) req.set(http::field::authorization, "Bearer " + c.bearer);
  if (!c.body.empty() || c.method == "POST") {
    req.set(http::field::content_type, "application/json");
    req.body() = c.body;
  }
  req.prepare_payload();
  return req;
}

}  // namespace

HttpResult request(unsigned short port, const std::string& method, const std::string& target,
                   const std::string& body, const std::string& bearer) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.expires_after(std::chrono::seconds(10));
  stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  http::write(stream, make_request({method, target, body, bearer}));
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 << 20);
  http::read(stream, buffer, parser);
  HttpResult out{static_cast<int>(parser.get().result_int()), parser.get().body(),
                 std::string(parser.get()[http::field::retry_after])};
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  return out;
}

struct HttpConnection::Impl {
  asio::io_context io;
  beast::tcp_stream stream{io};
  beast::flat_buffer buffer;

  HttpResult read() {
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 << 20);
    stream.expires_after(std::chrono::seconds(30));
    http::read(stream, buffer, parser);
    return {static_cast<int>(parser.get().result_int()), parser.get().body()};
  }
};

HttpConnection::HttpConnection(unsigned short port) : impl_(std::make_unique<Impl>()) {
  impl_->stream.expires_after(std::chrono::seconds(10));
  impl_->stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
}

HttpConnection::~HttpConnection() {
  beast::error_code ec;
  impl_->stream.socket().shutdown(tcp::socket::shutdown_both, ec);
}

HttpResult HttpConnection::call(const HttpCall& c) { return pipeline({c}, 1).front(); }

std::vector<HttpResult> HttpConnection::pipeline(const std::vector<HttpCall>& calls, std::size_t window) {
  std::vector<HttpResult> out;
  out.reserve(calls.size());
  std::size_t sent = 0;
  while (out.size() < calls.size()) {
    // Keep at most `window` requests unanswered, so neither side's socket buffers fill up.
    while (sent < calls.size() && sent - out.size() < window) {
      impl_->stream.expires_after(std::chrono::seconds(30));
      http::write(impl_->stream, make_request(calls[sent++]));
    }
    out.push_back(impl_->read());
  }
  return out;
}

std::string dev_token(unsigned short port, const std::string& user, const std::string& org,
                      const std::string& role, int ttl_s) {
  boost::json::object req{{"user", user}, {"org", org}, {"role", role}, {"ttl_s", ttl_s}};
  auto r = request(port, "POST", "/dev/token", boost::json::serialize(req));
  if (r.status != 200) throw std::runtime_error("dev token: " + std::to_string(r.status) + " " + r.body);
  return std::string(r.json().at("token").as_string());
}

NewDevice create_device(unsigned short port, const std::string& token, const std::string& name) {
  auto r = request(port, "POST", "/api/v1/devices",
                   boost::json::serialize(boost::json::object{{"name", name}}), token);
  if (r.status != 201) throw std::runtime_error("create device: " + std::to_string(r.status) + " " + r.body);
  auto j = r.json();
  return {std::string(j.at("device").at("id").as_string()), std::string(j.at("key").as_string())};
}

struct WsClient::Impl {
  asio::io_context io;
  websocket::stream<beast::tcp_stream> ws{io};
  beast::flat_buffer buffer;
};

WsClient::WsClient(unsigned short port, const std::string& target, const std::string& bearer, int rcvbuf,
                   const std::string& authorization)
    : impl_(std::make_unique<Impl>()) {
  auto& lowest = beast::get_lowest_layer(impl_->ws);
  if (rcvbuf > 0) {
    lowest.socket().open(tcp::v4());
    lowest.socket().set_option(asio::socket_base::receive_buffer_size(rcvbuf));
  }
  lowest.expires_after(std::chrono::seconds(10));
  lowest.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  lowest.expires_never();
  impl_->ws.set_option(
      websocket::stream_base::decorator([bearer, authorization](websocket::request_type& req) {
        if (!bearer.empty()) req.set(http::field::authorization, "Bearer " + bearer);
        if (!authorization.empty()) req.set(http::field::authorization, authorization);
      }));
  impl_->ws.read_message_max(64 << 20);
  impl_->ws.handshake("127.0.0.1:" + std::to_string(port), target);
}

WsClient::~WsClient() = default;

std::optional<std::string> WsClient::read(std::chrono::milliseconds timeout) {
  timed_out_ = false;
  if (close_code_ != 0) return std::nullopt;
  beast::error_code result = asio::error::would_block;
  impl_->buffer.clear();
  impl_->ws.async_read(impl_->buffer, [&](beast::error_code ec, std::size_t) { result = ec; });
  impl_->io.restart();
  impl_->io.run_for(timeout);
  if (result == asio::error::would_block) {
    timed_out_ = true;
    beast::get_lowest_layer(impl_->ws).cancel();
    impl_->io.restart();
    impl_->io.run_for(std::chrono::seconds(1));
    return std::nullopt;
  }
  // A close frame may arrive and then our reply fail (the server already tore the connection down):
  // what the peer said still counts, as it does for a browser.
  if (result == websocket::error::closed ||
      (result && impl_->ws.reason().code != websocket::close_code::none)) {
    close_code_ = impl_->ws.reason().code;
    close_reason_ = std::string(impl_->ws.reason().reason.data(), impl_->ws.reason().reason.size());
    return std::nullopt;
  }
  if (result) {
    close_code_ = 1006;  // abnormal: no close frame
    close_reason_ = result.message();
    return std::nullopt;
  }
  return beast::buffers_to_string(impl_->buffer.data());
}

boost::json::object WsClient::read_json(std::chrono::milliseconds timeout) {
  auto msg = read(timeout);
  if (!msg) {
    throw std::runtime_error(timed_out_ ? "timed out waiting for a message"
                                        : "closed " + std::to_string(close_code_) + " " + close_reason_);
  }
  return boost::json::parse(*msg).as_object();
}

std::uint16_t WsClient::wait_close(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (close_code_ == 0) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return 0;
    read(left);
    if (timed_out_) return 0;
  }
  return close_code_;
}

void WsClient::send(const std::string& text) { impl_->ws.write(asio::buffer(text)); }

void WsClient::close() {
  beast::error_code ec;
  impl_->ws.close(websocket::close_code::normal, ec);
}

std::vector<boost::json::object> read_events(
    WsClient& ws, const std::function<bool(const std::vector<boost::json::object>&)>& done,
    std::chrono::milliseconds timeout) {
  std::vector<boost::json::object> events;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done(events)) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    auto msg = ws.read(left);
    if (!msg) break;
    auto obj = boost::json::parse(*msg).as_object();
    if (obj.at("type").as_string() != "telemetry") continue;
    for (auto& e : obj.at("events").as_array()) events.push_back(e.as_object());
  }
  return events;
}

std::string metric(unsigned short port, const std::string& series) {
  const std::string body = request(port, "GET", "/metrics").body;
  const auto pos = body.find("\n" + series + " ");
  if (pos == std::string::npos) return "";
  const auto start = pos + series.size() + 2;
  return body.substr(start, body.find('\n', start) - start);
}

}  // namespace fleet::testing
