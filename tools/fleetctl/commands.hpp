#pragma once
// The sub-commands, one per file (cmd_<name>.cpp). main.cpp only dispatches.
#include "cli.hpp"

namespace fleetctl {

extern const Command kTokenCommand;
extern const Command kWatchCommand;
extern const Command kDevicesCommand;
extern const Command kPublishCommand;
extern const Command kSimulateCommand;

}  // namespace fleetctl
