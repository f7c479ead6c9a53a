#include "net/worker.hpp"

#include <boost/asio/post.hpp>

#include "net/ws_session.hpp"
#include "obs/log.hpp"

namespace fleet::net {

Worker::Worker(std::size_t index) : index_(index), guard_(boost::asio::make_work_guard(io_)) {}

Worker::~Worker() { stop(); }

void Worker::start() {
  thread_ = std::thread([this] {
    for (;;) {
      try {
        io_.run();
        return;
      } catch (const std::exception& e) {
        // A handler threw: log and keep serving the other sessions rather than take the process down.
        obs::error("worker handler threw", {{"worker", static_cast<std::uint64_t>(index_)}, {"what", e.what()}});
      }
    }
  });
}

void Worker::stop() {
  guard_.reset();
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

void Worker::post(std::function<void()> task) { boost::asio::post(io_, std::move(task)); }

void Worker::schedule_flush(std::weak_ptr<WsSession> session) {
  ready_.push_back(std::move(session));
  if (drain_posted_) return;
  drain_posted_ = true;
  boost::asio::post(io_, [this] {
    drain_posted_ = false;
    draining_.swap(ready_);  // flushes may schedule again: they go to the next drain
    for (auto& weak : draining_) {
      if (auto s = weak.lock()) s->flush_now();
    }
    draining_.clear();
  });
}

}  // namespace fleet::net
