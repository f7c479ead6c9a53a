#pragma once
// One WebSocket connection over the raw TCP socket: RFC 6455 framing is ours (net/ws_frame), the opening
// handshake was checked by HttpSession (net/ws_handshake). Authenticates (by the upgrade's token, or by
// the first message), sends hello and then a snapshot or the events a resuming client missed, then live
// telemetry from the worker's hub; takes in-band token refreshes (docs/protocol.md).
//
// Thread: lives on one worker and is touched only on its thread.
// Writes: exactly one write in flight. A flush gathers everything queued (control frames first, then one
// telemetry frame from the outbox) into one non-blocking sendmsg; only what the kernel does not take now
// is kept, and an async_wait(write) continues it. Everything queued meanwhile waits for the next flush.
// Reads: an idle session owns no buffer and has one pending async_wait(read); it reads into the worker's
// scratch buffer and keeps bytes only for an unfinished frame or message.
// Timers: none of its own. The worker's sweep calls on_sweep for the handshake, idle, token-expiry and
// close-handshake deadlines.
// Lifetime: shared_ptr, held by the pending wait operations and by in-flight auth/snapshot callbacks.
#include <sys/uio.h>

#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "auth/authenticator.hpp"
#include "hub/scoped_view.hpp"
#include "hub/tenant_hub.hpp"
#include "net/net_context.hpp"
#include "net/ws_frame.hpp"
#include "proto/client_messages.hpp"
#include "proto/close_codes.hpp"
#include "proto/messages.hpp"
#include "store/store.hpp"

namespace fleet::net {

class Worker;

// What the upgrade request said about authentication and resume.
struct WsStart {
  // From `?token=` or `Authorization`; nullopt when neither is there: the first message authenticates.
  std::optional<std::string> token;
  std::optional<proto::ResumePosition> resume;  // `?since=&epoch=`
  bool invalid_resume = false;                  // one of them malformed, or one without the other
  std::optional<proto::StreamOptions> options;  // `?format=&flush_ms=&coalesce=`
  bool invalid_options = false;                 // one of them malformed
};

// When a session with a token expiring at `exp_s` must end, in wall-clock ms: (exp_s + grace_s) * 1000,
// saturated to the int64 range, so no `exp` a signed token may carry overflows it.
std::int64_t session_deadline_ms(std::int64_t exp_s, std::int64_t grace_s) noexcept;

class WsSession final : public std::enable_shared_from_this<WsSession>,
                        public hub::Subscriber,
                        private ws::FrameSink {
 public:
  // `slot` (from the HTTP connection) counts the session against the connection caps until it
  // authenticates; from then on it counts against --max-connections alone.
  WsSession(boost::asio::ip::tcp::socket&& socket, Worker& worker, NetContext& ctx, ConnectionSlot slot = {});
  ~WsSession() override;

  // Completes the upgrade with `switching_protocols` (the 101 response bytes), parses `early_bytes` (what
  // the client sent after its upgrade request, already read by HttpSession), then authenticates the
  // upgrade's token, or waits for an auth message. Call once, right after construction, from a shared_ptr.
  void run(std::string switching_protocols, WsStart start, std::string_view early_bytes);

  // Graceful shutdown: close with 1001.
  void shutdown();

  hub::Outbox& outbox() noexcept override { return outbox_; }
  // Queues a flush on the worker's next drain, so a burst of publishes becomes one frame.
  void on_ready() override;
  void on_overflow() override { close(proto::CloseReason::slow_consumer); }
  hub::ScopedView* scoped() noexcept override { return &view_; }
  // Called by the worker's drain.
  void flush_now();
  // Called by the worker when this session's flush window ends.
  void on_window();
  // Called by the worker's sweep with the current time. Never destroys a session synchronously.
  void on_sweep(std::chrono::steady_clock::time_point now);

 private:
  enum class Phase : std::uint8_t {
    awaiting_auth,   // no token in the upgrade: the first message must be `auth`
    authenticating,  // the token is being verified
    starting,        // authenticated and subscribed: waiting for the snapshot or the store's recovery
    live,
    closing,
    closed,
  };

  // The close handshake from our side. Our close frame is the last frame we send.
  enum class Closing : std::uint8_t {
    open,      // no close frame queued
    queued,    // our close frame is queued, or part of the write in flight
    sent,      // written; deadline_ bounds the wait for the peer's close (or its hang-up)
    draining,  // written after the peer failed the protocol: our FIN is out, the peer's bytes are dropped
  };
  // What ends the connection once our close frame is written.
  enum class AfterClose : std::uint8_t {
    await_peer,  // we closed: the peer answers with its close (or hangs up), within deadline_
    hang_up,     // the peer's close came while ours was queued: the handshake is complete
    // We echo the peer's clean close: the echo waits for the FIN and shares its segment (one segment and
    // one wake-up less for the peer).
    hang_up_with_fin,
    // The peer failed the protocol: half-close, then read and drop what it still sends (bounded) before
    // closing, since closing with unread bytes sends a reset that destroys the close frame on its way.
    drain,
  };

  // A queued frame (or the raw 101 response when header_size is 0) with its payload owned here.
  struct OutFrame {
    std::string payload;
    ws::HeaderBytes header{};
    std::uint8_t header_size = 0;
  };

  void authenticate(std::string_view token);
  void on_auth(auth::AuthOutcome outcome);
  // Authenticated as `hello` says: subscribe, then resume or send a snapshot.
  void enter(proto::Hello hello);
  // Sends hello with the missed events (recovered:true) when the ring or the store has all of them,
  // else falls back to a snapshot (recovered:false).
  void resume(proto::Hello hello);
  void on_recovery(proto::Hello hello, Result<store::Recovery> recovery);
  // Seeds the worker's ring with what the store read (when it is contiguous with the ring) and takes the
  // recovery from the ring, so later resumes of the tenant need no store read. False: use the read itself.
  bool recover_through_ring(const store::Recovery& recovery, std::vector<hub::Slice>& out);
  void request_snapshot(proto::Hello hello);
  void on_snapshot(proto::Hello hello, Result<store::Snapshot> snapshot);
  void go_live();

  void on_auth_message(proto::ClientMessage message);

  // Share sessions (ws_session_view.cpp): a share token instead of a JWT; a view fixed to its devices.
  void authenticate_share(std::string_view token);
  // Views (ws_session_view.cpp; docs/protocol.md, "Views").
  void on_view_message(proto::ClientMessage message);
  bool take_view_allowance();
  // Installs the view with the devices known so far, then asks for the snapshot that confirms it.
  void start_view(proto::ViewSpec spec, std::vector<DeviceId> group_devices,
                  std::vector<std::string> unknown);
  void on_view_snapshot(std::uint64_t generation, proto::ViewSpec spec, std::vector<DeviceId> group_devices,
                        std::vector<std::string> unknown, Result<store::Snapshot> snapshot);
  // Confirms the view's named devices against `snapshot`, installs it and queues the scoped snapshot.
  void apply_view_snapshot(proto::ViewSpec spec, std::span<const DeviceId> group_devices,
                           std::vector<std::string> unknown, const store::Snapshot& snapshot);
  // Enters with the view the auth message carried (its groups resolved first): the first snapshot is
  // scoped, and a resume gives way to it.
  void enter_with_view(proto::Hello hello);
  struct PendingView {
    proto::ViewSpec spec;
    std::vector<DeviceId> group_devices;
    std::vector<std::string> unknown;
  };
  // Builds the filter (named and group devices resolved to indexes by `resolve`) and routes by it.
  template <class Resolve>
  void install_view(const proto::ViewSpec& spec, std::span<const DeviceId> group_devices, bool has_groups,
                    Resolve&& resolve);
  // The devices of `snapshot` the current view holds; their indexes in `inside`.
  std::vector<Device> scoped_devices(const store::Snapshot& snapshot, std::vector<std::uint32_t>& inside,
                                     std::vector<std::uint32_t>& indexes);
  void queue_snapshot(const store::Snapshot& snapshot, const proto::SnapshotScope* scope);
  // Queues the view_change frame of the crossings since the last one.
  void queue_view_changes();
  // Telemetry may be written now: a min_interval view holds it until its window ends.
  bool telemetry_due() const noexcept;
  std::uint32_t window_ms() const noexcept { return std::max(options_.flush_ms, view_interval_ms_); }
  // Token bucket for auth messages: a burst of kAuthBurst, then one per kAuthRefill.
  bool take_auth_allowance();
  void refresh(std::string_view token);
  void on_refresh(std::uint64_t generation, auth::AuthOutcome outcome);

  void on_readable();
  void wait_readable();
  // Reading goes on: not closed, no protocol error or close handshake ending, not paused by a stuck write.
  bool may_read() const noexcept;
  void consume(std::span<char> bytes);
  void on_text(std::string_view message) override;
  void on_binary(std::string_view message) override;
  void on_ping(std::string_view payload) override;
  void on_pong(std::string_view payload) override;
  void on_close(std::uint16_t code, std::string_view reason) override;

  void queue(ws::Opcode op, std::string payload);
  void flush();
  bool has_output() const noexcept;
  // Appends the next telemetry frame (from the outbox) to the worker's gather list.
  void gather_telemetry(std::vector<iovec>& iov);
  // The compact form of that frame, preceded by a `devices` frame naming indexes not announced yet.
  void gather_compact(std::vector<iovec>& iov, std::span<const hub::Slice> slices, std::uint64_t skipped);
  // A telemetry frame's head in either format: `plain`, or with `skipped` when events were left out
  // (built in skipped_head_).
  std::string_view frame_head(std::uint64_t skipped, std::string_view plain, std::string_view skipped_head,
                              std::string_view skipped_mid);
  // Marks `index` announced on this connection; true when it was not yet.
  bool announce(std::uint32_t index);
  void write_done();
  // The write in flight ends with our echo of the peer's clean close: send it with MSG_MORE, so it leaves
  // in the FIN's segment.
  bool echo_waits_for_fin() const noexcept {
    return close_in_write_ && after_close_ == AfterClose::hang_up_with_fin;
  }
  void on_writable(boost::system::error_code ec);

  void close(proto::CloseReason reason);
  void send_close(std::uint16_t code, std::string_view reason);
  // A failed connection's close frame is written: half-close and discard the peer's bytes (bounded).
  void start_drain();
  // Ends the connection now: no close handshake (or it is over). Pending waits complete later, aborted.
  void teardown();
  void leave_hub();

  boost::asio::ip::tcp::socket socket_;
  Worker& worker_;
  NetContext& ctx_;
  ConnectionSlot unauthenticated_slot_;  // released once the first token is accepted
  ws::FrameReader reader_;
  hub::Outbox outbox_;
  hub::ScopedView view_{outbox_};
  TenantId tenant_;
  UserId user_;
  std::int64_t expiry_ms_ = 0;                   // wall clock: token exp + grace (session_deadline_ms)
  std::optional<proto::ResumePosition> resume_;  // asked for by the upgrade or the first auth message
  std::optional<proto::ViewSpec> initial_view_;  // the first auth message's view
  std::optional<PendingView> pending_view_;      // that view, resolved, until the first snapshot
  std::optional<std::string> deferred_auth_;     // a refresh sent before hello, handled once live
  std::uint64_t refresh_generation_ = 0;         // the newest refresh in flight wins
  double auth_allowance_;                        // token bucket of auth messages
  std::chrono::steady_clock::time_point auth_refilled_;
  std::chrono::steady_clock::time_point
      deadline_;                                   // handshake, then close handshake (once our close is sent)
  std::chrono::steady_clock::time_point last_rx_;  // last bytes from the peer
  std::vector<OutFrame> control_;  // queued frames, sent before telemetry; empty (no capacity) when idle
  std::vector<OutFrame> sending_;  // frames of the write in flight, when the kernel did not take it at once
  std::vector<hub::Slice> inflight_;  // slices of that write (keeps the shared bytes alive)
  std::vector<iovec> rest_;           // what is left of that write
  std::size_t rest_pos_ = 0;
  ws::HeaderBytes telemetry_header_{};
  std::string skipped_head_;      // the telemetry head with `skipped`, when the frame being written has one
  proto::StreamOptions options_;  // fixed at the start (docs/protocol.md, "Stream options")
  bool options_asked_ = false;    // the client sent options: hello echoes them
  bool window_armed_ = false;     // a flush window is scheduled with the worker
  std::vector<bool> announced_;   // compact: the device indexes this connection has named
  std::vector<proto::IndexedDevice> to_announce_;  // scratch of one gather
  std::string announce_;                           // the `devices` frame of the write in flight
  ws::HeaderBytes announce_header_{};
  Phase phase_ = Phase::authenticating;
  proto::CloseReason close_reason_ = proto::CloseReason::normal;
  bool subscribed_ = false;
  bool writing_ = false;         // a write waits for the socket to become writable
  bool flush_queued_ = false;    // on the worker's ready list
  bool ping_sent_ = false;       // keep-alive ping sent since the peer last spoke
  bool read_paused_ = false;     // too many answers queued behind a stuck write: stop reading until it moves
  bool close_in_write_ = false;  // our close frame is part of the write in flight (write bookkeeping)
  Closing closing_ = Closing::open;
  AfterClose after_close_ = AfterClose::await_peer;
  std::size_t drained_ = 0;
  // Views.
  std::uint64_t view_generation_ = 0;       // the newest view wins
  std::optional<std::uint64_t> view_id_;    // of the installed view, for view_change
  std::uint32_t view_interval_ms_ = 0;      // min_interval_ms of the installed view
  static constexpr double kViewBurst = 10;  // docs/protocol.md: a burst of 10, then 5 per second
  static constexpr double kViewsPerSecond = 5;
  double view_allowance_ = kViewBurst;  // token bucket of view messages
  std::chrono::steady_clock::time_point view_refilled_;
  // A share session: the share and its devices (the view never reaches beyond them).
  std::string share_id_;
  std::vector<DeviceId> share_devices_;
  bool read_wait_pending_ = false;  // an async_wait(read) is outstanding
};

}  // namespace fleet::net
