#include "viewer_cohort.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <limits>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <utility>

#include <sys/eventfd.h>
#include <unistd.h>

#include "clock.hpp"
#include "event_loop.hpp"
#include "websocket_viewer.hpp"

namespace loadgen {

void PhaseReport::merge(const PhaseReport& other) {
  ok += other.ok;
  failed += other.failed;
  for (const auto& [why, n] : other.failures) failures[why] += n;
  latency.merge(other.latency);
  recovered += other.recovered;
  not_recovered += other.not_recovered;
  bytes_until_live += other.bytes_until_live;
  last_done_us = std::max(last_done_us, other.last_done_us);
  timed_out = timed_out || other.timed_out;
}

boost::json::object PhaseReport::json() const {
  boost::json::object why;
  for (const auto& [reason, n] : failures) why[reason] = n;
  return {{"ok", ok},
          {"failed", failed},
          {"failures", why},
          {"latency", latency.summary()},
          {"recovered", recovered},
          {"not_recovered", not_recovered},
          {"bytes_until_live", bytes_until_live},
          {"seconds", seconds_to_last()},
          {"timed_out", timed_out}};
}

// One thread's members. Phase state (phase_, next_, in_flight_, pending_, report_) is touched only on
// this worker's thread; the main thread hands phases in and reports out under mu_.
class ViewerCohort::Worker final : public ViewerObserver, private IoHandler {
 public:
  Worker(ViewerCohort& cohort, const Endpoint& server, const SourceAddresses& sources,
         std::vector<CohortMember> members, std::vector<std::size_t> source_index)
      : cohort_(cohort),
        server_(server),
        sources_(sources),
        members_(std::move(members)),
        source_index_(std::move(source_index)),
        wake_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    if (wake_fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
    op_started_.assign(members_.size(), 0);
    pending_.assign(members_.size(), 0);
  }

  ~Worker() {
    stop_ = true;
    wake();
    if (thread_.joinable()) thread_.join();
    ::close(wake_fd_);
  }

  void start() {
    thread_ = std::thread([this] { run(); });
  }

  void begin(const PhaseSpec& phase) {
    {
      std::lock_guard lock(mu_);
      command_ = phase;
    }
    wake();
  }

  void abort_phase() {
    {
      std::lock_guard lock(mu_);
      abort_requested_ = true;
    }
    wake();
  }

  PhaseReport take_report() {
    std::lock_guard lock(mu_);
    return std::move(finished_);
  }

  std::map<std::string, std::uint64_t> unexpected_closes() const {
    std::lock_guard lock(mu_);
    return unexpected_closes_;
  }

  ViewerStats stats;

  // ViewerObserver
  void on_ready(WebSocketViewer&) override {}

  void on_live(WebSocketViewer& v) override {
    const std::size_t i = v.tag();
    if (!pending_[i] || phase_.kind != PhaseKind::connect) return;
    if (v.recovered() == true) ++report_.recovered;
    if (v.recovered() == false) ++report_.not_recovered;
    report_.bytes_until_live += v.bytes_until_live();
    succeed(i, v.live_us());
  }

  void on_auth_ok(WebSocketViewer& v) override {
    const std::size_t i = v.tag();
    if (pending_[i] && phase_.kind == PhaseKind::refresh) succeed(i, mono_us());
  }

  void on_closed(WebSocketViewer& v) override {
    cohort_.ended_.add();
    const std::size_t i = v.tag();
    if (pending_[i]) {
      if (phase_.kind == PhaseKind::close) return succeed(i, mono_us());
      return fail(i, describe_close(v));
    }
    std::lock_guard lock(mu_);
    ++unexpected_closes_[describe_close(v)];
  }

 private:
  void wake() noexcept {
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
  }

  void on_io(std::uint32_t) override {
    std::uint64_t count = 0;
    [[maybe_unused]] auto n = ::read(wake_fd_, &count, sizeof count);
  }

  void run() {
    EventLoop loop;
    loop.add(wake_fd_, EPOLLIN, this);
    viewers_.reserve(members_.size());
    for (std::size_t i = 0; i < members_.size(); ++i) {
      viewers_.push_back(std::make_unique<WebSocketViewer>(loop, server_, *this));
      viewers_.back()->set_tag(i);
    }
    while (!stop_) {
      take_commands();
      if (active_) {
        start_operations();
        finish_if_done();
      }
      // Woken by the next phase (eventfd) or by socket activity; the timeout only bounds how late a stop is
      // seen.
      loop.poll(std::chrono::milliseconds(100));
    }
    viewers_.clear();  // RST every connection while the loop still exists
    loop.remove(wake_fd_);
  }

  void take_commands() {
    std::optional<PhaseSpec> command;
    bool abort = false;
    {
      std::lock_guard lock(mu_);
      command.swap(command_);
      abort = std::exchange(abort_requested_, false);
    }
    if (command) {
      phase_ = *command;
      report_ = PhaseReport{};
      next_ = 0;
      in_flight_ = 0;
      active_ = true;
    }
    if (abort && active_) abort_pending();
  }

  void start_operations() {
    const std::size_t limit =
        phase_.in_flight > 0 ? phase_.in_flight : std::numeric_limits<std::size_t>::max();
    while (next_ < viewers_.size() && in_flight_ < limit) begin_operation(next_++);
  }

  void begin_operation(std::size_t i) {
    WebSocketViewer& v = *viewers_[i];
    const CohortMember& m = members_[i];
    op_started_[i] = mono_us();
    const bool open =
        v.state() != WebSocketViewer::State::idle && v.state() != WebSocketViewer::State::closed;
    switch (phase_.kind) {
      case PhaseKind::connect: {
        SessionOptions session;
        session.token_in_first_message = true;
        // Read before start(), which forgets the previous session.
        if (phase_.resume && !v.epoch().empty()) session.resume = ResumePoint{v.last_seq(), v.epoch()};
        if (open) cohort_.ended_.add();  // start() resets a session that is still open, without a callback
        pending_[i] = 1;
        ++in_flight_;
        cohort_.started_.add();
        v.start(m.tokens.at(phase_.token), m.tenant_index, sources_.pick(source_index_[i]), &stats, {},
                session);
        return;
      }
      case PhaseKind::refresh:
        if (v.state() != WebSocketViewer::State::open) {
          ++report_.failed;
          ++report_.failures["not live at the refresh"];
          return;
        }
        pending_[i] = 1;
        ++in_flight_;
        v.send_auth(m.tokens.at(phase_.token));
        return;
      case PhaseKind::close:
        if (!open) {
          ++report_.ok;  // nothing to close
          return;
        }
        pending_[i] = 1;
        ++in_flight_;
        v.close_gracefully();
        return;
    }
  }

  void succeed(std::size_t i, std::int64_t at_us) {
    pending_[i] = 0;
    --in_flight_;
    ++report_.ok;
    report_.latency.add(static_cast<std::uint64_t>(std::max<std::int64_t>(0, at_us - op_started_[i])));
    report_.last_done_us = std::max(report_.last_done_us, at_us);
  }

  void fail(std::size_t i, const std::string& why) {
    pending_[i] = 0;
    --in_flight_;
    ++report_.failed;
    ++report_.failures[why];
  }

  // The deadline passed: what is pending failed, and its session is reset so the next phase starts clean.
  void abort_pending() {
    report_.timed_out = true;
    for (std::size_t i = 0; i < viewers_.size(); ++i) {
      if (!pending_[i]) continue;
      WebSocketViewer& v = *viewers_[i];
      if (v.state() != WebSocketViewer::State::idle && v.state() != WebSocketViewer::State::closed) {
        v.abort();
        cohort_.ended_.add();
      }
      fail(i, "no answer before the deadline");
    }
    if (const std::size_t left = viewers_.size() - next_; left > 0) {
      report_.failed += left;
      report_.failures["not started before the deadline"] += left;
      next_ = viewers_.size();
    }
    finish_if_done();
  }

  void finish_if_done() {
    if (!active_ || next_ < viewers_.size() || in_flight_ > 0) return;
    active_ = false;
    {
      std::lock_guard lock(mu_);
      finished_ = std::move(report_);
    }
    report_ = PhaseReport{};
    cohort_.phases_done_.add();
  }

  ViewerCohort& cohort_;
  const Endpoint& server_;
  const SourceAddresses& sources_;
  std::vector<CohortMember> members_;
  std::vector<std::size_t> source_index_;
  int wake_fd_;
  std::vector<std::unique_ptr<WebSocketViewer>> viewers_;
  std::atomic<bool> stop_{false};
  std::thread thread_;

  // Worker thread only.
  PhaseSpec phase_;
  bool active_ = false;
  std::size_t next_ = 0;
  std::size_t in_flight_ = 0;
  std::vector<std::int64_t> op_started_;
  std::vector<char> pending_;
  PhaseReport report_;

  // Handed between threads under mu_.
  mutable std::mutex mu_;
  std::optional<PhaseSpec> command_;
  bool abort_requested_ = false;
  PhaseReport finished_;
  std::map<std::string, std::uint64_t> unexpected_closes_;
};

ViewerCohort::ViewerCohort(const Endpoint& server, const SourceAddresses& sources,
                           std::vector<CohortMember> members, int threads)
    : size_(members.size()) {
  const auto n = static_cast<std::size_t>(std::max(1, threads));
  std::vector<std::vector<CohortMember>> shares(n);
  std::vector<std::vector<std::size_t>> indices(n);
  for (std::size_t i = 0; i < members.size(); ++i) {
    shares[i % n].push_back(std::move(members[i]));
    indices[i % n].push_back(i);
  }
  for (std::size_t w = 0; w < n; ++w) {
    workers_.push_back(
        std::make_unique<Worker>(*this, server, sources, std::move(shares[w]), std::move(indices[w])));
  }
  for (auto& w : workers_) w->start();
}

ViewerCohort::~ViewerCohort() { workers_.clear(); }

PhaseReport ViewerCohort::run(const PhaseSpec& phase) {
  const std::int64_t target = phases_done_.get() + static_cast<std::int64_t>(workers_.size());
  PhaseReport total;
  total.started_us = mono_us();
  for (auto& w : workers_) w->begin(phase);
  if (!phases_done_.wait_at_least(target, std::chrono::steady_clock::now() + phase.timeout)) {
    for (auto& w : workers_) w->abort_phase();
    // Aborting is local work on each worker; this bound only guards against a worker that is wedged.
    if (!phases_done_.wait_at_least(target, std::chrono::steady_clock::now() + std::chrono::seconds(10))) {
      throw std::runtime_error("a viewer thread did not end its phase");
    }
  }
  for (auto& w : workers_) total.merge(w->take_report());
  return total;
}

bool ViewerCohort::wait_all_closed(std::chrono::steady_clock::time_point deadline) const {
  return ended_.wait_at_least(started_.get(), deadline);
}

ViewerTotals ViewerCohort::totals() const {
  ViewerTotals t;
  for (const auto& w : workers_) add_viewer_stats(t, w->stats);
  return t;
}

std::map<std::string, std::uint64_t> ViewerCohort::unexpected_closes() const {
  std::map<std::string, std::uint64_t> out;
  for (const auto& w : workers_) {
    for (const auto& [why, n] : w->unexpected_closes()) out[why] += n;
  }
  return out;
}

}  // namespace loadgen
