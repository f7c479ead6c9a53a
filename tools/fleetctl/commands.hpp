#pragma once
// The sub-commands, one per file (cmd_<name>.cpp). main.cpp only dispatches.
// Commands without positional arguments refuse them: a stray word is a forgotten flag name or an unquoted
// value, and dropping it silently would run something else than what was asked.
#include "cli.hpp"

namespace fleetctl {

extern const Command kTokenCommand;
extern const Command kWatchCommand;
extern const Command kDevicesCommand;
extern const Command kPublishCommand;
extern const Command kSimulateCommand;

}  // namespace fleetctl
