#include "fleet/backoff.hpp"

#include <gtest/gtest.h>

namespace fleet {
namespace {

using std::chrono::milliseconds;

TEST(Backoff, CeilingDoublesUpToTheCap) {
  Backoff b(milliseconds(250), milliseconds(30'000), [] { return 0.999999; });
  const long expected[] = {250, 500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000};
  for (long want : expected) {
    EXPECT_EQ(b.ceiling().count(), want);
    const auto d = b.next();
    EXPECT_LE(d.count(), want);
    EXPECT_GE(d.count(), want - 1);  // r just below 1 lands at the top of the range
  }
}

TEST(Backoff, ZeroDrawGivesTheMinimum) {
  Backoff b(milliseconds(250), milliseconds(30'000), [] { return 0.0; });
  for (int i = 0; i < 20; ++i) EXPECT_EQ(b.next().count(), 250);
}

TEST(Backoff, JitterStaysWithinBounds) {
  Backoff b(milliseconds(100), milliseconds(5'000));  // real RNG
  for (int attempt = 0; attempt < 200; ++attempt) {
    const auto hi = b.ceiling();
    const auto d = b.next();
    EXPECT_GE(d.count(), 100);
    EXPECT_LE(d.count(), hi.count());
    EXPECT_LE(d.count(), 5'000);
  }
}

TEST(Backoff, JitterIsSpreadOverTheRange) {
  double r = 0.5;
  Backoff b(milliseconds(100), milliseconds(100'000), [&] { return r; });
  for (int i = 0; i < 4; ++i) b.next();  // ceiling now 1600
  EXPECT_EQ(b.ceiling().count(), 1600);
  EXPECT_EQ(b.next().count(), 100 + 750);  // min + (ceiling - min) * r
}

TEST(Backoff, ResetStartsOver) {
  Backoff b(milliseconds(250), milliseconds(30'000), [] { return 0.5; });
  for (int i = 0; i < 5; ++i) b.next();
  EXPECT_GT(b.ceiling().count(), 250);
  b.reset();
  EXPECT_EQ(b.attempts(), 0u);
  EXPECT_EQ(b.ceiling().count(), 250);
}

TEST(Backoff, ManyAttemptsDoNotOverflow) {
  Backoff b(milliseconds(1), milliseconds(60'000), [] { return 0.999; });
  for (int i = 0; i < 1000; ++i) EXPECT_LE(b.next().count(), 60'000);
  EXPECT_EQ(b.ceiling().count(), 60'000);
}

TEST(Backoff, BadBoundsAreClamped) {
  Backoff b(milliseconds(0), milliseconds(-5), [] { return 0.5; });
  EXPECT_EQ(b.next().count(), 1);
}

}  // namespace
}  // namespace fleet
