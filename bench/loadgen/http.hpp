#pragma once
// HTTP/1.1 client pieces: a response parser (Content-Length and chunked bodies), a keep-alive connection
// driven by an EventLoop (one request in flight), and a blocking call for set-up requests.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "event_loop.hpp"
#include "net.hpp"

namespace loadgen {

struct HttpResponse {
  int status = 0;
  std::string body;
};

// Builds a request with Host, Content-Type: application/json and Content-Length.
std::string build_http_request(std::string_view method, std::string_view target, const Endpoint& host,
                               std::string_view bearer, std::string_view body);

// Incremental response parser. feed() the bytes as they arrive; take() a complete response.
class HttpResponseParser {
 public:
  void feed(std::string_view bytes) { buf_.append(bytes); }
  // A complete response when the buffered bytes hold one (consumed from the buffer); std::nullopt when
  // more bytes are needed. Throws std::runtime_error on a malformed response.
  std::optional<HttpResponse> take();
  bool empty() const noexcept { return buf_.empty(); }

 private:
  std::string buf_;
};

// One keep-alive connection for a request/response driver. Not thread-safe: lives on its loop's thread.
class HttpConnection final : public IoHandler {
 public:
  struct Listener {
    virtual void on_connected(HttpConnection& c) = 0;
    virtual void on_response(HttpConnection& c, const HttpResponse& r) = 0;
    // The connection broke. `request_lost`: a request was in flight (else the server merely closed an idle
    // keep-alive connection, which servers do after their idle timeout).
    virtual void on_failure(HttpConnection& c, std::string_view why, bool request_lost) = 0;

   protected:
    ~Listener() = default;
  };

  HttpConnection(EventLoop& loop, const Endpoint& server, in_addr source, Listener& listener, std::size_t id);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  void connect();
  // Sends a complete request; the connection must be connected and idle.
  void send(std::string request);
  bool idle() const noexcept { return connected_ && !in_flight_; }
  std::size_t id() const noexcept { return id_; }
  void close() noexcept;

  void on_io(std::uint32_t events) override;

 private:
  void fail(std::string_view why);
  void flush();
  void read_responses();

  EventLoop& loop_;
  const Endpoint& server_;
  in_addr source_;
  Listener& listener_;
  std::size_t id_;
  int fd_ = -1;
  bool connected_ = false;
  bool in_flight_ = false;
  std::string out_;
  std::size_t out_sent_ = 0;
  HttpResponseParser parser_;
};

// Blocking request on a fresh connection (set-up only: provisioning, health checks).
// Throws std::runtime_error on connection or protocol failure.
HttpResponse http_call(const Endpoint& server, std::string_view method, std::string_view target,
                       std::string_view bearer, std::string_view body);

}  // namespace loadgen
