// fleetd: parse the configuration, start the server, wait for a signal. Nothing else lives here.
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "app/config.hpp"
#include "app/server.hpp"
#include "obs/log.hpp"

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  auto config = fleet::app::parse_config(args, [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    return v ? std::optional<std::string>(v) : std::nullopt;
  });
  if (!config) {
    std::cerr << "fleetd: " << config.error().message << "\n";
    return 2;
  }
  if (config->help) {
    std::cout << fleet::app::usage();
    return 0;
  }
  if (config->version) {
    std::cout << "fleetd " << FLEET_VERSION << "\n";
    return 0;
  }
  auto server = fleet::app::Server::start(*config);
  if (!server) {
    fleet::obs::error("startup failed", {{"error", server.error().message}});
    return 1;
  }
  return (*server)->wait_and_shutdown();
}
