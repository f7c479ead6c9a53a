#include "core/telemetry_validate.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace fleet {
namespace {

constexpr std::int64_t kNow = 1'795'523'696'000;  // 2026-11-24T12:34:56Z
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

TelemetryPoint good() {
  TelemetryPoint p;
  p.ts_ms = kNow;
  p.lat = 52.5;
  p.lon = 13.4;
  p.speed_kph = 50;
  p.heading_deg = 90;
  p.altitude_m = 34;
  p.accuracy_m = 5;
  p.battery_pct = 80;
  return p;
}

// Expects `p` to fail naming `field`.
void expect_bad(const TelemetryPoint& p, const char* field, const ValidationOptions& o = {}) {
  auto r = validate_point(p, kNow, o);
  ASSERT_FALSE(r.has_value()) << field;
  EXPECT_EQ(r.error().code, ErrorCode::invalid_point);
  EXPECT_EQ(r.error().field, field);
  EXPECT_FALSE(r.error().index.has_value());
}

void expect_ok(const TelemetryPoint& p) {
  auto r = validate_point(p, kNow);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().field + ": " + r.error().message);
}

TEST(TelemetryValidate, GoodPointAndMinimalPointPass) {
  expect_ok(good());
  TelemetryPoint minimal;
  minimal.ts_ms = kNow;
  expect_ok(minimal);
}

TEST(TelemetryValidate, Latitude) {
  for (double v : {-90.0, 90.0, 0.0}) {
    auto p = good();
    p.lat = v;
    expect_ok(p);
  }
  for (double v : {-90.0001, 90.0001, kNaN, kInf, -kInf}) {
    auto p = good();
    p.lat = v;
    expect_bad(p, "lat");
  }
}

TEST(TelemetryValidate, Longitude) {
  for (double v : {-180.0, 180.0}) {
    auto p = good();
    p.lon = v;
    expect_ok(p);
  }
  for (double v : {-180.0001, 180.0001, kNaN, kInf}) {
    auto p = good();
    p.lon = v;
    expect_bad(p, "lon");
  }
}

TEST(TelemetryValidate, HeadingIsHalfOpen) {
  auto p = good();
  p.heading_deg = 0;
  expect_ok(p);
  p.heading_deg = 359.999;
  expect_ok(p);
  for (double v : {360.0, -0.001, kNaN}) {
    p.heading_deg = v;
    expect_bad(p, "heading_deg");
  }
}

TEST(TelemetryValidate, Speed) {
  auto p = good();
  p.speed_kph = 2000;
  expect_ok(p);
  for (double v : {-1.0, 2000.5, kInf}) {
    p.speed_kph = v;
    expect_bad(p, "speed_kph");
  }
}

TEST(TelemetryValidate, Accuracy) {
  auto p = good();
  p.accuracy_m = 0;
  expect_ok(p);
  p.accuracy_m = 1e9;
  expect_ok(p);
  for (double v : {-0.1, kInf, kNaN}) {
    p.accuracy_m = v;
    expect_bad(p, "accuracy_m");
  }
}

TEST(TelemetryValidate, Battery) {
  auto p = good();
  for (double v : {0.0, 100.0}) {
    p.battery_pct = v;
    expect_ok(p);
  }
  for (double v : {-1.0, 100.1, kNaN}) {
    p.battery_pct = v;
    expect_bad(p, "battery_pct");
  }
}

TEST(TelemetryValidate, Altitude) {
  auto p = good();
  for (double v : {-1000.0, 100'000.0}) {
    p.altitude_m = v;
    expect_ok(p);
  }
  for (double v : {-1000.5, 100'000.5, -kInf}) {
    p.altitude_m = v;
    expect_bad(p, "altitude_m");
  }
}

TEST(TelemetryValidate, TimestampWindow) {
  auto p = good();
  p.ts_ms = kNow + 10 * 60 * 1000;
  expect_ok(p);
  p.ts_ms = kNow + 10 * 60 * 1000 + 1;
  expect_bad(p, "ts");
  p.ts_ms = 946'684'800'000;  // 2000-01-01T00:00:00Z
  expect_ok(p);
  p.ts_ms = 946'684'800'000 - 1;
  expect_bad(p, "ts");
  p.ts_ms = 0;
  expect_bad(p, "ts");
}

TEST(TelemetryValidate, MaxFutureIsConfigurable) {
  auto p = good();
  p.ts_ms = kNow + 2000;
  ValidationOptions strict;
  strict.max_future_ms = 1000;
  expect_bad(p, "ts", strict);
  ValidationOptions lax;
  lax.max_future_ms = 3000;
  EXPECT_TRUE(validate_point(p, kNow, lax).has_value());
}

}  // namespace
}  // namespace fleet
