#include "net/worker.hpp"

#include <boost/asio/post.hpp>

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

}  // namespace fleet::net
