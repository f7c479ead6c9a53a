#pragma once
// Starts a real fleetd on 127.0.0.1:<ephemeral> with its own data directory, and stops it.
#include <sys/types.h>

#include <string>
#include <vector>

namespace fleet::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
};

class FleetdProcess {
 public:
  // `data_dir`: reuse a directory to test restarts; empty: a fresh one owned by this object.
  explicit FleetdProcess(std::vector<std::string> extra_args = {"--dev"}, std::string data_dir = {});
  ~FleetdProcess();
  FleetdProcess(const FleetdProcess&) = delete;
  FleetdProcess& operator=(const FleetdProcess&) = delete;

  unsigned short port() const noexcept { return port_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  const std::string& data_dir() const noexcept { return data_dir_; }
  pid_t pid() const noexcept { return pid_; }

  // Sends `sig` and waits for exit; returns the exit status as from waitpid (or -1 on timeout).
  int stop(int sig = 15, int timeout_ms = 10'000);
  // Everything the process wrote to stderr so far.
  std::string log() const;

 private:
  TempDir owned_dir_;
  std::string data_dir_;
  std::string log_path_;
  pid_t pid_ = -1;
  unsigned short port_ = 0;
};

}  // namespace fleet::testing
