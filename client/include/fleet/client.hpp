#pragma once
// fleet::Client: a live telemetry subscription over the server's WebSocket (docs/protocol.md).
//
// - Holds at most one socket. set_token() with a different token replaces the connection (the old socket
//   is closed; events from it never reach the callbacks again); an empty token disconnects.
// - Reconnects after a drop (network error or any close other than 1008) with exponential backoff and
//   jitter. After a 1008 close (bad/expired token, no organization, ...) it stays closed until set_token()
//   gives it a different token, or connect() is called explicitly.
// - Runs its own I/O thread. All public methods are thread-safe and return immediately; callbacks run on
//   the I/O thread, one at a time, and must not block for long or destroy the Client.
// - wss:// uses OpenSSL with peer and host name verification (system CA store unless ca_file is set).
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/telemetry.hpp"
#include "proto/messages.hpp"

namespace fleet {

class Client {
 public:
  enum class State {
    idle,          // never connected, or connect() had no token
    connecting,    // resolving, TCP/TLS/WebSocket handshake in progress
    open,          // handshake done; hello/snapshot/telemetry flow
    reconnecting,  // waiting for the backoff timer after a drop
    closed,        // close() or empty token, or the server refused the token (1008): waits for a new one
  };

  struct Callbacks {
    std::function<void(const proto::Hello&)> on_hello;
    std::function<void(Seq seq, const std::vector<Device>& devices)> on_snapshot;
    std::function<void(const std::vector<StoredPoint>& events)> on_telemetry;  // oldest first
    std::function<void(State)> on_state;
    // The current connection ended: the server's close code and reason, or 1006 and the error text when
    // the connection dropped without a close frame. Fires before the matching on_state.
    std::function<void(std::uint16_t code, const std::string& reason)> on_close;
    std::function<void()> on_pong;  // answer to ping()
  };

  struct Options {
    std::string base_url = "http://127.0.0.1:3000";  // http, https, ws or wss
    std::chrono::milliseconds backoff_min{250};
    std::chrono::milliseconds backoff_max{30'000};
    std::chrono::milliseconds handshake_timeout{10'000};  // TCP + TLS + WebSocket upgrade
    // No frame (data, ping or pong) for this long -> the connection is considered dead. The client pings
    // after half of it, so a live server always answers in time.
    std::chrono::milliseconds idle_timeout{60'000};
    std::string ca_file;  // PEM bundle for wss; empty = the system store
    Callbacks callbacks;
    std::function<double()> random;  // uniform [0, 1) for backoff jitter; empty = std::mt19937_64
  };

  // Does not connect. Throws std::invalid_argument when base_url is not a usable URL (the only throw).
  explicit Client(Options options);
  ~Client();  // close() and join the I/O thread; no callback runs after it returns
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Different token: closes the current socket (if any) and connects with the new one.
  // Same token: no effect. Empty token: disconnects and stays disconnected.
  void set_token(std::string token);
  // Connects with the current token unless already connected or connecting; without a token it only logs
  // a warning. Also the way to retry after a 1008 close with the same token.
  void connect();
  // Closes the socket (1000) and cancels any pending reconnect. The token is kept; connect() resumes.
  void close();
  // Sends {"type":"ping"} when open; the server answers with pong (callbacks.on_pong).
  void ping();

  State state() const noexcept;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

const char* to_string(Client::State s) noexcept;

}  // namespace fleet
