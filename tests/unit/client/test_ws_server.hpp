#pragma once
// A scriptable WebSocket server on 127.0.0.1:0 for hermetic client tests, speaking enough of protocol 2
// (docs/protocol.md) to drive fleet::Client: it records every connection (its target, its token from the
// query or the first `auth` message, its resume request, every text message it got, how it ended) and
// applies a per-connection behaviour after the upgrade. Tests can also push any text to a connection.
// Everything runs on its own I/O thread; the public methods are thread-safe.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/ids.hpp"

namespace fleet::test {

class TestWsServer {
 public:
  enum class OnAccept {
    keep_open,  // upgrade and wait (never says hello)
    greet,      // once authenticated (token in the query, else the first auth message): a greeting, see below
    close_1008,  // once authenticated: close with 1008 "Invalid token"
    close_1011,  // once authenticated: close with 1011 "Internal error"
    drop,        // right after the upgrade: close the TCP connection without a close frame
  };

  // How `greet` answers a connection that asked to resume (since + epoch):
  //   recover == true  and the epoch is kEpoch: hello{seq: since, recovered: true}, nothing else;
  //   otherwise: hello{recovered: false} and the fresh greeting.
  // The fresh greeting is hello{seq: S} (recovered only when asked), snapshot{seq: S} with one device,
  // and one telemetry frame with seq S + 1, where S is set_snapshot_seq() (default 1).
  static constexpr const char* kEpoch = "epoch_test";
  static constexpr const char* kUser = "user_test";
  static constexpr const char* kTenant = "org_test";

  // How the server answers an `auth` after the first (an in-band refresh).
  enum class OnRefresh {
    auth_ok,         // {"type":"auth_ok","token_exp":kRefreshedExp}
    silent,          // no answer: the test answers with send()
    org_changed,     // close 1008 "Organization changed"
    token_mismatch,  // close 1008 "Token mismatch"
    invalid_token,   // close 1008 "Invalid token"
  };
  static constexpr std::int64_t kRefreshedExp = 1'795'000'060;

  struct ConnInfo {
    std::string target;  // raw request target
    std::string token;   // the "token" query parameter, else the first auth message's token ("" if none)
    bool authenticated = false;  // token (and resume request) known: see wait_authenticated()
    std::optional<Seq> since;    // the resume request (from the first auth message or the query)
    std::optional<std::string> epoch;
    std::vector<std::string> messages;  // every text message from the client, in order
    std::chrono::steady_clock::time_point accepted_at;
    bool ended = false;
    std::optional<std::uint16_t> client_close_code;  // when the client sent a close frame
  };

  TestWsServer();
  ~TestWsServer();

  std::string base_url() const;  // "http://127.0.0.1:<port>"
  void set_on_accept(OnAccept a);
  void set_on_refresh(OnRefresh r);
  void set_recover(bool recover);
  void set_snapshot_seq(Seq s);

  std::size_t connections() const;
  ConnInfo info(std::size_t i) const;
  bool wait_connections(std::size_t n, std::chrono::milliseconds timeout) const;
  // Connection i's token arrived (in the query at once, else with its first message).
  bool wait_authenticated(std::size_t i, std::chrono::milliseconds timeout) const;
  bool wait_ended(std::size_t i, std::chrono::milliseconds timeout) const;

  void close(std::size_t i, std::uint16_t code, std::string reason);
  void drop(std::size_t i);
  // Sends a text message on connection i (after anything queued before it).
  void send(std::size_t i, std::string text);

 private:
  struct Session;
  struct Script {
    OnAccept on_accept = OnAccept::greet;
    OnRefresh on_refresh = OnRefresh::auth_ok;
    bool recover = true;
    Seq snapshot_seq = 1;
  };
  void do_accept();

  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  unsigned short port_ = 0;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  Script script_;
  std::vector<ConnInfo> conns_;
  std::vector<std::shared_ptr<Session>> sessions_;
  std::thread thread_;

  friend struct Session;
};

// base64url without padding (RFC 4648 5), for building token-shaped test strings.
std::string base64url(std::string_view bytes);

// A JWS-shaped token whose payload names `sub` and `o.id` (the signature is junk: the test server does not
// verify, and the client only peeks). `serial` makes tokens of one identity differ.
std::string fake_jwt(const std::string& user, const std::string& org, int serial = 0);

}  // namespace fleet::test
