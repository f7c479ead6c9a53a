#pragma once
// fleet::Client: a live telemetry subscription over the server's WebSocket (docs/protocol.md, protocol 2).
//
// - Holds at most one socket. It opens /ws with no token in the URL or headers and sends
//   {"type":"auth","token":...} as its first message (Options::token_in_url keeps protocol 1's ?token=).
// - set_token() with a token for the same user and organization as the open session's hello refreshes
//   the session in-band: an `auth` message on the same socket, answered by `auth_ok` (on_auth_ok), with
//   no new snapshot. At most one refresh is in flight; a token set meanwhile is sent after the answer.
//   Identity is read from the token's unverified payload (`sub`, and `o.id` or `org_id`); a token that
//   cannot be read is tried in-band and the server decides. A token for another user or organization
//   replaces the connection (the old socket is closed; events from it never reach the callbacks again)
//   and starts without resume; so does a server's "1008 Organization changed" / "1008 Token mismatch"
//   answer to an in-band refresh, at once and without backoff. An empty token disconnects.
// - Resumes: every reconnect sends `since` (the last seq applied) and `epoch` (of the session it came
//   from). hello.recovered == true: the missed events follow, no snapshot; false: a snapshot follows.
// - Checks every telemetry frame against the last applied seq: a gap not explained by `skipped`, a
//   duplicate or a frame out of order is loss, and the client drops the connection (on_close 1000
//   "Telemetry gap") and reconnects with backoff, resuming from the last seq it applied. Inconsistent
//   frames are never delivered.
// - Reconnects after a drop (network error, or any close other than 1008) with exponential backoff and
//   jitter, resuming. After a 1008 close (bad/expired token, no organization, ...) it stays closed until
//   set_token() gives it a different token, or connect() is called explicitly; the resume point is kept
//   (unless the new token names someone else), so a fresh token after "Token expired" resumes.
// - Stream options (Options::stream; docs/protocol.md, "Stream options") go in the first auth message of
//   every connection (as query parameters with token_in_url), never in a refresh; none set = the auth
//   message and the stream of a client that knows no options. With format == compact the client decodes
//   `tc` frames with the device indexes announced on the connection (snapshot `i`, `devices` frames; the
//   table is cleared for every new connection) into the same events on_telemetry delivers for JSON
//   `telemetry`, checked the same way; a `tc` frame that is malformed or names an index not announced, or a
//   malformed announcement, is loss like a gap. Its JSON `telemetry` frames are accepted too (a server that
//   ignores the option).
// - Views (set_view(); docs/protocol.md, "Views: scope the stream"): the client sends the view as a `view`
//   message at once when the session is live, and in the first `auth` message of every later connection
//   (views are per connection; after hello instead when the token goes in the URL), so that connection's
//   first snapshot is already scoped; each time with a new id, ids increasing. The scoped `snapshot` that
//   answers the newest id replaces what the application holds (on_snapshot, then on_view); one answering an
//   older id is ignored. `view_change` frames reach on_view_change. While a view may be in effect (sent on
//   this connection, scoped, or not yet answered) seq gaps are other devices' events, not loss: frames are
//   only checked to ascend. Should a new connection start unscoped (a server that reads no view in `auth`),
//   its unscoped snapshot and events are not delivered; delivery starts with the view's snapshot (a server
//   that does not answer views never gets there). A whole-tenant view is sent only to a live session (to
//   leave a scoped one).
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
#include "fleet/stream_options.hpp"
#include "fleet/view.hpp"
#include "proto/message_decode.hpp"
#include "proto/messages.hpp"

namespace fleet {

class Client {
 public:
  enum class State {
    idle,          // never connected, or connect() had no token
    connecting,    // resolving, TCP/TLS/WebSocket handshake in progress
    open,          // handshake done (auth sent); hello/snapshot/telemetry flow
    reconnecting,  // waiting for the backoff timer after a drop
    closed,        // close() or empty token, or the server refused the token (1008): waits for a new one
  };

  struct Callbacks {
    // hello.recovered: true when this connection resumed (no snapshot follows), false when the resume was
    // refused (a snapshot follows), absent when no resume was asked for.
    std::function<void(const proto::Hello&)> on_hello;
    std::function<void(Seq seq, const std::vector<Device>& devices)> on_snapshot;
    // Oldest first, each frame checked against the last applied seq (gaps explained by `skipped` are
    // accepted: those positions were coalesced away on the server).
    std::function<void(const std::vector<StoredPoint>& events)> on_telemetry;
    // The server accepted an in-band refresh: the session now lasts until token_exp (Unix seconds) plus
    // hello.token_grace_s.
    std::function<void(std::int64_t token_exp)> on_auth_ok;
    std::function<void(State)> on_state;
    // The current connection ended: the server's close code and reason, 1006 and the error text when the
    // connection dropped without a close frame, or 1000 and the client's reason when it closed it itself
    // ("Normal closure" for close() and an empty token, "Telemetry gap" for loss). Fires before the
    // matching on_state.
    std::function<void(std::uint16_t code, const std::string& reason)> on_close;
    std::function<void()> on_pong;  // answer to ping()
    // The server applied the view sent with id `view`: fires right after the on_snapshot of the scoped
    // snapshot that answers it. `unknown` lists the view's named devices and groups that are not the
    // tenant's (ignored by the server).
    std::function<void(std::uint64_t view, const std::vector<std::string>& unknown)> on_view;
    // Devices entered or left the view (`entered` before their first event in view, `left` after their
    // last one): drop `left` devices from a map or mark them out of view.
    std::function<void(const proto::ViewChangeMessage&)> on_view_change;
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
    // Protocol 1 servers only take the token in the URL (?token=, plus &since=&epoch= when resuming),
    // where proxies and browser consoles log it. In this mode a new token always opens a new connection.
    bool token_in_url = false;
    StreamOptions stream;  // what this client asks of every connection's stream; none set by default
    Callbacks callbacks;
    std::function<double()> random;  // uniform [0, 1) for backoff jitter; empty = std::mt19937_64
  };

  // Does not connect. Throws std::invalid_argument when base_url is not a usable URL, or a stream option is
  // out of range (flush_ms over kMaxFlushMs): the only throws.
  explicit Client(Options options);
  // close() and join the I/O thread; no callback runs after it returns.
  ~Client();  // NOLINT(bugprone-exception-escape): see the definition
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Different token: refreshes the open session in-band when it is for the same user and organization,
  // else closes the current socket (if any) and connects with the new one (see above).
  // Same token: no effect. Empty token: disconnects and stays disconnected.
  void set_token(std::string token);
  // Connects with the current token unless already connected or connecting; without a token it only logs
  // a warning. Also the way to retry after a 1008 close with the same token.
  void connect();
  // Closes the socket (1000) and cancels any pending reconnect. The token and the resume point are kept;
  // connect() resumes.
  void close();
  // Scopes the stream to `view` (see above); it replaces the previous view whole. A view with no boxes,
  // groups or devices returns to the whole tenant. Throws std::invalid_argument, with validate()'s message,
  // when the server would refuse the view. Each call sends a message: the server closes a session that sends
  // more than a burst of 10 views, then 5 per second ("1008 Too many views", after which the client waits as
  // after any 1008), so debounce a view that follows a user's panning.
  void set_view(View view);
  // Sends {"type":"ping"} when open; the server answers with pong (callbacks.on_pong).
  void ping();

  State state() const noexcept;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

const char* to_string(Client::State s) noexcept;

}  // namespace fleet
