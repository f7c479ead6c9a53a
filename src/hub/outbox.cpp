#include "hub/outbox.hpp"

#include <algorithm>

namespace fleet::hub {
namespace {

std::size_t cost(const Slice& s) noexcept { return s.bytes().size() + 1; }

// Appends event i of `batch` to `out`, extending the last slice when the event follows it in the same
// batch, and keeps `bytes` (the slices' cost) current.
void append_run(std::vector<Slice>& out, const std::shared_ptr<const proto::EncodedBatch>& batch,
                std::uint32_t i, std::size_t& bytes) {
  if (!out.empty() && out.back().batch == batch && out.back().first + out.back().count == i) {
    bytes -= cost(out.back());
    ++out.back().count;
  } else {
    out.push_back(Slice{batch, i, 1});
  }
  bytes += cost(out.back());
}

}  // namespace

template <class Keep>
std::size_t Outbox::retain(Keep keep, std::size_t reserve) {
  std::vector<Slice> kept;
  kept.reserve(reserve);
  std::size_t bytes = 0;
  std::size_t events = 0;
  for (std::size_t si = head_; si < slices_.size(); ++si) {
    const Slice& from = slices_[si];
    for (std::uint32_t i = from.first; i < from.first + from.count; ++i) {
      if (!keep(si, i)) continue;
      ++events;
      append_run(kept, from.batch, i, bytes);
    }
  }
  const std::size_t dropped = events_ - events;
  events_ = events;
  bytes_ = bytes;
  slices_ = std::move(kept);
  head_ = 0;
  return dropped;
}

Outbox::Push Outbox::push(const std::shared_ptr<const proto::EncodedBatch>& batch, std::uint32_t first) {
  // A snapshot served from the store's cache may already cover a batch still on its way to this worker
  // (the cache is updated before the batch is published): what the client has is never queued again.
  if (batch->events.empty() || batch->last_seq() <= position_) return Push::ok;
  while (first < batch->events.size() && batch->events[first].seq <= position_) ++first;
  if (first >= batch->events.size()) return Push::ok;
  Slice s{batch, first, static_cast<std::uint32_t>(batch->events.size()) - first};
  bytes_ += cost(s);
  events_ += s.count;
  slices_.push_back(std::move(s));
  return check_limits();
}

Outbox::Push Outbox::check_limits() {
  if (bytes_ <= limits_.soft_bytes) return Push::ok;
  coalesce();
  return bytes_ > limits_.hard_bytes ? Push::overflow : Push::coalesced;
}

Outbox::Push Outbox::push_event(const std::shared_ptr<const proto::EncodedBatch>& batch, std::uint32_t i) {
  if (batch->events[i].seq <= position_) return Push::ok;
  append_run(slices_, batch, i, bytes_);  // slices_ holds no consumed slice behind a live one
  ++events_;
  return check_limits();
}

void Outbox::drop_device(std::uint32_t index) {
  bool any = false;
  for (std::size_t si = head_; si < slices_.size() && !any; ++si) {
    const Slice& s = slices_[si];
    for (std::uint32_t i = s.first; i < s.first + s.count && !any; ++i)
      any = s.batch->events[i].index == index;
  }
  if (any)
    retain([&](std::size_t si, std::uint32_t i) { return slices_[si].batch->events[i].index != index; }, 0);
}

void Outbox::prepend(const std::shared_ptr<const proto::EncodedBatch>& batch) {
  if (batch->events.empty()) return;
  Slice s{batch, 0, static_cast<std::uint32_t>(batch->events.size())};
  bytes_ += cost(s);
  events_ += s.count;
  if (head_ > 0) {
    slices_[--head_] = std::move(s);
  } else {
    slices_.insert(slices_.begin(), std::move(s));
  }
}

void Outbox::prepend(std::vector<Slice>& slices) {
  std::vector<Slice> merged;
  merged.reserve(slices.size() + slices_.size() - head_);
  for (Slice& s : slices) {
    if (s.count == 0) continue;
    bytes_ += cost(s);
    events_ += s.count;
    merged.push_back(std::move(s));
  }
  for (std::size_t i = head_; i < slices_.size(); ++i) merged.push_back(std::move(slices_[i]));
  slices_ = std::move(merged);
  head_ = 0;
  slices.clear();
}

void Outbox::push_recovered(Slice slice) {
  if (slice.count == 0) return;
  bytes_ += cost(slice);
  events_ += slice.count;
  slices_.push_back(std::move(slice));
}

void Outbox::coalesce() {
  // Newest event per device wins; survivors keep their seq order. Devices are told apart by their dense
  // per-tenant index (proto::DeviceIndex; an outbox holds one tenant), so two passes over a scratch table
  // indexed by it do the job: no hashing, no sorting, and no allocation once the table has grown. Runs
  // over the soft limit and at each flush of a session that asked for coalescing.
  thread_local std::vector<std::uint64_t> newest;  // index -> position of its newest event, or kNone
  constexpr std::uint64_t kNone = ~std::uint64_t{0};
  const auto position = [](std::size_t si, std::uint32_t i) { return (std::uint64_t{si} << 32) | i; };
  std::size_t devices = 0;
  std::size_t exempt = 0;  // events of devices never coalesced
  for (std::size_t si = head_; si < slices_.size(); ++si) {
    const Slice& s = slices_[si];
    for (std::uint32_t i = s.first; i < s.first + s.count; ++i) {
      const std::uint32_t index = s.batch->events[i].index;
      if (never_coalesced(index)) {
        ++exempt;
        continue;
      }
      if (index >= newest.size()) newest.resize(std::max<std::size_t>(index + 1, newest.size() * 2), kNone);
      if (newest[index] == kNone) ++devices;
      newest[index] = position(si, i);
    }
  }
  if (devices + exempt == events_) {  // one event per device: nothing to drop (the common case at a flush)
    for (std::size_t si = head_; si < slices_.size(); ++si) {
      const Slice& s = slices_[si];
      for (std::uint32_t i = s.first; i < s.first + s.count; ++i) {
        const std::uint32_t index = s.batch->events[i].index;
        if (!never_coalesced(index)) newest[index] = kNone;
      }
    }
    return;
  }
  coalesced_ += retain(
      [&](std::size_t si, std::uint32_t i) {
        const std::uint32_t index = slices_[si].batch->events[i].index;
        if (never_coalesced(index)) return true;
        std::uint64_t& slot = newest[index];
        if (slot != position(si, i)) return false;
        slot = kNone;  // leaves the table clean for the next call
        return true;
      },
      devices + exempt);
}

std::size_t Outbox::take(std::vector<Slice>& out, std::size_t max_bytes, std::uint64_t* skipped) {
  std::size_t moved = 0;
  std::uint64_t events = 0;
  const std::size_t first_out = out.size();
  while (head_ < slices_.size()) {
    Slice& s = slices_[head_];
    const std::size_t c = cost(s);
    if (moved > 0 && moved + c > max_bytes) break;
    moved += c;
    bytes_ -= c;
    events_ -= s.count;
    events += s.count;
    out.push_back(std::move(s));
    ++head_;
  }
  std::uint64_t gap = 0;
  if (out.size() > first_out) {
    const Seq last = out.back().last_seq();
    if (!scoped_ && last > position_ && last - position_ > events) gap = last - position_ - events;
    position_ = last;
  }
  if (skipped != nullptr) *skipped = gap;
  if (head_ == slices_.size()) {
    slices_.clear();  // keeps capacity for the next burst
    head_ = 0;
  }
  return moved;
}

void Outbox::drop_through(Seq seq) {
  if (seq > position_) position_ = seq;
  while (head_ < slices_.size()) {
    Slice& s = slices_[head_];
    std::uint32_t skip = 0;
    while (skip < s.count && s.batch->events[s.first + skip].seq <= seq) ++skip;
    if (skip == 0) return;
    bytes_ -= cost(s);
    events_ -= skip;
    if (skip == s.count) {
      s.batch.reset();
      if (++head_ == slices_.size()) {
        slices_.clear();
        head_ = 0;
      }
      continue;
    }
    s.first += skip;
    s.count -= skip;
    bytes_ += cost(s);
    return;
  }
}

}  // namespace fleet::hub
