#include "fleet/stream_tracker.hpp"

namespace fleet {

std::optional<proto::ResumePosition> StreamTracker::begin_connection() {
  phase_ = Phase::awaiting_hello;
  epoch_.clear();
  prev_ = 0;
  scoped_ = false;  // views are per connection: a new one starts with the whole tenant
  asked_resume_ = resume_.has_value();
  return resume_;
}

StreamTracker::Verdict StreamTracker::on_hello(const proto::Hello& hello) {
  // A second hello on one connection leaves the position in doubt.
  if (phase_ != Phase::awaiting_hello) return Verdict::loss;
  epoch_ = hello.epoch;
  if (asked_resume_ && hello.recovered == true) {
    // The server continues exactly after our `since`, in our epoch; anything else would be a gap or a
    // duplicate. Resuming again could only repeat it: start over with a snapshot instead.
    if (hello.seq != resume_->since || hello.epoch != resume_->epoch) {
      resume_.reset();
      return Verdict::loss;
    }
    prev_ = hello.seq;
    phase_ = Phase::live;
    return Verdict::apply;
  }
  // A fresh session, recovered:false, or a server that knows no resume: a snapshot follows. Until it is
  // applied, the previous resume point stays the truth about what the application holds.
  phase_ = Phase::awaiting_snapshot;
  return Verdict::apply;
}

StreamTracker::Verdict StreamTracker::on_snapshot(Seq seq) {
  if (phase_ == Phase::awaiting_hello) return Verdict::ignore;  // no hello: no epoch to place it in
  // A snapshot while live replaces the state too: the server resynchronised the session.
  phase_ = Phase::live;
  prev_ = seq;
  if (proto::is_valid_epoch(epoch_)) {
    resume_ = proto::ResumePosition{seq, epoch_};
  } else {
    resume_.reset();
  }
  return Verdict::apply;
}

StreamTracker::Verdict StreamTracker::on_telemetry(const proto::TelemetryMessage& frame) {
  const auto& events = frame.events;
  // No last event: nothing to apply and nothing to check. (A `skipped` here would be counted again by the
  // next frame's own `skipped`, which also runs from the last applied event.)
  if (events.empty()) return Verdict::ignore;
  // Events before the snapshot they build on cannot be applied.
  if (phase_ != Phase::live) return Verdict::loss;
  Seq previous = prev_;
  for (const StoredPoint& e : events) {
    if (e.seq <= previous) return Verdict::loss;  // a duplicate, or out of order
    previous = e.seq;
  }
  // Consistent iff last - prev == events + skipped (docs/protocol.md), written so nothing can overflow:
  // last > prev holds here, and a huge `skipped` just fails the comparison. A scoped stream's gaps are
  // other devices' events: ascending is all it promises.
  const Seq span = events.back().seq - prev_;
  if (!scoped_ && (frame.skipped > span || span - frame.skipped != events.size())) return Verdict::loss;
  prev_ = events.back().seq;
  if (resume_ && resume_->epoch == epoch_) {
    resume_->since = prev_;
  } else if (proto::is_valid_epoch(epoch_)) {
    resume_ = proto::ResumePosition{prev_, epoch_};
  }
  return Verdict::apply;
}

const char* to_string(StreamTracker::Phase p) noexcept {
  switch (p) {
    case StreamTracker::Phase::awaiting_hello: return "awaiting_hello";
    case StreamTracker::Phase::awaiting_snapshot: return "awaiting_snapshot";
    case StreamTracker::Phase::live: return "live";
  }
  return "unknown";
}

}  // namespace fleet
