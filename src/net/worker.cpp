#include "net/worker.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>

#include "net/ws_session.hpp"
#include "obs/log.hpp"
#include "obs/thread_name.hpp"

namespace fleet::net {

Worker::Worker(std::size_t index, hub::ResumeRingLimits ring)
    : index_(index), hub_(ring), guard_(boost::asio::make_work_guard(io_)) {}

Worker::~Worker() { stop(); }

void Worker::start() {
  thread_ = std::thread([this] {
    obs::set_thread_name("fleet-worker-" + std::to_string(index_));
    run_guarded([this] { io_.run(); });  // until stop()
    // stop() stopped the loop: run what is queued, and what that queues, without waiting for I/O. One
    // handler at a time (poll() would not return while handlers keep queueing more), up to the limit.
    io_.restart();
    const auto deadline = std::chrono::steady_clock::now() + kStopDrainLimit;
    bool ran = true;
    while (ran && std::chrono::steady_clock::now() < deadline) {
      run_guarded([this, &ran] { ran = io_.poll_one() > 0; });
    }
  });
}

void Worker::run_guarded(const std::function<void()>& loop) const {
  for (;;) {
    try {
      loop();
      return;
    } catch (const std::exception& e) {
      // A handler threw: log and keep serving the other sessions rather than take the process down.
      obs::error("worker handler threw",
                 {{"worker", static_cast<std::uint64_t>(index_)}, {"what", e.what()}});
    }
  }
}

void Worker::stop() {
  accepting_.store(false);
  guard_.reset();
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

bool Worker::post(std::function<void()> task) {
  if (!accepting_.load(std::memory_order_relaxed) && !io_.get_executor().running_in_this_thread())
    return false;
  boost::asio::post(io_, std::move(task));
  return true;
}

void Worker::schedule_flush(WsSession* session) {
  ready_.push_back(session);
  if (drain_posted_) return;
  drain_posted_ = true;
  boost::asio::post(io_, [this] { drain(); });
}

void Worker::cancel_flush(WsSession* session) noexcept {
  // Rare (a session dying with a flush queued), so a linear scan beats a per-session index.
  std::replace(ready_.begin(), ready_.end(), session, static_cast<WsSession*>(nullptr));
  std::replace(draining_.begin(), draining_.end(), session, static_cast<WsSession*>(nullptr));
}

namespace {
bool later(const auto& a, const auto& b) noexcept { return a.due > b.due; }
}  // namespace

void Worker::schedule_window(WsSession* session, std::chrono::steady_clock::time_point due) {
  windows_.push_back({due, session});
  std::push_heap(windows_.begin(), windows_.end(),
                 [](const Window& a, const Window& b) { return later(a, b); });
  if (due < window_timer_due_) arm_windows();
}

void Worker::cancel_window(WsSession* session) noexcept {
  for (Window& w : windows_) {
    if (w.session == session) w.session = nullptr;
  }
  std::replace(due_.begin(), due_.end(), session, static_cast<WsSession*>(nullptr));
}

void Worker::arm_windows() {
  window_timer_due_ = windows_.front().due;
  window_timer_.expires_at(window_timer_due_);  // cancels a wait for a later deadline
  window_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;  // re-armed for an earlier deadline, or stopping
    on_windows();
  });
}

void Worker::on_windows() {
  window_timer_due_ = std::chrono::steady_clock::time_point::max();
  const auto now = std::chrono::steady_clock::now();
  const auto cmp = [](const Window& a, const Window& b) { return later(a, b); };
  while (!windows_.empty() && windows_.front().due <= now) {
    std::pop_heap(windows_.begin(), windows_.end(), cmp);
    if (windows_.back().session != nullptr) due_.push_back(windows_.back().session);
    windows_.pop_back();
  }
  // Collected first: a session's flush may arm a new window (it goes to the heap, not this list).
  for (std::size_t i = 0; i < due_.size(); ++i) {  // NOLINT(modernize-loop-convert): cancel may null entries
    if (WsSession* s = due_[i]) s->on_window();
  }
  due_.clear();
  if (!windows_.empty()) arm_windows();
}

void Worker::drain() {
  drain_posted_ = false;
  draining_.swap(ready_);  // flushes may schedule again: they go to the next drain
  // Index rather than iterators: a flush never destroys a session synchronously, but cancel_flush may
  // still null an entry in place.
  for (std::size_t i = 0; i < draining_.size(); ++i) {  // NOLINT(modernize-loop-convert): see above
    if (WsSession* s = draining_[i]) s->flush_now();
  }
  draining_.clear();
}

void Worker::start_sweep(std::chrono::milliseconds interval) {
  if (sweeping_) return;
  sweeping_ = true;
  sweep_interval_ = interval;
  arm_sweep();
}

void Worker::arm_sweep() {
  sweep_timer_.expires_after(sweep_interval_);
  sweep_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) {
      sweeping_ = false;
      return;
    }
    if (sessions_.empty()) {
      sweeping_ = false;
      return;
    }
    const auto now = std::chrono::steady_clock::now();
    hub_.ring().expire(now);  // tenants that went quiet; busy ones are trimmed as they publish
    // on_sweep never creates or destroys a session synchronously (closing a socket only posts the
    // aborted waits), so iterating the set itself is safe.
    for (WsSession* s : sessions_) s->on_sweep(now);
    arm_sweep();
  });
}

}  // namespace fleet::net
