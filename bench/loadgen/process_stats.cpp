#include "process_stats.hpp"

#include <fstream>
#include <sstream>
#include <string>

#include <unistd.h>

namespace loadgen {

ProcessSample sample_process(pid_t pid) {
  ProcessSample s;
  if (pid <= 0) return s;
  const std::string dir = "/proc/" + std::to_string(pid);
  std::ifstream stat(dir + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return s;
  // Fields after the command name (which may contain spaces) start at field 3; utime and stime are 14, 15.
  auto close_paren = line.rfind(')');
  if (close_paren == std::string::npos) return s;
  std::istringstream fields(line.substr(close_paren + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  s.cpu_seconds = static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));

  std::ifstream status(dir + "/status");
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      s.rss_bytes = std::stoull(line.substr(6)) * 1024;  // "VmRSS:   12345 kB"
      break;
    }
  }
  s.valid = true;
  return s;
}

ProcessSample sample_self() { return sample_process(getpid()); }

}  // namespace loadgen
