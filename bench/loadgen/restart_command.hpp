#pragma once
// Runs the command bench/run.sh hands the storm scenario for restarting the server (--restart-cmd):
// `/bin/sh -c CMD` with its stdout captured, bounded by a timeout. The command stops the server, starts it
// again and returns once the new one accepts connections, printing the new server's pid on its last line.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <sys/types.h>

namespace loadgen {

struct CommandResult {
  int exit_code = -1;      // the command's exit status; -1 when it was killed by a signal or timed out
  bool timed_out = false;  // still running at the timeout: killed (SIGKILL)
  std::string output;      // what it wrote on stdout (stderr is left to this process's stderr)
  double seconds = 0;      // from start to exit
};

// Waits for the command itself to exit, not for its stdout to close: a server it starts in the background
// may hold on to inherited descriptors. Throws std::system_error when it cannot be started.
CommandResult run_command(const std::string& command, std::chrono::milliseconds timeout);

// The pid on the last non-empty line of `output`; nullopt unless that line is a positive decimal integer.
std::optional<pid_t> last_line_pid(std::string_view output);

}  // namespace loadgen
