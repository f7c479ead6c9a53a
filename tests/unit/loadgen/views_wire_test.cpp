// The views scenario's wire pieces: viewers may ask for coalescing, and a device with a home never strays
// further than kHomeWander from it (so which devices a box holds is known from the homes alone).
#include <gtest/gtest.h>

#include <cmath>

#include <boost/json.hpp>

#include "session_wire.hpp"
#include "telemetry_wire.hpp"

namespace loadgen {
namespace {

TEST(ViewsWire, CoalesceIsSentOnlyWhenAsked) {
  StreamOptions map{"compact", 50, true};
  EXPECT_EQ(auth_message("t", nullptr, &map),
            R"({"type":"auth","token":"t","format":"compact","flush_ms":50,"coalesce":true})");
  StreamOptions plain{"compact", 50};
  EXPECT_EQ(auth_message("t", nullptr, &plain),
            R"({"type":"auth","token":"t","format":"compact","flush_ms":50})");
  EXPECT_TRUE((StreamOptions{"", std::nullopt, true}).any());
}

TEST(ViewsWire, ADeviceWithAHomeStaysNearIt) {
  const Home home{48.855, 2.345};
  double max_lat = 0, max_lon = 0;
  bool moved = false;
  for (std::uint64_t sequence = 0; sequence < 200; ++sequence) {
    const auto points = boost::json::parse(build_ingest_body(3, 1, 0, sequence, &home)).as_array();
    for (const auto& p : points) {
      const double lat = p.at("lat").to_number<double>(), lon = p.at("lon").to_number<double>();
      max_lat = std::max(max_lat, std::abs(lat - home.lat));
      max_lon = std::max(max_lon, std::abs(lon - home.lon));
      moved = moved || lat != home.lat || lon != home.lon;
    }
  }
  EXPECT_TRUE(moved);
  EXPECT_LE(max_lat, kHomeWander + 1e-12);
  EXPECT_LE(max_lon, kHomeWander + 1e-12);
  EXPECT_GT(max_lat, kHomeWander / 2);  // it does move around, not just sit there
}

}  // namespace
}  // namespace loadgen
