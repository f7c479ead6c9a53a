// watch and simulate stop cleanly on the first SIGINT/SIGTERM; a second one must still kill a stuck process.
// Signal dispositions are process-wide, so each case runs in a death-test child.
#include "stop_signal.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>

namespace fleetctl {
namespace {

void first_signal_sets_the_flag_second_kills(int sig) {
  install_stop_handlers();
  if (stop_requested()) std::_Exit(3);
  std::raise(sig);
  if (!stop_requested()) std::_Exit(4);
  std::raise(sig);
  std::_Exit(5);  // not reached: the default action was restored
}

TEST(StopSignalDeathTest, SigintTwice) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(first_signal_sets_the_flag_second_kills(SIGINT), ::testing::KilledBySignal(SIGINT), "");
}

TEST(StopSignalDeathTest, SigtermTwice) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(first_signal_sets_the_flag_second_kills(SIGTERM), ::testing::KilledBySignal(SIGTERM), "");
}

TEST(StopSignalDeathTest, OneSignalOnlyRequestsAStop) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        install_stop_handlers();
        std::raise(SIGTERM);
        std::_Exit(stop_requested() ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace fleetctl
