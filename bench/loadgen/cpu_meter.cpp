#include "cpu_meter.hpp"

#include <stdexcept>

#include <unistd.h>

#include "process_stats.hpp"

namespace loadgen {

void CpuMeter::begin() {
  if (open_) throw std::logic_error("CpuMeter::begin twice");
  const auto server = process_cpu_ns(server_);
  const auto self = process_cpu_ns(getpid());
  valid_ = valid_ && server && self;
  server_start_ = server.value_or(0);
  loadgen_start_ = self.value_or(0);
  open_ = true;
}

void CpuMeter::end(std::uint64_t ops) {
  if (!open_) throw std::logic_error("CpuMeter::end without begin");
  open_ = false;
  const auto server = process_cpu_ns(server_);
  const auto self = process_cpu_ns(getpid());
  valid_ = valid_ && server && self;
  if (!valid_) return;
  server_ns_ += *server - server_start_;
  loadgen_ns_ += *self - loadgen_start_;
  ops_ += ops;
  ++windows_;
}

double CpuMeter::server_us_per_op() const noexcept {
  return ops_ > 0 && valid_ ? static_cast<double>(server_ns_) / 1e3 / static_cast<double>(ops_) : 0.0;
}

double CpuMeter::loadgen_us_per_op() const noexcept {
  return ops_ > 0 && valid_ ? static_cast<double>(loadgen_ns_) / 1e3 / static_cast<double>(ops_) : 0.0;
}

boost::json::object CpuMeter::json() const {
  return {{"ops", ops_},
          {"windows", windows_},
          {"valid", valid_},
          {"server_cpu_seconds", static_cast<double>(server_ns_) / 1e9},
          {"server_cpu_us_per_op", server_us_per_op()},
          {"loadgen_cpu_seconds", static_cast<double>(loadgen_ns_) / 1e9},
          {"loadgen_cpu_us_per_op", loadgen_us_per_op()}};
}

}  // namespace loadgen
