#pragma once
// One authenticated WebSocket viewer: connects, upgrades with `GET /ws?token=` (protocol 1) or without a
// token and sends it as the first message (protocol 2, optionally resuming), waits for `hello` and the
// snapshot, then reads `telemetry` (JSON) or `tc` (compact) frames and records per-event latency, sequence
// gaps and tenant isolation; can refresh its token in-band. Lives on one EventLoop thread; its counters may
// be read from other threads.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "counter.hpp"
#include "event_loop.hpp"
#include "histogram.hpp"
#include "net.hpp"
#include "session_wire.hpp"

namespace loadgen {

// What a group of viewers saw. Written by the group's loop thread only.
struct ViewerStats {
  Counter events;           // telemetry events received (deliveries)
  Counter frames;           // telemetry frames received
  Counter bytes;            // bytes read from sockets
  Counter tag_bytes;        // bytes of those the load generator's own attributes took (TelemetryEvent)
  Counter seq_gaps;         // events missing between consecutive seqs (coalescing or loss)
  Counter reordered;        // events with seq <= the previous one (duplicates or disorder: a bug)
  Counter foreign;          // events of another tenant (an isolation bug)
  Counter untagged;         // events without the load generator's t0 (not published by this run)
  Counter snapshots;        // snapshots received (one per connection, plus one answering each view)
  Counter view_changes;     // view_change frames received (devices crossing a view's edge)
  LatencyRecorder latency;  // publish -> read by this viewer, us
  // publish -> the frame's bytes arrived in this viewer's socket (the kernel's receive time stamp of the
  // last segment of the read): the server's delivery time without this process's own reading delay.
  LatencyRecorder arrival;
};

class WebSocketViewer;

class ViewerObserver {
 public:
  virtual void on_ready(WebSocketViewer& v) = 0;  // hello received
  // Live: the snapshot that follows hello arrived, or hello said `recovered:true` (no snapshot follows).
  virtual void on_live(WebSocketViewer&) {}
  // The server answered an in-band refresh (send_auth) with auth_ok.
  virtual void on_auth_ok(WebSocketViewer&) {}
  // The session ended: the server closed it (code/reason of its close frame), the connection failed
  // (code 0, reason says why), or the handshake was refused (code = -HTTP status).
  virtual void on_closed(WebSocketViewer& v) = 0;
  // No callback may start() the viewer again: restart it after EventLoop::poll() returns.

 protected:
  ~ViewerObserver() = default;
};

// How a session authenticates. Default: protocol 1, the token in the upgrade's query.
struct SessionOptions {
  bool token_in_first_message = false;  // protocol 2: no token in the URL, `auth` once the upgrade is done
  std::optional<ResumePoint> resume;    // with token_in_first_message: ask to resume from here
  StreamOptions stream;                 // with token_in_first_message: format and flush window asked for
  std::string after_hello;              // a text message sent as soon as hello arrives (e.g. a `view`)
};

class WebSocketViewer final : public IoHandler {
 public:
  // awaiting_snapshot: hello came and a snapshot follows (every hello but one with recovered:true).
  enum class State { idle, connecting, upgrading, awaiting_hello, awaiting_snapshot, open, closing, closed };

  WebSocketViewer(EventLoop& loop, const Endpoint& server, ViewerObserver& observer);
  ~WebSocketViewer();
  WebSocketViewer(const WebSocketViewer&) = delete;
  WebSocketViewer& operator=(const WebSocketViewer&) = delete;

  // Starts a session (the object can be reused once closed).
  void start(std::string_view token, int tenant_index, in_addr source, ViewerStats* stats,
             const ConnectOptions& options = {}, const SessionOptions& session = {});
  // In-band refresh: sends {"type":"auth","token":…} on the open session; on_auth_ok follows.
  void send_auth(std::string_view token);
  // Sends a text message (e.g. a `view`) on a session that has said hello.
  void send_text(std::string_view message);
  // Stops/resumes reading the socket: a slow consumer whose buffers fill up.
  void pause_reading();
  void resume_reading();
  // Sends a close frame (1000); the session ends when the server answers with its close frame.
  void close_gracefully();
  // Ends the session now with a TCP reset.
  void abort() noexcept;
  // Points the session's counters elsewhere (e.g. a resumed slow consumer counted on its own).
  void set_stats(ViewerStats* stats) noexcept { stats_ = stats; }

  // A number the owner chooses (e.g. the viewer's index in its group).
  void set_tag(std::size_t tag) noexcept { tag_ = tag; }
  std::size_t tag() const noexcept { return tag_; }

  State state() const noexcept { return state_; }
  int tenant_index() const noexcept { return tenant_index_; }
  std::int64_t started_us() const noexcept { return started_us_; }
  std::int64_t ready_us() const noexcept { return ready_us_; }
  std::int64_t live_us() const noexcept { return live_us_; }  // 0 until live
  std::uint64_t events_received() const noexcept { return events_received_; }
  // Bytes read on this session so far, and up to the read that made it live (what catching up cost).
  std::uint64_t bytes_read() const noexcept { return bytes_read_; }
  std::uint64_t bytes_until_live() const noexcept { return bytes_until_live_; }
  // Where a reconnect would resume: the newest seq applied and the epoch of this session's hello.
  std::uint64_t last_seq() const noexcept { return last_seq_; }
  const std::string& epoch() const noexcept { return epoch_; }
  std::optional<bool> recovered() const noexcept { return recovered_; }  // hello.recovered, if it was there
  // Bytes held for an unfinished frame: a snapshot's body is counted and dropped, never held.
  std::size_t buffered_bytes() const noexcept { return pending_.size(); }
  int close_code() const noexcept { return close_code_; }
  const std::string& close_reason() const noexcept { return close_reason_; }

  void on_io(std::uint32_t events) override;

 private:
  // Times of one read: when this process read it, and when its last byte arrived in the socket (both
  // CLOCK_MONOTONIC microseconds).
  struct ReadTimes {
    std::int64_t read_us;
    std::int64_t arrival_us;
  };
  std::size_t consume(std::string_view data, ReadTimes at);
  std::size_t consume_upgrade(std::string_view data);
  void on_message(std::string_view message, ReadTimes at);
  void on_hello(std::string_view message, ReadTimes at);
  void on_snapshot(ReadTimes at);
  void go_live(ReadTimes at);
  void on_telemetry(std::string_view frame, bool compact, ReadTimes at);
  void send_frame(std::uint8_t opcode, std::string_view payload);
  void write(std::string_view bytes);
  void finish(int code, std::string_view reason);
  void update_interest();

  EventLoop& loop_;
  const Endpoint& server_;
  ViewerObserver& observer_;
  ViewerStats* stats_ = nullptr;
  std::size_t tag_ = 0;
  int fd_ = -1;
  State state_ = State::idle;
  bool reading_ = true;
  int tenant_index_ = -1;
  std::string accept_key_;     // expected Sec-WebSocket-Accept
  std::string pending_;        // bytes of an incomplete frame (or of the upgrade response)
  std::string message_;        // a fragmented message being reassembled
  std::string out_;            // bytes the socket did not take yet
  std::string first_message_;  // protocol 2: the auth message, sent once the upgrade is answered
  std::string after_hello_;    // SessionOptions::after_hello
  // Bytes of a snapshot frame still to come. A snapshot is ~200 bytes per device and this process reads
  // nothing in it, so its body is dropped as it arrives: 10,000 viewers catching up at once must not
  // hold 10,000 snapshots.
  std::uint64_t skip_left_ = 0;
  std::int64_t started_us_ = 0;
  std::int64_t ready_us_ = 0;
  std::int64_t live_us_ = 0;
  std::uint64_t bytes_read_ = 0;
  std::uint64_t bytes_until_live_ = 0;
  std::string epoch_;
  std::optional<bool> recovered_;
  std::uint64_t last_seq_ = 0;
  std::uint64_t events_received_ = 0;
  int close_code_ = 0;
  std::string close_reason_;
};

// How a session ended, for failure tables: "1001 Server shutting down", "HTTP 401", or why the connection
// failed.
std::string describe_close(const WebSocketViewer& v);

}  // namespace loadgen
