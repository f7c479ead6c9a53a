// The loopback floor is an instrument in every benchmark run: every byte its sender wrote must reach its
// receiver, and it must report the figures run.sh and report.mjs read. No timing assertions: the machine
// is shared, and any positive rate is a correct measurement of it.
#include "loopback_floor.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <stdexcept>
#include <string_view>

#include <boost/json/serialize.hpp>

namespace loadgen {
namespace {

double number(const boost::json::object& o, std::string_view key) { return o.at(key).to_number<double>(); }

FloorSettings tiny() {
  FloorSettings s;
  s.pairs = 8;
  s.frame_bytes = 512;
  s.events_per_frame = 10;
  s.seconds = 0.2;
  return s;
}

TEST(Floor, ReceivesEveryByteItSent) {
  const boost::json::object r = measure_floor(tiny());
  ASSERT_FALSE(r.contains("failure")) << boost::json::serialize(r);
  EXPECT_GT(number(r, "frames_sent"), 0);
  EXPECT_EQ(r.at("bytes_received").to_number<std::uint64_t>(), r.at("bytes_sent").to_number<std::uint64_t>());
  // Whole frames, plus at most one unfinished frame per socket when the sender stopped.
  EXPECT_GE(number(r, "bytes_sent"), number(r, "frames_sent") * 512);
  EXPECT_LT(number(r, "bytes_sent"), (number(r, "frames_sent") + 8) * 512);
  EXPECT_GT(number(r, "frames_per_s"), 0);
  EXPECT_GT(number(r, "sender_cpu_us_per_frame"), 0);
  EXPECT_GT(number(r, "receiver_cpu_us_per_frame"), 0);
  EXPECT_DOUBLE_EQ(number(r, "total_cpu_us_per_frame"),
                   number(r, "sender_cpu_us_per_frame") + number(r, "receiver_cpu_us_per_frame"));
  EXPECT_DOUBLE_EQ(number(r, "deliveries_per_s_equivalent"), number(r, "frames_per_s") * 10);
  EXPECT_GE(number(r, "wall_seconds"), 0.2);
  EXPECT_EQ(number(r, "pairs"), 8);
  EXPECT_EQ(number(r, "frame_bytes"), 512);
  EXPECT_GE(number(r, "cpus"), 1);
}

TEST(Floor, RejectsSettingsItCannotMeasure) {
  FloorSettings s = tiny();
  s.pairs = 0;
  EXPECT_THROW(measure_floor(s), std::invalid_argument);
  s = tiny();
  s.frame_bytes = 0;
  EXPECT_THROW(measure_floor(s), std::invalid_argument);
  s = tiny();
  s.seconds = 0;
  EXPECT_THROW(measure_floor(s), std::invalid_argument);
}

}  // namespace
}  // namespace loadgen
