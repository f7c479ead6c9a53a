// fleetctl: dispatches to one sub-command (see commands.hpp); global flags come before the command.
#include <cstring>
#include <iostream>
#include <span>

#include "commands.hpp"

namespace {

using fleetctl::Command;

constexpr const Command* kCommands[] = {&fleetctl::kTokenCommand, &fleetctl::kWatchCommand,
                                        &fleetctl::kDevicesCommand, &fleetctl::kPublishCommand,
                                        &fleetctl::kSimulateCommand};

void print_help() {
  std::cout << "usage: fleetctl [--server URL] <command> [flags]\n\n"
               "Command-line client for fleetd (docs/protocol.md).\n\ncommands:\n";
  for (const Command* c : kCommands) {
    std::string name(c->name);
    name.resize(10, ' ');
    std::string summary(c->summary);
    std::cout << "  " << name << summary.substr(0, summary.find('\n')) << '\n';
  }
  std::cout << "\nglobal flags:\n"
               "  --server URL   server base URL: http(s):// or ws(s):// (default $FLEET_SERVER or "
               "http://127.0.0.1:3000)\n"
               "  --help         this help; `fleetctl <command> --help` documents each command's flags\n\n"
               "environment: FLEET_SERVER, FLEET_TOKEN (user token), FLEET_DEVICE_KEY (publish)\n";
}

}  // namespace

int main(int argc, char** argv) {
  std::span<char* const> rest(argv + 1, static_cast<std::size_t>(argc > 0 ? argc - 1 : 0));
  std::vector<char*> global_server;  // "--server URL" given before the command, forwarded to it
  while (!rest.empty() && rest[0][0] == '-') {
    std::string_view a = rest[0];
    if (a == "--help" || a == "-h") {
      print_help();
      return fleetctl::kExitOk;
    }
    if (a == "--server") {
      // As in Args::parse: a missing URL is an error, not "unknown flag", and never the next flag.
      if (rest.size() < 2 || std::string_view(rest[1]).starts_with("--")) {
        return fleetctl::usage_error("--server needs a value");
      }
      global_server = {rest[0], rest[1]};
      rest = rest.subspan(2);
    } else if (a.starts_with("--server=")) {
      global_server = {rest[0]};
      rest = rest.subspan(1);
    } else {
      return fleetctl::usage_error("unknown global flag " + std::string(a));
    }
  }
  if (rest.empty()) {
    print_help();
    return fleetctl::kExitUsage;
  }
  const std::string_view name = rest[0];
  for (const Command* c : kCommands) {
    if (c->name != name) continue;
    // Flags after the command win over the global --server (Args keeps the last occurrence).
    std::vector<char*> argv_cmd(global_server);
    argv_cmd.insert(argv_cmd.end(), rest.begin() + 1, rest.end());
    auto args = fleetctl::Args::parse(c->flags, argv_cmd);
    if (!args) return fleetctl::usage_error(std::string(name) + ": " + args.error().message);
    if (args->has("help")) {
      fleetctl::print_command_help(*c);
      return fleetctl::kExitOk;
    }
    if (!c->positional && !args->positional().empty()) {
      return fleetctl::usage_error(std::string(name) + ": unexpected argument " + args->positional()[0]);
    }
    return c->run(*args);
  }
  if (name == "help") {
    print_help();
    return fleetctl::kExitOk;
  }
  return fleetctl::usage_error("unknown command " + std::string(name));
}
