#pragma once
// A scriptable WebSocket server on 127.0.0.1:0 for hermetic client tests. Records every connection (the
// token from its query, when it was accepted, how it ended) and applies a per-connection behaviour right
// after the upgrade. Everything runs on its own I/O thread; the public methods are thread-safe.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace fleet::test {

class TestWsServer {
 public:
  enum class OnAccept {
    keep_open,   // upgrade and wait
    greet,       // send hello, snapshot and one telemetry frame, then wait
    close_1008,  // close with 1008 "Invalid token"
    close_1011,  // close with 1011 "Internal error"
    drop,        // close the TCP connection without a close frame
  };

  struct ConnInfo {
    std::string target;  // raw request target
    std::string token;   // decoded "token" query parameter ("" if absent)
    std::chrono::steady_clock::time_point accepted_at;
    bool ended = false;
    std::optional<std::uint16_t> client_close_code;  // when the client sent a close frame
  };

  TestWsServer();
  ~TestWsServer();

  std::string base_url() const;  // "http://127.0.0.1:<port>"
  void set_on_accept(OnAccept a);

  std::size_t connections() const;
  ConnInfo info(std::size_t i) const;
  bool wait_connections(std::size_t n, std::chrono::milliseconds timeout) const;
  bool wait_ended(std::size_t i, std::chrono::milliseconds timeout) const;

  void close(std::size_t i, std::uint16_t code, std::string reason);
  void drop(std::size_t i);

 private:
  struct Session;
  void do_accept();

  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  unsigned short port_ = 0;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  OnAccept on_accept_ = OnAccept::greet;
  std::vector<ConnInfo> conns_;
  std::vector<std::shared_ptr<Session>> sessions_;
  std::thread thread_;

  friend struct Session;
};

}  // namespace fleet::test
