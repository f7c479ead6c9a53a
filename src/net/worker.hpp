#pragma once
// One event loop on one thread. Sessions are pinned to a worker for life, and each worker owns its
// TenantHub shard, so fan-out and socket writes never take a lock. Other threads reach a worker only
// through post().
//
// The worker also owns what its WebSocket sessions would otherwise each pay for while idle: the read
// buffer (sessions read into one scratch buffer and keep bytes only for an unfinished frame), the gather
// list of a write, and the timer (one periodic sweep checks every session's deadlines).
#include <sys/uio.h>

#include <array>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <span>
#include <thread>
#include <unordered_set>
#include <vector>

#include "hub/tenant_hub.hpp"

namespace fleet::net {

class WsSession;

class Worker {
 public:
  explicit Worker(std::size_t index, hub::ResumeRingLimits ring = {});
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  ~Worker();

  std::size_t index() const noexcept { return index_; }
  boost::asio::io_context& io() noexcept { return io_; }
  // Thread: this worker only.
  hub::TenantHub& hub() noexcept { return hub_; }
  // Live WebSocket sessions on this worker, for graceful shutdown and the sweep. Thread: this worker only.
  std::unordered_set<WsSession*>& sessions() noexcept { return sessions_; }

  // Queues a session to be flushed once the handlers already queued on this loop have run, so that every
  // batch published in one burst leaves in one frame per session: one posted drain per burst, nothing
  // allocated per session. The session keeps its own "queued" flag so it is queued at most once, and
  // calls cancel_flush from its destructor if still queued. Thread: this worker only.
  void schedule_flush(WsSession* session);
  void cancel_flush(WsSession* session) noexcept;

  // Flush windows (docs/protocol.md, "Stream options"): calls session->on_window() at `due`. One timer
  // per worker serves every windowed session (a min-heap of deadlines), so a window costs no timer of
  // its own. The session keeps its own "armed" flag so it is scheduled at most once, and calls
  // cancel_window from its destructor if still armed. Thread: this worker only.
  void schedule_window(WsSession* session, std::chrono::steady_clock::time_point due);
  void cancel_window(WsSession* session) noexcept;

  // Starts the periodic sweep that calls WsSession::on_sweep on every session in sessions(), unless it
  // runs already. It stops by itself when no session is left. Thread: this worker only.
  void start_sweep(std::chrono::milliseconds interval);

  // Scratch space shared by this worker's sessions; valid until the calling handler returns, and never
  // used by two sessions at once (handlers on one thread do not interleave). Thread: this worker only.
  std::span<char> read_scratch() noexcept { return read_scratch_; }
  std::vector<iovec>& iov_scratch() noexcept { return iov_scratch_; }
  std::vector<hub::Slice>& slice_scratch() noexcept { return slice_scratch_; }

  void start();
  // Drains, then stops: refuses further post()s, stops waiting for I/O and timers, runs every handler
  // already queued and every handler those queue in turn (so a final 202 or close frame queued before
  // stop() is written to its socket), then joins the thread. The drain is bounded (kStopDrainLimit) in
  // case handlers keep queueing each other. What is still pending afterwards (reads, timers, the
  // sessions they own) is destroyed with the io_context. Idempotent; call from another thread.
  void stop();
  // Queues a task to run on this worker's thread, in FIFO order. Thread-safe. Once stop() has begun, a
  // call from another thread returns false and destroys the task there without running it, so a task
  // must own nothing that only this worker may destroy; calls from this worker's own handlers are still
  // queued (and run by the drain). Tasks queued with asio::post on io() directly are never refused: they
  // run if they arrive before the drain ends.
  bool post(std::function<void()> task);

  static constexpr std::chrono::seconds kStopDrainLimit{2};

 private:
  void drain();
  void arm_sweep();
  void arm_windows();
  void on_windows();
  // Runs `loop` (the event loop or one poll of it) again after a handler throws, until it returns.
  void run_guarded(const std::function<void()>& loop) const;

  // Declaration order is destruction order reversed: the io_context goes after the timer (which must die
  // first) but before the containers, so sessions still owned by its pending handlers can unsubscribe from
  // hub_ and sessions_ while both are alive.
  std::size_t index_;
  hub::TenantHub hub_;
  std::unordered_set<WsSession*> sessions_;
  std::vector<WsSession*> ready_;     // sessions waiting for the next drain; null once cancelled
  std::vector<WsSession*> draining_;  // the drain in progress
  bool drain_posted_ = false;
  struct Window {
    std::chrono::steady_clock::time_point due;
    WsSession* session = nullptr;  // null once cancelled
  };
  std::vector<Window> windows_;  // min-heap by due
  std::vector<WsSession*> due_;  // scratch: the windows ending now
  std::chrono::steady_clock::time_point window_timer_due_ = std::chrono::steady_clock::time_point::max();
  bool sweeping_ = false;
  std::chrono::milliseconds sweep_interval_{250};
  std::array<char, 16 * 1024> read_scratch_{};
  std::vector<iovec> iov_scratch_;
  std::vector<hub::Slice> slice_scratch_;
  // Concurrency hint 1: one thread runs it, so Asio queues what this thread posts without its queue lock;
  // posts from other threads (broker drains, store answers) still take that lock briefly.
  boost::asio::io_context io_{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
  boost::asio::steady_timer sweep_timer_{io_};
  boost::asio::steady_timer window_timer_{io_};
  std::atomic<bool> accepting_{true};  // cleared by stop(): post() refuses from then on
  std::thread thread_;
};

}  // namespace fleet::net
