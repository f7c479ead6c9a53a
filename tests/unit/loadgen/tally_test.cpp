// The main thread of the refresh and storm scenarios learns that a phase ended through a Tally: it must
// wake as soon as the count is reached, and give up at the deadline when it is not.
#include "tally.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace loadgen {
namespace {

using namespace std::chrono_literals;

TEST(Tally, WakesWhenAnotherThreadReachesTheTarget) {
  Tally t;
  std::thread worker([&] {
    for (int i = 0; i < 3; ++i) t.add();
  });
  EXPECT_TRUE(t.wait_at_least(3, std::chrono::steady_clock::now() + 20s));
  worker.join();
  EXPECT_EQ(t.get(), 3);
}

TEST(Tally, GivesUpAtTheDeadline) {
  Tally t;
  t.add(2);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(t.wait_at_least(3, start + 50ms));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 50ms);
}

}  // namespace
}  // namespace loadgen
