#pragma once
// Charges CPU time to one kind of operation: begin() right before a phase that runs only that operation,
// end(ops) right after it, for as many phases as there are; the sums divide by the operations. Reads the
// process CPU-time clocks (process_cpu_ns), exact to the microsecond, of the server and of this process.
#include <cstdint>

#include <sys/types.h>

#include <boost/json/object.hpp>

namespace loadgen {

class CpuMeter {
 public:
  explicit CpuMeter(pid_t server) : server_(server) {}

  // The server was restarted: later windows read the new process.
  void set_server(pid_t server) noexcept { server_ = server; }

  void begin();
  void end(std::uint64_t ops);

  std::int64_t server_ns() const noexcept { return server_ns_; }
  std::int64_t loadgen_ns() const noexcept { return loadgen_ns_; }
  std::uint64_t ops() const noexcept { return ops_; }
  bool valid() const noexcept { return valid_; }  // false once a window could not read the server
  double server_us_per_op() const noexcept;
  double loadgen_us_per_op() const noexcept;

  // {"ops","windows","server_cpu_seconds","server_cpu_us_per_op","loadgen_cpu_seconds","loadgen_cpu_us_per_op"}
  boost::json::object json() const;

 private:
  pid_t server_;
  bool open_ = false;
  bool valid_ = true;
  std::int64_t server_start_ = 0, loadgen_start_ = 0;
  std::int64_t server_ns_ = 0, loadgen_ns_ = 0;
  std::uint64_t ops_ = 0, windows_ = 0;
};

}  // namespace loadgen
