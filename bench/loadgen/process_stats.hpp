#pragma once
// The server's resource use, read from /proc/<pid>: CPU time (all threads) and resident memory; and the
// kernel's TCP counters that explain a connection storm (listen queue overflows).
#include <sys/types.h>
#include <cstdint>
#include <optional>
#include <string_view>

namespace loadgen {

struct ProcessSample {
  double cpu_seconds = 0;  // utime + stime
  // The part of it fleetd's storage threads spent (threads named fleet-store*, fleet-ckpt*): persisting is
  // a cost per ingested event, not per delivery, and the Node baseline has none (it stores nothing).
  double store_cpu_seconds = 0;
  std::uint64_t rss_bytes = 0;  // VmRSS
  bool valid = false;
};

// Returns an invalid sample when pid is 0 or the process is gone.
ProcessSample sample_process(pid_t pid);
// This process (the load generator), for comparison: a co-located load generator competes for the CPUs.
ProcessSample sample_self();

// CPU seconds the whole machine spent busy so far (every CPU: user, nice, system, irq, softirq, steal from
// /proc/stat), or a negative value when it cannot be read. A step's busy time minus the server's and the
// load generator's is what other processes (someone's compile) took from the measurement.
double machine_busy_cpu_seconds();

// CPU time of a whole process (every thread, user + system) in nanoseconds, from its CPU-time clock
// (clock_getcpuclockid). /proc/PID/stat counts in clock ticks (10 ms), too coarse to charge a phase of
// 200 in-band refreshes (~6 ms of CPU) to those refreshes; this clock is exact for a process that is not
// running at the moment it is read. nullopt when the process is gone.
std::optional<std::int64_t> process_cpu_ns(pid_t pid);

// A counter of /proc/net/netstat, e.g. ("TcpExt", "ListenOverflows"): the file holds, per group, a line of
// names and a line of values, both starting with "<group>:". nullopt when the group or name is not there.
std::optional<std::uint64_t> netstat_counter(std::string_view netstat, std::string_view group,
                                             std::string_view name);
// The same, read from this machine's /proc/net/netstat now.
std::optional<std::uint64_t> read_netstat_counter(std::string_view group, std::string_view name);

}  // namespace loadgen
