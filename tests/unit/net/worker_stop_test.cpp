// Worker::stop drains: what was queued before stop() runs (final 202s, close frames), nothing queued from
// another thread afterwards does, and a loop that never empties cannot hold stop() forever.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/post.hpp>
#include <future>
#include <thread>

#include "eventually.hpp"
#include "net/worker.hpp"

namespace fleet::net {
namespace {

using fleet::testing::eventually;

// Keeps the worker's thread inside one handler until released, so that the test decides what is queued
// behind it when stop() comes.
struct Gate {
  std::promise<void> open;
  std::shared_future<void> opened = open.get_future().share();
  std::promise<void> entered;
  // Returns once the worker's thread is inside the gate (so inside its event loop).
  void hold(Worker& w) {
    w.post([this, f = opened] {
      entered.set_value();
      f.wait();
    });
    entered.get_future().wait();
  }
};

TEST(WorkerStop, RunsAHandlerQueuedRightBeforeStop) {
  Worker worker(0);
  worker.start();
  Gate gate;
  gate.hold(worker);
  bool ran = false;
  ASSERT_TRUE(worker.post([&ran] { ran = true; }));
  std::thread stopper([&] { worker.stop(); });
  // stop() has stopped the loop while the gate still holds it, with our handler queued behind the gate.
  ASSERT_TRUE(eventually([&] { return worker.io().stopped(); }));
  gate.open.set_value();
  stopper.join();
  EXPECT_TRUE(ran);
}

TEST(WorkerStop, RunsWhatQueuedHandlersQueueInTurn) {
  Worker worker(0);
  worker.start();
  Gate gate;
  gate.hold(worker);
  bool flushed = false, reposted = false;
  worker.post([&] {
    // As a publish schedules a flush, and a store answer leads to a write: queued from the loop itself.
    boost::asio::post(worker.io(), [&] { flushed = true; });
    worker.post([&] { reposted = true; });
  });
  std::thread stopper([&] { worker.stop(); });
  ASSERT_TRUE(eventually([&] { return worker.io().stopped(); }));
  gate.open.set_value();
  stopper.join();
  EXPECT_TRUE(flushed);
  EXPECT_TRUE(reposted);
}

TEST(WorkerStop, RefusesPostsFromOtherThreadsOnceStopped) {
  Worker worker(0);
  worker.start();
  worker.stop();
  bool ran = false;
  EXPECT_FALSE(worker.post([&ran] { ran = true; }));
  EXPECT_FALSE(ran);
  worker.stop();  // idempotent
}

TEST(WorkerStop, AHandlerThatRequeuesItselfForeverCannotHoldStop) {
  Worker worker(0);
  worker.start();
  std::atomic<std::uint64_t> turns{0};
  std::function<void()> spin = [&] {
    ++turns;
    boost::asio::post(worker.io(), spin);
  };
  worker.post(spin);
  ASSERT_TRUE(eventually([&] { return turns.load() > 0; }));
  worker.stop();  // returns: the drain is bounded by Worker::kStopDrainLimit
  const auto after = turns.load();
  EXPECT_GT(after, 0u);
}

}  // namespace
}  // namespace fleet::net
