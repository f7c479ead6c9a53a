#pragma once
// One connection's queue of telemetry not yet written. Owned by the connection and touched only on its
// worker's thread. Holds references into shared EncodedBatch bytes, never copies of them.
//
// Policy (docs/protocol.md, "Slow consumers"):
//   bytes <= soft  : keep everything, in seq order.
//   bytes >  soft  : coalesce: keep only the newest queued event per device.
//   still  >  hard : overflow; the owner closes the connection with 1013 (after the fan-out loop).
// A tenant's seqs are gap-free, so every gap between what the client was given and what it is given
// next is an event coalesced away (here, or by the broker for a worker that fell behind): take() reports
// the count, and the frame says `skipped`.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "core/ids.hpp"
#include "proto/messages.hpp"

namespace fleet::hub {

// A contiguous run of events [first, first + count) of one batch.
struct Slice {
  std::shared_ptr<const proto::EncodedBatch> batch;
  std::uint32_t first = 0;
  std::uint32_t count = 0;

  std::string_view bytes() const noexcept { return batch->slice(first, count); }
  Seq last_seq() const noexcept { return batch->events[first + count - 1].seq; }
};

struct OutboxLimits {
  std::size_t soft_bytes = 256 * 1024;
  std::size_t hard_bytes = 1024 * 1024;
};

class Outbox {
 public:
  enum class Push { ok, coalesced, overflow };

  explicit Outbox(OutboxLimits limits = {}) : limits_(limits) {}

  // Queues a batch from its event `first` on (events arrive in ascending seq per tenant), less any event
  // at or below the position (the client already has it).
  Push push(const std::shared_ptr<const proto::EncodedBatch>& batch, std::uint32_t first = 0);
  // Queues a resume's recovered events in front of everything queued (all of them have lower seqs), in
  // the order given. Never coalesces: the caller bounds what it recovers.
  void prepend(const std::shared_ptr<const proto::EncodedBatch>& batch);
  void prepend(std::vector<Slice>& slices);
  // Queues recovered events at the end (the outbox holds none newer yet). Never coalesces.
  void push_recovered(Slice slice);
  // Queues one event of a batch (a scoped view's match), extending the last slice when the event follows
  // it in the same batch, so a view that matches a run of events still costs one slice.
  Push push_event(const std::shared_ptr<const proto::EncodedBatch>& batch, std::uint32_t i);
  // Drops every queued event of the device with this index (it left a scoped view).
  void drop_device(std::uint32_t index);
  // A scoped stream: seq gaps are other devices' events, so take() reports no `skipped`.
  void set_scoped(bool scoped) noexcept { scoped_ = scoped; }
  // Devices (by index, a bitmap owned by the caller and outliving its use) whose events coalescing keeps.
  void set_never_coalesced(const std::vector<bool>* keep) noexcept { keep_ = keep; }

  // Moves queued slices into `out`, oldest first, up to about `max_bytes` (always at least one slice).
  // Returns the number of payload bytes moved. `skipped` (if given) receives how many events were
  // coalesced away between the previous take's last event (or the position) and this one's last event.
  std::size_t take(std::vector<Slice>& out, std::size_t max_bytes, std::uint64_t* skipped = nullptr);

  // Drops every queued event with seq <= `seq` (already covered by a snapshot); the position moves there.
  void drop_through(Seq seq);
  // The last seq the client has (from a snapshot or a resume): take() counts skipped events from here.
  void set_position(Seq seq) noexcept { position_ = seq; }

  bool empty() const noexcept { return head_ == slices_.size(); }
  std::size_t bytes() const noexcept { return bytes_; }
  std::size_t events() const noexcept { return events_; }
  // Events dropped by coalescing so far.
  std::uint64_t coalesced() const noexcept { return coalesced_; }

  // Keeps only the newest queued event per device, in seq order (done by push() above the soft limit, and
  // at each flush for a session that allows it). take() reports what went as skipped.
  void coalesce();

 private:
  OutboxLimits limits_;
  // A vector consumed from head_ rather than a deque: an empty std::deque still allocates ~600 bytes,
  // which idle sessions would pay for nothing. Reset to empty whenever fully drained.
  std::vector<Slice> slices_;
  std::size_t head_ = 0;
  std::size_t bytes_ = 0;  // sum of slice byte lengths (+1 separator each, an upper bound of the frame)
  std::size_t events_ = 0;
  std::uint64_t coalesced_ = 0;
  Seq position_ = 0;  // the seq of the last event taken, or the position set
  bool scoped_ = false;
  const std::vector<bool>* keep_ = nullptr;

  bool never_coalesced(std::uint32_t index) const noexcept {
    return keep_ != nullptr && index < keep_->size() && (*keep_)[index];
  }
  Push check_limits();
  // Rebuilds the queue from the events keep(slice, event) accepts, merging adjacent ones back into runs;
  // returns how many were dropped.
  template <class Keep>
  std::size_t retain(Keep keep, std::size_t reserve);
};

}  // namespace fleet::hub
