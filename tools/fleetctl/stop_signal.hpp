#pragma once
// SIGINT/SIGTERM as a flag that long-running commands (watch, simulate) poll.
namespace fleetctl {

// Installs the handlers; a second signal terminates immediately (the default action is restored).
void install_stop_handlers();
bool stop_requested() noexcept;

}  // namespace fleetctl
