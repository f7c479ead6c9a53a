// SimVehicle: `fleetctl simulate --seed` must replay the same routes, and every point it posts must pass
// the server's validation and look like a car in town (docs/protocol.md: speed_kph, heading_deg [0, 360)).
#include "sim_vehicle.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <sstream>
#include <string>
#include <vector>

namespace fleetctl {
namespace {

constexpr double kMetresPerDegLat = 111'320;
// Waypoints never leave +-14 blocks of 180 m (2,520 m) on either axis; a corner overshoots its waypoint by
// at most one turning radius (under 20 m at 70 km/h), so one more block is a bound the walk really keeps.
constexpr double kMaxOffsetM = 15 * 180;
constexpr double kMaxMps = 70 / 3.6;

LatLon centre_of(const char* city) {
  LatLon c;
  EXPECT_TRUE(city_centre(city, c)) << city;
  return c;
}

// East/north offset from the centre in metres (the inverse of SimVehicle's equirectangular projection).
struct Offset {
  double x, y;
};
Offset offset(LatLon centre, LatLon p) {
  return {(p.lon - centre.lon) * kMetresPerDegLat * std::cos(centre.lat * std::numbers::pi / 180),
          (p.lat - centre.lat) * kMetresPerDegLat};
}

std::vector<LatLon> drive(LatLon centre, std::uint64_t seed, int seconds) {
  SimVehicle v(centre, seed);
  std::vector<LatLon> path;
  for (int t = 0; t < seconds; ++t) {
    v.advance(1);
    path.push_back(v.position());
  }
  return path;
}

TEST(SimVehicle, SameSeedSamePath) {
  const LatLon paris = centre_of("paris");
  SimVehicle a(paris, 42), b(paris, 42);
  for (int t = 0; t < 600; ++t) {
    a.advance(1);
    b.advance(1);
    ASSERT_EQ(a.position().lat, b.position().lat) << "t=" << t;
    ASSERT_EQ(a.position().lon, b.position().lon) << "t=" << t;
    ASSERT_EQ(a.speed_kph(), b.speed_kph()) << "t=" << t;
    ASSERT_EQ(a.heading_deg(), b.heading_deg()) << "t=" << t;
  }
}

TEST(SimVehicle, DifferentSeedsDifferentPaths) {
  const LatLon paris = centre_of("paris");
  std::vector<std::vector<LatLon>> paths;
  for (std::uint64_t seed = 1; seed <= 8; ++seed) paths.push_back(drive(paris, seed, 300));
  for (std::size_t i = 0; i < paths.size(); ++i) {
    for (std::size_t j = i + 1; j < paths.size(); ++j) {
      const Offset a = offset(paris, paths[i].back()), b = offset(paris, paths[j].back());
      EXPECT_GT(std::hypot(a.x - b.x, a.y - b.y), 1.0) << "seeds " << i + 1 << " and " << j + 1;
    }
  }
}

TEST(SimVehicle, ItMoves) {
  const LatLon paris = centre_of("paris");
  SimVehicle v(paris, 7);
  const Offset start = offset(paris, v.position());
  v.advance(10);
  const Offset end = offset(paris, v.position());
  // At least 55 m driven at >= 20 km/h with at most one (rounded) corner.
  EXPECT_GT(std::hypot(end.x - start.x, end.y - start.y), 20.0);
}

TEST(SimVehicle, SpeedHeadingAndStepsStayPlausibleForAnHour) {
  for (const char* city : {"paris", "sydney", "sf"}) {
    const LatLon c = centre_of(city);
    for (std::uint64_t seed : {0ull, 1ull, 2ull, 99ull, 0xdeadbeefull}) {
      SimVehicle v(c, seed);
      Offset prev = offset(c, v.position());
      for (int t = 0; t < 3600; ++t) {
        v.advance(1);
        ASSERT_GE(v.speed_kph(), 20.0) << city << " seed " << seed << " t=" << t;
        ASSERT_LE(v.speed_kph(), 70.0) << city << " seed " << seed << " t=" << t;
        ASSERT_GE(v.heading_deg(), 0.0) << city << " seed " << seed << " t=" << t;
        ASSERT_LT(v.heading_deg(), 360.0) << city << " seed " << seed << " t=" << t;
        const Offset p = offset(c, v.position());
        // No jumps: one second at the top speed at most (a waypoint change must not teleport the car).
        ASSERT_LE(std::hypot(p.x - prev.x, p.y - prev.y), kMaxMps + 1e-6)
            << city << " seed " << seed << " t=" << t;
        ASSERT_LE(std::abs(p.x), kMaxOffsetM) << city << " seed " << seed << " t=" << t;
        ASSERT_LE(std::abs(p.y), kMaxOffsetM) << city << " seed " << seed << " t=" << t;
        prev = p;
      }
    }
  }
}

TEST(SimVehicle, OneLongAdvanceStaysInTown) {
  // cmd_simulate advances by the real time since the last point: a stalled worker may ask for an hour.
  for (const char* city : {"paris", "nyc", "tokyo"}) {
    const LatLon c = centre_of(city);
    for (std::uint64_t seed = 0; seed < 20; ++seed) {
      SimVehicle v(c, seed);
      v.advance(3600);
      const Offset p = offset(c, v.position());
      EXPECT_LE(std::abs(p.x), kMaxOffsetM) << city << " seed " << seed;
      EXPECT_LE(std::abs(p.y), kMaxOffsetM) << city << " seed " << seed;
      EXPECT_GE(v.speed_kph(), 20.0);
      EXPECT_LE(v.speed_kph(), 70.0);
      EXPECT_GE(v.heading_deg(), 0.0);
      EXPECT_LT(v.heading_deg(), 360.0);
    }
  }
}

TEST(SimVehicle, StartsOnTheGridNearTheCentre) {
  const LatLon c = centre_of("berlin");
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    SimVehicle v(c, seed);
    const Offset p = offset(c, v.position());
    // Starting intersections are within +-7 blocks.
    EXPECT_LE(std::abs(p.x), 7 * 180 + 1e-6) << seed;
    EXPECT_LE(std::abs(p.y), 7 * 180 + 1e-6) << seed;
    EXPECT_GE(v.speed_kph(), 20.0);
    EXPECT_LE(v.speed_kph(), 70.0);
  }
}

TEST(SimVehicle, NothingHappensWithoutTime) {
  const LatLon c = centre_of("paris");
  SimVehicle v(c, 3);
  const LatLon before = v.position();
  v.advance(0);
  v.advance(-5);
  EXPECT_EQ(v.position().lat, before.lat);
  EXPECT_EQ(v.position().lon, before.lon);
}

TEST(CityCentre, KnownAndUnknownNames) {
  LatLon out{1, 2};
  ASSERT_TRUE(city_centre("paris", out));
  EXPECT_DOUBLE_EQ(out.lat, 48.8566);
  EXPECT_DOUBLE_EQ(out.lon, 2.3522);
  LatLon upper;
  ASSERT_TRUE(city_centre("Paris", upper));  // typed by people: case does not matter
  EXPECT_DOUBLE_EQ(upper.lat, out.lat);
  ASSERT_TRUE(city_centre("NYC", upper));
  ASSERT_TRUE(city_centre("sydney", out));
  EXPECT_LT(out.lat, 0);
  EXPECT_GT(out.lon, 0);
  LatLon untouched{1, 2};
  EXPECT_FALSE(city_centre("atlantis", untouched));
  EXPECT_FALSE(city_centre("pariss", untouched));
  EXPECT_FALSE(city_centre("", untouched));
  EXPECT_EQ(untouched.lat, 1);
  EXPECT_EQ(untouched.lon, 2);
}

TEST(CityCentre, EveryNameInTheHelpTextResolves) {
  // `simulate --city` errors list city_names(); each must be accepted, and the list must not be empty.
  std::istringstream names(city_names());
  std::string name;
  int n = 0;
  while (std::getline(names, name, ',')) {
    if (!name.empty() && name.front() == ' ') name.erase(0, 1);
    LatLon c;
    EXPECT_TRUE(city_centre(name, c)) << '"' << name << '"';
    EXPECT_GE(c.lat, -90);
    EXPECT_LE(c.lat, 90);
    EXPECT_GE(c.lon, -180);
    EXPECT_LE(c.lon, 180);
    ++n;
  }
  EXPECT_EQ(n, 8);
}

}  // namespace
}  // namespace fleetctl
