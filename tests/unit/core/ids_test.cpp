#include "core/ids.hpp"

#include <gtest/gtest.h>

namespace fleet {
namespace {

static_assert(is_device_id("dev_0123456789abcdef0123456789abcdef"));

TEST(DeviceId, AcceptsOnlyTheServersForm) {
  EXPECT_TRUE(is_device_id("dev_9f938b78131ea7d339321cc606fbc7b5"));
  EXPECT_FALSE(is_device_id("dev_9F938B78131EA7D339321CC606FBC7B5"));  // upper case
  EXPECT_FALSE(is_device_id("dev_9f938b78131ea7d339321cc606fbc7b"));   // 31 digits
  EXPECT_FALSE(is_device_id("veh_9f938b78131ea7d339321cc606fbc7b5"));
  EXPECT_FALSE(is_device_id("dev_9f938b78131ea7d339321cc606fbc7g5"));
  EXPECT_FALSE(is_device_id(""));
}

}  // namespace
}  // namespace fleet
