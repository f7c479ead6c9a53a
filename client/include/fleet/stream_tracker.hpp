#pragma once
// Where a live stream stands (docs/protocol.md, "Resume" and "Slow consumers"): which message a
// connection expects next, whether a telemetry frame is consistent with what was applied, and the point a
// reconnect resumes from. Pure bookkeeping, no I/O; fleet::Client owns one on its I/O thread.
//
// Invariant: `resume_point()` names a position the application has applied (a snapshot, or events after
// one) together with the epoch of the seq space it belongs to. It moves only when a snapshot or a
// consistent telemetry frame is applied, so a connection that drops half-way (a hello without its
// snapshot, a frame with a gap) never moves it. A stream whose hello has no valid epoch (a protocol 1
// server sends none; proto::is_valid_epoch) has no resume point: the server would refuse it.
//
// A scoped stream (docs/protocol.md, "Views": the session asked for a view) leaves out other devices'
// events, so its seq has gaps the server does not explain: while scoped, a frame is consistent when its
// events ascend above the last applied seq, whatever the gap. Each connection starts unscoped.
#include <optional>
#include <string>
#include <string_view>

#include "core/ids.hpp"
#include "proto/client_messages.hpp"
#include "proto/message_decode.hpp"

namespace fleet {

class StreamTracker {
 public:
  enum class Phase {
    awaiting_hello,     // connected (or connecting); nothing received yet
    awaiting_snapshot,  // hello said a snapshot follows (fresh session or recovered:false)
    live,               // telemetry applies on top of what was applied before
  };

  enum class Verdict {
    apply,   // deliver the message to the application
    ignore,  // nothing to deliver (an empty frame, a snapshot before any hello)
    loss,    // the stream is inconsistent: drop the connection and reconnect (resume_point() is unchanged)
  };

  // A new connection starts. Returns what its auth message carries: the resume point, if there is one.
  std::optional<proto::ResumePosition> begin_connection();

  Verdict on_hello(const proto::Hello& hello);
  Verdict on_snapshot(Seq seq);
  Verdict on_telemetry(const proto::TelemetryMessage& frame);

  // Whether the current connection's stream may be scoped by a view (gaps in seq are then not loss).
  void set_scoped(bool scoped) noexcept { scoped_ = scoped; }
  bool scoped() const noexcept { return scoped_; }

  // Another user or organization: its seq space is not ours, so the next connection starts fresh.
  void forget() noexcept { resume_.reset(); }

  const std::optional<proto::ResumePosition>& resume_point() const noexcept { return resume_; }
  Phase phase() const noexcept { return phase_; }
  // The seq the next frame must continue from (meaningful while live; for logs and tests).
  Seq last_seq() const noexcept { return prev_; }

 private:
  Phase phase_ = Phase::awaiting_hello;
  bool asked_resume_ = false;  // the current connection sent since + epoch
  bool scoped_ = false;        // the current connection's stream may leave out events (a view)
  std::string epoch_;          // hello.epoch of the current connection
  Seq prev_ = 0;               // while live: the last seq of the stream, what the next frame continues
  std::optional<proto::ResumePosition> resume_;
};

const char* to_string(StreamTracker::Phase p) noexcept;

}  // namespace fleet
