#pragma once
// Names the calling thread, so top -H, perf, gdb and /proc/PID/task/*/comm tell fleetd's threads apart.
#include <string>
#include <string_view>

namespace fleet::obs {

// Linux keeps 15 bytes of a thread's name; longer names are cut. Failures are ignored: a name is a
// diagnostic aid, never a reason to stop.
void set_thread_name(std::string_view name) noexcept;

// The calling thread's name ("" if it cannot be read).
std::string thread_name();

}  // namespace fleet::obs
