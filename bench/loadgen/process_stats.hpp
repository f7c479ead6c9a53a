#pragma once
// The server's resource use, read from /proc/<pid>: CPU time (all threads) and resident memory.
#include <cstdint>
#include <sys/types.h>

namespace loadgen {

struct ProcessSample {
  double cpu_seconds = 0;       // utime + stime
  std::uint64_t rss_bytes = 0;  // VmRSS
  bool valid = false;
};

// Returns an invalid sample when pid is 0 or the process is gone.
ProcessSample sample_process(pid_t pid);
// This process (the load generator), for comparison: a co-located load generator competes for the CPUs.
ProcessSample sample_self();

}  // namespace loadgen
