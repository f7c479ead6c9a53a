#pragma once
// A TLS server on 127.0.0.1:0 for hermetic client tests, speaking both protocols of the client library on
// one port: a WebSocket upgrade gets the server's hello once its token arrived (in the query, else in the
// first message) and is then kept open; any other HTTP/1.1 request
// gets 200 {"target":"..."} on a keep-alive connection. It records TLS handshakes (good, failed, SNI), so
// tests can tell where a connection was refused. Runs on its own I/O thread; public methods are thread-safe.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace fleet::test {

class TestTlsServer {
 public:
  // What the server does after each HTTP response, to imitate an idle keep-alive timeout.
  enum class AfterResponse {
    keep_alive,    // wait for the next request
    close_notify,  // TLS close_notify, then close the socket (a well-behaved server)
    abrupt,        // close the socket without close_notify (what many servers and proxies do)
  };

  struct Stats {
    int handshakes_ok = 0;
    int handshakes_failed = 0;
    int ws_upgrades = 0;
    int http_requests = 0;
    std::vector<std::string> tokens;              // each session's token (query, else first auth message)
    std::vector<std::optional<std::string>> sni;  // SNI of each good handshake (nullopt: none sent)
  };

  // cert_file: PEM certificate (chain); key_file: its private key.
  TestTlsServer(const std::string& cert_file, const std::string& key_file);
  ~TestTlsServer();
  TestTlsServer(const TestTlsServer&) = delete;
  TestTlsServer& operator=(const TestTlsServer&) = delete;

  unsigned short port() const noexcept { return port_; }
  // "<scheme>://<host>:<port>", e.g. url("wss", "127.0.0.1").
  std::string url(const std::string& scheme, const std::string& host) const;
  void set_after_response(AfterResponse a);

  Stats stats() const;
  // Polls until pred(stats()) holds or the timeout passes; returns the final verdict.
  bool wait_for(const std::function<bool(const Stats&)>& pred, std::chrono::milliseconds timeout) const;

 private:
  struct Session;
  void do_accept();

  boost::asio::io_context ioc_;
  boost::asio::ssl::context ctx_;
  boost::asio::ip::tcp::acceptor acceptor_;
  unsigned short port_ = 0;
  mutable std::mutex mu_;
  Stats stats_;
  AfterResponse after_ = AfterResponse::keep_alive;
  std::vector<std::weak_ptr<Session>> sessions_;
  std::thread thread_;

  friend struct Session;
};

}  // namespace fleet::test
