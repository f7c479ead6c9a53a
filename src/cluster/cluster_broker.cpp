#include "cluster/cluster_broker.hpp"

#include <algorithm>
#include <boost/json/monotonic_resource.hpp>
#include <chrono>
#include <utility>

#include "cluster/bus_message.hpp"
#include "cluster/cluster_metrics.hpp"
#include "obs/log.hpp"
#include "obs/thread_name.hpp"

namespace fleet::cluster {

namespace {

SequencerOptions sequencer_options(const ClusterOptions& o) {
  SequencerOptions s = o.sequencer;
  s.hold_ms = o.hold_ms;
  return s;
}

}  // namespace

ClusterBroker::ClusterBroker(Bus* bus, SeqSource& source, hub::LocalBroker& local, proto::DeviceIndex& index,
                             ClusterOptions options, const Clock& clock)
    : bus_(bus),
      source_(source),
      local_(local),
      index_(index),
      options_(std::move(options)),
      clock_(clock),
      sequencer_(sequencer_options(options_)) {
  shared_->node_id = options_.node_id;
  shared_->index = &index_;
  shared_->max_batches = options_.max_queued;
  shared_->max_bytes = options_.max_queued_bytes;
  ClusterMetrics::get();  // registers the series, so they render (as 0) before the first event
}

ClusterBroker::~ClusterBroker() { stop(); }

bool ClusterBroker::Shared::push(Work w, std::size_t size, bool counted) {
  {
    std::lock_guard lock(mu);
    if (stopped) return false;
    if (counted) {
      if (batches + 1 > max_batches || bytes + size > max_bytes) {
        ClusterMetrics::get().queue_dropped.inc();
        return false;
      }
      ++batches;
      bytes += size;
    }
    work.push_back(std::move(w));
  }
  wake.notify_one();
  return true;
}

void ClusterBroker::Shared::receive(std::string_view subject, std::string_view payload) {
  const std::lock_guard alive(receiving);
  if (closed) return;
  // The parsed document lives in `scratch` (reused: one message at a time holds `receiving`) and spills
  // to the heap only for a message larger than it.
  boost::json::monotonic_resource arena(scratch.data(), scratch.size());
  auto msg = decode_bus_message(subject, payload, &arena);
  if (!msg) {
    ClusterMetrics::get().dropped_messages.inc();
    obs::debug("bus message dropped", {{"reason", msg.error().message}, {"field", msg.error().field}});
    return;
  }
  if (msg->node == node_id) return;  // already offered locally when it was committed
  auto batch = proto::encode_batch(std::move(msg->tenant), msg->points, *index);
  const std::size_t size = batch->bytes.size();
  push(Remote{std::move(batch), msg->sent_ms}, size, true);
}

void ClusterBroker::start() {
  if (thread_.joinable()) return;
  if (bus_) {
    bus_->subscribe([shared = shared_](std::string_view subject, std::string_view payload) {
      shared->receive(subject, payload);
    });
  }
  thread_ = std::thread([this] { run(); });
}

void ClusterBroker::stop() {
  {
    const std::lock_guard lock(shared_->receiving);  // waits for a message being decoded now
    shared_->closed = true;
  }
  {
    std::lock_guard lock(shared_->mu);
    shared_->stopped = true;
  }
  shared_->wake.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ClusterBroker::publish(std::shared_ptr<const proto::EncodedBatch> batch) {
  if (!batch || batch->events.empty()) return;
  if (bus_) {
    std::string subject = subject_for(batch->tenant);
    std::string payload = encode_bus_message(*batch, options_.node_id, clock_.now_ms());
    if (options_.publish_delay_ms > 0) {
      std::lock_guard lock(shared_->mu);
      shared_->delayed.push_back(
          Delayed{clock_.now_ms() + options_.publish_delay_ms, std::move(subject), std::move(payload)});
    } else {
      bus_->publish(subject, payload);
    }
  }
  const std::size_t size = batch->bytes.size();
  shared_->push(Local{std::move(batch)}, size, true);
}

bool ClusterBroker::ready() const noexcept {
  std::lock_guard lock(state_mu_);
  return ready_;
}

Seq ClusterBroker::delivered(const TenantId& tenant) const {
  std::lock_guard lock(state_mu_);
  auto it = delivered_.find(tenant);
  return it == delivered_.end() ? 0 : it->second;
}

void ClusterBroker::run() {
  obs::set_thread_name("fleet-cluster");
  std::vector<Work> work;
  Batches out;
  next_probe_ms_ = clock_.now_ms();  // the first probe loads the heads
  for (;;) {
    {
      std::unique_lock lock(shared_->mu);
      const std::int64_t now = clock_.now_ms();
      std::int64_t wait_ms = options_.probe_ms;
      if (!probe_in_flight_) wait_ms = std::min(wait_ms, next_probe_ms_ - now);
      // A gap may come due without any event: look again at a quarter of the hold.
      if (sequencer_.has_gaps())
        wait_ms = std::min<std::int64_t>(wait_ms, std::max<std::int64_t>(options_.hold_ms / 4, 1));
      if (!shared_->delayed.empty()) wait_ms = std::min(wait_ms, shared_->delayed.front().due_ms - now);
      shared_->wake.wait_for(lock, std::chrono::milliseconds(std::max<std::int64_t>(wait_ms, 0)),
                             [&] { return shared_->stopped || !shared_->work.empty(); });
      if (shared_->stopped) return;
      work.swap(shared_->work);
      shared_->batches = 0;
      shared_->bytes = 0;
    }
    const std::int64_t now = clock_.now_ms();
    for (Work& w : work) handle(w, now, out);
    work.clear();
    if (!out.empty()) {
      for (auto& b : out) local_.publish(b);
      std::lock_guard lock(state_mu_);
      for (auto& b : out) delivered_[b->tenant] = b->last_seq();
      out.clear();
    }
    send_due_delayed(now);
    if (!probe_in_flight_ && now >= next_probe_ms_) probe();
    for (RepairDue& due : sequencer_.take_repairs(now)) {
      TenantId tenant = due.tenant;
      const Seq after = due.after;
      source_.events_after(std::move(tenant), after, options_.max_repair,
                           [shared = shared_, due = std::move(due)](Result<store::Recovery> r) mutable {
                             shared->push(RepairAnswer{std::move(due), std::move(r)}, 0, false);
                           });
    }
  }
}

void ClusterBroker::probe() {
  probe_in_flight_ = true;
  source_.heads([shared = shared_](Result<std::vector<TenantHead>> heads) {
    shared->push(HeadsAnswer{std::move(heads)}, 0, false);
  });
}

void ClusterBroker::send_due_delayed(std::int64_t now_ms) {
  std::deque<Delayed> due;
  {
    std::lock_guard lock(shared_->mu);
    while (!shared_->delayed.empty() && shared_->delayed.front().due_ms <= now_ms) {
      due.push_back(std::move(shared_->delayed.front()));
      shared_->delayed.pop_front();
    }
  }
  for (Delayed& d : due) bus_->publish(d.subject, d.payload);
}

void ClusterBroker::handle(Work& work, std::int64_t now_ms, Batches& out) {
  if (auto* local = std::get_if<Local>(&work)) {
    sequencer_.offer(std::move(local->batch), now_ms, out);
  } else if (auto* remote = std::get_if<Remote>(&work)) {
    ClusterMetrics::get().lag.observe_us((now_ms - remote->sent_ms) * 1000);
    sequencer_.offer(std::move(remote->batch), now_ms, out);
  } else if (auto* heads = std::get_if<HeadsAnswer>(&work)) {
    probe_in_flight_ = false;
    next_probe_ms_ = now_ms + options_.probe_ms;
    if (!heads->heads) {
      obs::warn("cluster probe failed", {{"error", heads->heads.error().message}});
      return;
    }
    if (!sequencer_.initialised()) {
      sequencer_.init(*heads->heads, now_ms, out);
      std::lock_guard lock(state_mu_);
      ready_ = true;
    } else {
      sequencer_.heads(*heads->heads, now_ms);
    }
  } else if (auto* repair = std::get_if<RepairAnswer>(&work)) {
    handle_repair(*repair, now_ms, out);
  }
}

void ClusterBroker::handle_repair(RepairAnswer& answer, std::int64_t now_ms, Batches& out) {
  ClusterMetrics& m = ClusterMetrics::get();
  const TenantId& tenant = answer.due.tenant;
  if (!answer.recovery) {
    obs::warn("cluster repair failed",
              {{"tenant", tenant.str()}, {"error", answer.recovery.error().message}});
    sequencer_.repair_done(tenant, now_ms);
    return;
  }
  store::Recovery& r = *answer.recovery;
  const Seq before = sequencer_.delivered(tenant);
  if (r.complete) {
    if (!r.points.empty()) sequencer_.offer(proto::encode_batch(tenant, r.points, index_), now_ms, out);
    sequencer_.repair_done(tenant, now_ms);
    const Seq after = sequencer_.delivered(tenant);
    if (after > before) {
      m.gaps_repaired.inc();
      m.repaired_events.inc(after - before);
      m.repair.observe_us((now_ms - answer.due.gap_since_ms) * 1000);
    }
  } else if (r.seq > answer.due.after + options_.max_repair) {
    // More than the cap is missing: give up the oldest, keep the newest max_repair for the next repair
    // (due at once). Sessions report the jump as `skipped`.
    const Seq to = r.seq - options_.max_repair;
    sequencer_.skip_to(tenant, to, now_ms, out);
    m.skipped_events.inc(sequencer_.delivered(tenant) - before);
    obs::warn("cluster repair over the cap: events skipped",
              {{"tenant", tenant.str()}, {"after", std::uint64_t{before}}, {"to", std::uint64_t{to}}});
  } else {
    sequencer_.repair_done(tenant, now_ms);  // nothing to read yet (the head is not past `after`)
  }
}

}  // namespace fleet::cluster
