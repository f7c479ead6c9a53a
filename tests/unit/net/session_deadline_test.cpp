#include <gtest/gtest.h>

#include <limits>

#include "net/ws_session.hpp"

namespace fleet::net {
namespace {

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();

TEST(SessionDeadline, IsExpPlusGraceInMilliseconds) {
  EXPECT_EQ(session_deadline_ms(1'795'000'000, 15), 1'795'000'015'000);
  EXPECT_EQ(session_deadline_ms(1'795'000'000, 0), 1'795'000'000'000);
}

TEST(SessionDeadline, NeverOverflowsForAnyExpATokenMayCarry) {
  // (exp + grace) * 1000 overflowed int64 above about 9.2e15 and wrapped negative: a validly signed
  // token with exp 1e16 was cut at the first sweep.
  EXPECT_EQ(session_deadline_ms(10'000'000'000'000'000, 15), kMax);
  EXPECT_EQ(session_deadline_ms(kMax / 1000, 15), kMax);
  EXPECT_EQ(session_deadline_ms(kMax - 10, 15), kMax);
  EXPECT_EQ(session_deadline_ms(kMax, 3600), kMax);
  EXPECT_GT(session_deadline_ms(9'223'372'036'854'775, 0), 0);
  // Far in the past stays in the past.
  EXPECT_EQ(session_deadline_ms(kMin, 15), kMin);
  EXPECT_EQ(session_deadline_ms(kMin / 1000 - 1, 0), kMin);
}

}  // namespace
}  // namespace fleet::net
