#include "process_stats.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <unistd.h>
#include <ctime>

namespace loadgen {

namespace {

// utime + stime of a /proc/.../stat line, in clock ticks; nullopt when it does not parse.
std::optional<unsigned long long> stat_ticks(const std::string& line) {
  // Fields after the command name (which may contain spaces) start at field 3; utime and stime are 14, 15.
  const auto close_paren = line.rfind(')');
  if (close_paren == std::string::npos || close_paren + 2 > line.size()) return std::nullopt;
  std::istringstream fields(line.substr(close_paren + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return utime + stime;
}

// Ticks of the process's threads whose name starts with fleet-store or fleet-ckpt.
unsigned long long store_thread_ticks(const std::string& dir) {
  unsigned long long ticks = 0;
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator(dir + "/task", ec)) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    if (!std::getline(comm, name)) continue;
    if (name.rfind("fleet-store", 0) != 0 && name.rfind("fleet-ckpt", 0) != 0) continue;
    std::ifstream stat(task.path() / "stat");
    std::string line;
    if (std::getline(stat, line)) ticks += stat_ticks(line).value_or(0);
  }
  return ticks;
}

}  // namespace

ProcessSample sample_process(pid_t pid) {
  ProcessSample s;
  if (pid <= 0) return s;
  const std::string dir = "/proc/" + std::to_string(pid);
  std::ifstream stat(dir + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return s;
  const auto ticks = stat_ticks(line);
  if (!ticks) return s;
  const auto per_second = static_cast<double>(sysconf(_SC_CLK_TCK));
  s.cpu_seconds = static_cast<double>(*ticks) / per_second;
  s.store_cpu_seconds = static_cast<double>(store_thread_ticks(dir)) / per_second;

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

std::optional<std::int64_t> process_cpu_ns(pid_t pid) {
  clockid_t clock{};
  if (pid <= 0 || clock_getcpuclockid(pid, &clock) != 0) return std::nullopt;
  timespec ts{};
  if (clock_gettime(clock, &ts) != 0) return std::nullopt;
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

double machine_busy_cpu_seconds() {
  std::ifstream stat("/proc/stat");
  std::string cpu;
  std::uint64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  if (!(stat >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal) || cpu != "cpu")
    return -1;
  return static_cast<double>(user + nice + system + irq + softirq + steal) /
         static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::optional<std::uint64_t> netstat_counter(std::string_view netstat, std::string_view group,
                                             std::string_view name) {
  const std::string prefix = std::string(group) + ":";
  std::optional<std::string_view> names;
  while (!netstat.empty()) {
    const std::size_t eol = netstat.find('\n');
    const std::string_view line = netstat.substr(0, eol);
    netstat = eol == std::string_view::npos ? std::string_view{} : netstat.substr(eol + 1);
    if (!line.starts_with(prefix)) continue;
    if (!names) {
      names = line.substr(prefix.size());
      continue;
    }
    // `line` holds the values, in the order of `names`.
    std::istringstream name_words{std::string(*names)}, value_words{std::string(line.substr(prefix.size()))};
    std::string n, v;
    while (name_words >> n && value_words >> v) {
      if (n == name) return std::stoull(v);
    }
    return std::nullopt;
  }
  return std::nullopt;
}

std::optional<std::uint64_t> read_netstat_counter(std::string_view group, std::string_view name) {
  std::ifstream in("/proc/net/netstat");
  std::stringstream text;
  text << in.rdbuf();
  return netstat_counter(text.str(), group, name);
}

}  // namespace loadgen
