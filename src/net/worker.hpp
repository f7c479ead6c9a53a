#pragma once
// One event loop on one thread. Sessions are pinned to a worker for life, and each worker owns its
// TenantHub shard, so fan-out and socket writes never take a lock. Other threads reach a worker only
// through post().
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <thread>
#include <unordered_set>
#include <vector>

#include "hub/tenant_hub.hpp"

namespace fleet::net {

class WsSession;

class Worker {
 public:
  explicit Worker(std::size_t index);
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  ~Worker();

  std::size_t index() const noexcept { return index_; }
  boost::asio::io_context& io() noexcept { return io_; }
  // Thread: this worker only.
  hub::TenantHub& hub() noexcept { return hub_; }
  // Live WebSocket sessions on this worker, for graceful shutdown. Thread: this worker only.
  std::unordered_set<WsSession*>& sessions() noexcept { return sessions_; }

  // Queues a session to be flushed once the handlers already queued on this loop have run, so that every
  // batch published in one burst leaves in one frame per session (one drain task per burst, not one post
  // per session). Thread: this worker only.
  void schedule_flush(std::weak_ptr<WsSession> session);

  void start();
  // Lets queued handlers finish, then stops the loop and joins the thread. Idempotent.
  void stop();
  void post(std::function<void()> task);

 private:
  // Declaration order is destruction order reversed: the io_context goes first, so sessions still owned
  // by its pending handlers can unsubscribe from hub_ and sessions_ while both are alive.
  std::size_t index_;
  hub::TenantHub hub_;
  std::unordered_set<WsSession*> sessions_;
  std::vector<std::weak_ptr<WsSession>> ready_;  // sessions waiting for the next drain
  std::vector<std::weak_ptr<WsSession>> draining_;
  bool drain_posted_ = false;
  boost::asio::io_context io_{1};  // concurrency hint 1: one thread, Asio may skip internal locking
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
  std::thread thread_;
};

}  // namespace fleet::net
