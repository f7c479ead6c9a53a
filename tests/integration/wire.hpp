#pragma once
// Minimal HTTP and WebSocket clients for black-box tests: raw Beast, every call bounded by a timeout.
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "eventually.hpp"  // for what the server does on its own time

namespace fleet::testing {

struct HttpResult {
  int status = 0;
  std::string body;
  std::string retry_after;          // the Retry-After header, "" when absent (request() only)
  boost::json::value json() const;  // parsed body (throws on invalid JSON: a test failure)
};

HttpResult request(unsigned short port, const std::string& method, const std::string& target,
                   const std::string& body = {}, const std::string& bearer = {});

// One keep-alive HTTP/1.1 connection, for tests that send thousands of requests (a connection each would
// spend the test's time on handshakes).
struct HttpCall {
  std::string method;
  std::string target;
  std::string body;
  std::string bearer;
};
class HttpConnection {
 public:
  explicit HttpConnection(unsigned short port);
  ~HttpConnection();
  HttpResult call(const HttpCall& c);
  // Sends the calls pipelined (a window at a time) and returns their answers in order.
  std::vector<HttpResult> pipeline(const std::vector<HttpCall>& calls, std::size_t window = 128);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The value of one series in GET /metrics ("fleet_ws_connections", or with its labels), "" when absent.
std::string metric(unsigned short port, const std::string& series);

// POST /dev/token; returns the token.
std::string dev_token(unsigned short port, const std::string& user, const std::string& org,
                      const std::string& role = "admin", int ttl_s = 60);

struct NewDevice {
  std::string id;
  std::string key;
};
NewDevice create_device(unsigned short port, const std::string& token, const std::string& name);

class WsClient {
 public:
  // Opens ws://127.0.0.1:<port><target>, optionally with `Authorization: Bearer`. Throws if the upgrade
  // fails. `rcvbuf` > 0 shrinks the socket's receive buffer (before connecting), to play a slow consumer.
  // `authorization` sends that raw Authorization header instead of a bearer one.
  WsClient(unsigned short port, const std::string& target, const std::string& bearer = {}, int rcvbuf = 0,
           const std::string& authorization = {});
  ~WsClient();

  // The next text message, or nullopt when the server closed (see close_code) or on timeout (timed_out()).
  // A timeout cancels the socket: the client is unusable afterwards, so only time out as a last step.
  std::optional<std::string> read(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Next message parsed as JSON; throws on close/timeout.
  boost::json::object read_json(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Reads until the server closes (discarding messages); returns the close code, 0 on timeout.
  std::uint16_t wait_close(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  void send(const std::string& text);
  void close();

  std::uint16_t close_code() const noexcept { return close_code_; }
  const std::string& close_reason() const noexcept { return close_reason_; }
  bool timed_out() const noexcept { return timed_out_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::uint16_t close_code_ = 0;
  std::string close_reason_;
  bool timed_out_ = false;
};

// Telemetry events (the objects inside "events") in arrival order, until `done(events)` holds, the session
// closes, or `timeout` passes. Other messages are skipped.
std::vector<boost::json::object> read_events(
    WsClient& ws, const std::function<bool(const std::vector<boost::json::object>&)>& done,
    std::chrono::milliseconds timeout = std::chrono::seconds(20));

}  // namespace fleet::testing
