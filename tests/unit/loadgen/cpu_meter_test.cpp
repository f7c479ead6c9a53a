// Charging CPU to operations: the refresh scenario's result is a few milliseconds of server CPU per phase,
// so the clock must resolve far below /proc's 10 ms ticks, and only the bracketed windows may count.
#include "cpu_meter.hpp"

#include <gtest/gtest.h>

#include <pthread.h>

#include <ctime>
#include <optional>
#include <thread>

#include <unistd.h>

#include "process_stats.hpp"

namespace loadgen {
namespace {

std::int64_t thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

// Burns `ns` of this thread's CPU.
void spin(std::int64_t ns) {
  const std::int64_t until = thread_cpu_ns() + ns;
  volatile std::uint64_t sink = 0;
  while (thread_cpu_ns() < until) sink = sink + 1;
}

TEST(ProcessCpu, ResolvesLessThanAClockTick) {
  const std::optional<std::int64_t> before = process_cpu_ns(getpid());
  ASSERT_TRUE(before);
  spin(2'000'000);  // 2 ms: a fifth of a 10 ms tick
  const std::int64_t spent = *process_cpu_ns(getpid()) - *before;
  EXPECT_GE(spent, 2'000'000);
  EXPECT_LT(spent, 50'000'000);
}

TEST(ProcessCpu, StorageThreadsAreCountedApart) {
  // This (unnamed) thread burns 60 ms, then a thread named as fleetd names its checkpointer burns 60 ms and
  // samples the process while it is alive (/proc lists live threads only; fleetd's live for the run).
  spin(60'000'000);
  ProcessSample during;
  std::thread store([&during] {
    pthread_setname_np(pthread_self(), "fleet-ckpt");
    spin(60'000'000);
    during = sample_self();
  });
  store.join();
  ASSERT_TRUE(during.valid);
  EXPECT_GE(during.store_cpu_seconds, 0.04);  // its own 60 ms, in 10 ms ticks
  EXPECT_GE(during.cpu_seconds - during.store_cpu_seconds, 0.04)
      << "the unnamed thread's CPU is not storage's";
}

TEST(ProcessCpu, NoProcessNoSample) {
  EXPECT_FALSE(process_cpu_ns(0));
  EXPECT_FALSE(process_cpu_ns(-1));
}

TEST(CpuMeter, ChargesOnlyTheBracketedWindowsToTheirOperations) {
  CpuMeter meter(getpid());  // this process plays the server
  for (int window = 0; window < 2; ++window) {
    spin(20'000'000);  // outside any window: not charged
    meter.begin();
    spin(4'000'000);
    meter.end(4);
  }
  ASSERT_TRUE(meter.valid());
  EXPECT_EQ(meter.ops(), 8u);
  EXPECT_GE(meter.server_us_per_op(), 1000.0);  // 8 ms over 8 operations
  EXPECT_LT(meter.server_us_per_op(), 2500.0);  // nowhere near the 40 ms spent outside
}

TEST(CpuMeter, AServerThatIsGoneMakesTheMeasurementInvalid) {
  CpuMeter meter(0);
  meter.begin();
  meter.end(10);
  EXPECT_FALSE(meter.valid());
  EXPECT_EQ(meter.server_us_per_op(), 0.0);
}

TEST(Netstat, ReadsACounterFromItsGroup) {
  constexpr std::string_view kText =
      "TcpExt: SyncookiesSent ListenOverflows ListenDrops\n"
      "TcpExt: 0 17 19\n"
      "IpExt: InNoRoutes ListenOverflows\n"
      "IpExt: 3 99\n";
  EXPECT_EQ(netstat_counter(kText, "TcpExt", "ListenOverflows"), 17u);
  EXPECT_EQ(netstat_counter(kText, "TcpExt", "ListenDrops"), 19u);
  EXPECT_EQ(netstat_counter(kText, "IpExt", "ListenOverflows"), 99u);
  EXPECT_FALSE(netstat_counter(kText, "TcpExt", "InNoRoutes"));
  EXPECT_FALSE(netstat_counter(kText, "MPTcpExt", "ListenDrops"));
}

TEST(Netstat, ThisMachineHasTheListenCounters) {
  EXPECT_TRUE(read_netstat_counter("TcpExt", "ListenOverflows"));
  EXPECT_TRUE(read_netstat_counter("TcpExt", "ListenDrops"));
}

}  // namespace
}  // namespace loadgen
