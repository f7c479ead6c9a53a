#include "viewer_pool.hpp"

#include <stdexcept>

#include "clock.hpp"

namespace loadgen {

ViewerTotals ViewerTotals::since(const ViewerTotals& earlier) const {
  ViewerTotals d;
  d.events = events - earlier.events;
  d.frames = frames - earlier.frames;
  d.bytes = bytes - earlier.bytes;
  d.tag_bytes = tag_bytes - earlier.tag_bytes;
  d.seq_gaps = seq_gaps - earlier.seq_gaps;
  d.reordered = reordered - earlier.reordered;
  d.foreign = foreign - earlier.foreign;
  d.untagged = untagged - earlier.untagged;
  d.snapshots = snapshots - earlier.snapshots;
  d.view_changes = view_changes - earlier.view_changes;
  d.latency = latency.since(earlier.latency);
  d.arrival = arrival.since(earlier.arrival);
  return d;
}

void add_viewer_stats(ViewerTotals& t, const ViewerStats& s) {
  t.events += s.events.get();
  t.frames += s.frames.get();
  t.bytes += s.bytes.get();
  t.tag_bytes += s.tag_bytes.get();
  t.seq_gaps += s.seq_gaps.get();
  t.reordered += s.reordered.get();
  t.foreign += s.foreign.get();
  t.untagged += s.untagged.get();
  t.snapshots += s.snapshots.get();
  t.view_changes += s.view_changes.get();
  s.latency.snapshot_into(t.latency);
  s.arrival.snapshot_into(t.arrival);
}

class ViewerPool::Worker final : public ViewerObserver {
 public:
  Worker(ViewerPool& pool, std::size_t index, std::size_t stride, std::vector<ViewerSpec> specs)
      : pool_(pool), first_index_(index), stride_(stride), specs_(std::move(specs)) {}

  ~Worker() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

  void start() {
    thread_ = std::thread([this] { run(); });
  }

  std::uint64_t settled() const { return ready_.load() + failed_.load(); }
  std::uint64_t ready() const { return ready_.load(); }
  std::size_t size() const { return specs_.size(); }
  void request_resume_slow() { resume_slow_ = true; }
  void request_send(std::function<std::string(std::size_t)> message_for) {
    std::lock_guard lock(mu_);
    send_ = std::move(message_for);
    send_requested_ = true;
  }

  void report_into(ConnectReport& r) {
    std::lock_guard lock(mu_);
    r.ready += ready_.load();
    r.failed += specs_.size() - ready_.load();
    for (const auto& [why, n] : failures_) r.failures[why] += n;
    if (auto pending = specs_.size() - ready_.load() - failed_.load(); pending > 0) {
      r.failures["no hello before the deadline"] += pending;
    }
    handshake_.snapshot_into(r.handshake);
  }

  ViewerStats readers;
  ViewerStats slow;

  void on_ready(WebSocketViewer& v) override {
    handshake_.record(static_cast<std::uint64_t>(v.ready_us() - v.started_us()));
    --in_flight_;
    ready_.fetch_add(1);
    if (specs_[v.tag()].slow) {
      v.pause_reading();
    } else {
      pool_.live_readers_[static_cast<std::size_t>(v.tenant_index())].fetch_add(1);
    }
  }

  void on_closed(WebSocketViewer& v) override {
    std::string why = describe_close(v);
    if (v.ready_us() == 0) {
      --in_flight_;
      failed_.fetch_add(1);
      std::lock_guard lock(mu_);
      ++failures_[why];
      return;
    }
    if (!specs_[v.tag()].slow) pool_.live_readers_[static_cast<std::size_t>(v.tenant_index())].fetch_sub(1);
    pool_.closed_after_ready_.fetch_add(1);
    std::lock_guard lock(pool_.reasons_mu_);
    ++pool_.close_reasons_[why];
  }

 private:
  void run() {
    EventLoop loop;
    viewers_.reserve(specs_.size());
    for (std::size_t i = 0; i < specs_.size(); ++i) {
      viewers_.push_back(std::make_unique<WebSocketViewer>(loop, pool_.servers_[specs_[i].node], *this));
      viewers_.back()->set_tag(i);
    }
    const auto concurrency = static_cast<std::size_t>(pool_.options_.connect_concurrency);
    std::size_t next = 0;
    while (!stop_) {
      while (next < specs_.size() && in_flight_ < concurrency) {
        const ViewerSpec& spec = specs_[next];
        ConnectOptions opts;
        if (spec.slow) opts.receive_buffer = pool_.options_.slow_receive_buffer;
        ++in_flight_;
        SessionOptions session;
        session.token_in_first_message = pool_.options_.stream.any();
        session.stream = pool_.options_.stream;
        session.after_hello = spec.after_hello;
        viewers_[next]->start(spec.token, spec.tenant_index,
                              pool_.sources_.pick(first_index_ + next * stride_),
                              spec.slow ? &slow : &readers, opts, session);
        ++next;
      }
      if (resume_slow_.exchange(false)) {
        for (std::size_t i = 0; i < specs_.size(); ++i) {
          if (specs_[i].slow && viewers_[i]->state() != WebSocketViewer::State::closed)
            viewers_[i]->resume_reading();
        }
      }
      if (send_requested_.exchange(false)) {
        std::function<std::string(std::size_t)> message_for;
        {
          std::lock_guard lock(mu_);
          message_for = std::move(send_);
        }
        for (std::size_t i = 0; i < specs_.size(); ++i) {
          if (!specs_[i].slow && viewers_[i]->state() == WebSocketViewer::State::open)
            viewers_[i]->send_text(message_for(first_index_ + i * stride_));
        }
      }
      loop.poll(std::chrono::milliseconds(next < specs_.size() ? 1 : 5));
    }
    viewers_.clear();  // RST every connection while the loop still exists
  }

  ViewerPool& pool_;
  std::size_t first_index_;
  std::size_t stride_;
  std::vector<ViewerSpec> specs_;
  std::vector<std::unique_ptr<WebSocketViewer>> viewers_;
  std::size_t in_flight_ = 0;
  std::atomic<std::uint64_t> ready_{0};
  std::atomic<std::uint64_t> failed_{0};
  std::atomic<bool> stop_{false};
  std::atomic<bool> resume_slow_{false};
  std::atomic<bool> send_requested_{false};
  std::function<std::string(std::size_t)> send_;  // under mu_
  LatencyRecorder handshake_;
  std::mutex mu_;
  std::map<std::string, std::uint64_t> failures_;
  std::thread thread_;
};

ViewerPool::ViewerPool(const Endpoint& server, const SourceAddresses& sources, int tenants,
                       ViewerPoolOptions options)
    : ViewerPool(std::vector<Endpoint>{server}, sources, tenants, std::move(options)) {}

ViewerPool::ViewerPool(std::vector<Endpoint> servers, const SourceAddresses& sources, int tenants,
                       ViewerPoolOptions options)
    : servers_(std::move(servers)),
      sources_(sources),
      options_(std::move(options)),
      live_readers_(static_cast<std::size_t>(tenants)) {
  if (servers_.empty()) throw std::invalid_argument("the viewer pool needs at least one server");
}

ViewerPool::~ViewerPool() { workers_.clear(); }

ConnectReport ViewerPool::connect(std::vector<ViewerSpec> specs, std::chrono::seconds timeout) {
  const auto threads = static_cast<std::size_t>(std::max(1, options_.threads));
  std::vector<std::vector<ViewerSpec>> shares(threads);
  std::vector<std::size_t> per_tenant(live_readers_.size());
  for (std::size_t i = 0; i < specs.size(); ++i) {
    if (!per_tenant.empty()) {
      auto& seen = per_tenant[static_cast<std::size_t>(specs[i].tenant_index) % per_tenant.size()];
      specs[i].node = seen++ % servers_.size();
    }
    shares[i % threads].push_back(std::move(specs[i]));
  }
  for (std::size_t w = 0; w < threads; ++w) {
    workers_.push_back(std::make_unique<Worker>(*this, w, threads, std::move(shares[w])));
  }
  const std::int64_t start = mono_us();
  for (auto& w : workers_) w->start();

  const std::int64_t deadline =
      start + std::chrono::duration_cast<std::chrono::microseconds>(timeout).count();
  for (;;) {
    std::uint64_t settled = 0, total = 0;
    for (auto& w : workers_) {
      settled += w->settled();
      total += w->size();
    }
    if (settled >= total || mono_us() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ConnectReport report;
  report.seconds = static_cast<double>(mono_us() - start) / 1e6;
  for (auto& w : workers_) w->report_into(report);
  return report;
}

ViewerTotals ViewerPool::readers() const {
  ViewerTotals t;
  for (const auto& w : workers_) add_viewer_stats(t, w->readers);
  return t;
}

ViewerTotals ViewerPool::slow_consumers() const {
  ViewerTotals t;
  for (const auto& w : workers_) add_viewer_stats(t, w->slow);
  return t;
}

std::map<std::string, std::uint64_t> ViewerPool::close_reasons() const {
  std::lock_guard lock(reasons_mu_);
  return close_reasons_;
}

void ViewerPool::send_to_readers(std::function<std::string(std::size_t)> message_for) {
  for (auto& w : workers_) w->request_send(message_for);
}

void ViewerPool::resume_slow_consumers() {
  for (auto& w : workers_) w->request_resume_slow();
}

}  // namespace loadgen
