#include "core/time_format.hpp"

#include <gtest/gtest.h>

namespace fleet {
namespace {

std::int64_t ok(std::string_view s) {
  auto r = parse_rfc3339_ms(s);
  EXPECT_TRUE(r.has_value()) << s << ": " << (r ? "" : r.error().message);
  return r ? *r : -1;
}

TEST(TimeFormat, DaysFromCivil) {
  EXPECT_EQ(days_from_civil(1970, 1, 1), 0);
  EXPECT_EQ(days_from_civil(1969, 12, 31), -1);
  EXPECT_EQ(days_from_civil(2000, 3, 1), 11'017);
  EXPECT_EQ(days_from_civil(2026, 11, 24), 20'781);
  EXPECT_EQ(days_from_civil(1600, 1, 1), -135'140);
}

TEST(TimeFormat, ParsesUtc) {
  EXPECT_EQ(ok("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ok("2026-11-24T12:34:56Z"), 1'795'523'696'000);
  EXPECT_EQ(ok("2000-01-01T00:00:00Z"), 946'684'800'000);
}

TEST(TimeFormat, LowercaseSeparatorsAccepted) { EXPECT_EQ(ok("2026-11-24t12:34:56z"), 1'795'523'696'000); }

TEST(TimeFormat, FractionsTruncateToMilliseconds) {
  EXPECT_EQ(ok("2026-11-24T12:34:56.1Z"), 1'795'523'696'100);
  EXPECT_EQ(ok("2026-11-24T12:34:56.12Z"), 1'795'523'696'120);
  EXPECT_EQ(ok("2026-11-24T12:34:56.123Z"), 1'795'523'696'123);
  EXPECT_EQ(ok("2026-11-24T12:34:56.123999999Z"), 1'795'523'696'123);
  EXPECT_FALSE(parse_rfc3339_ms("2026-11-24T12:34:56.1234567890Z"));  // 10 digits
  EXPECT_FALSE(parse_rfc3339_ms("2026-11-24T12:34:56.Z"));
}

TEST(TimeFormat, BeforeEpochFloorsFraction) { EXPECT_EQ(ok("1969-12-31T23:59:59.999Z"), -1); }

TEST(TimeFormat, Offsets) {
  EXPECT_EQ(ok("2026-11-24T14:34:56+02:00"), 1'795'523'696'000);
  EXPECT_EQ(ok("2026-11-24T07:04:56-05:30"), 1'795'523'696'000);
  EXPECT_EQ(ok("2026-11-24T12:34:56-00:00"), 1'795'523'696'000);
  // Offset crosses the date line backwards into the previous day.
  EXPECT_EQ(ok("1970-01-01T01:00:00+02:00"), -3'600'000);
}

TEST(TimeFormat, LeapDays) {
  EXPECT_TRUE(parse_rfc3339_ms("2024-02-29T00:00:00Z"));
  EXPECT_TRUE(parse_rfc3339_ms("2000-02-29T00:00:00Z"));
  EXPECT_FALSE(parse_rfc3339_ms("2100-02-29T00:00:00Z"));
  EXPECT_FALSE(parse_rfc3339_ms("2026-02-29T00:00:00Z"));
  EXPECT_FALSE(parse_rfc3339_ms("2026-02-30T00:00:00Z"));
  EXPECT_FALSE(parse_rfc3339_ms("2026-04-31T00:00:00Z"));
}

TEST(TimeFormat, RefusesMalformed) {
  for (const char* bad : {
           "",
           "2026-11-24",
           "2026-11-24T12:34:56",   // missing offset
           "2026-11-24 12:34:56Z",  // space separator
           "2026-11-24T24:00:00Z",  // hour 24
           "2026-11-24T12:60:00Z",
           "2026-11-24T23:59:60Z",  // leap second
           "2026-13-01T00:00:00Z",
           "2026-00-01T00:00:00Z",
           "2026-11-00T00:00:00Z",
           "2026-11-24T12:34:56+24:00",
           "2026-11-24T12:34:56+02:60",
           "2026-11-24T12:34:56+0200",
           "2026-11-24T12:34:56+02",
           "2026-11-24T12:34:56ZZ",
           " 2026-11-24T12:34:56Z",
           "2026-11-24T12:34:56Z ",
           "26-11-24T12:34:56Z",
           "2026-1-24T12:34:56Z",
           "2026-11-24T1:34:56Z",
           "+026-11-24T12:34:56Z",
       }) {
    auto r = parse_rfc3339_ms(bad);
    EXPECT_FALSE(r.has_value()) << bad;
    if (!r) {
      EXPECT_EQ(r.error().code, ErrorCode::invalid_field) << bad;
    }
  }
}

TEST(TimeFormat, Formats) {
  EXPECT_EQ(format_rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339_ms(1'795'523'696'123), "2026-11-24T12:34:56.123Z");
  EXPECT_EQ(format_rfc3339_ms(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(format_rfc3339_ms(951'782'400'000), "2000-02-29T00:00:00.000Z");
}

TEST(TimeFormat, RoundTripsAcrossCalendar) {
  // Steps through ~400 years at an odd stride so every month/leap-year combination is crossed.
  for (std::int64_t ms = -2'208'988'800'000; ms < 10'000'000'000'000; ms += 86'400'000LL * 37 + 12'345'678) {
    const std::string text = format_rfc3339_ms(ms);
    auto back = parse_rfc3339_ms(text);
    ASSERT_TRUE(back.has_value()) << text;
    ASSERT_EQ(*back, ms) << text;
  }
}

}  // namespace
}  // namespace fleet
