#pragma once
// Wires fleetd together: store, workers with their hub shards, broker, key source, authenticator, API
// router, listener. Owns every object and tears them down in the reverse order of their dependencies.
#include <memory>

#include "app/config.hpp"
#include "core/result.hpp"

namespace fleet::app {

class Server {
 public:
  // Opens the store, binds the listener and starts the workers. Errors name what failed.
  static Result<std::unique_ptr<Server>> start(const Config& config);
  ~Server();

  // The bound port (useful with --listen ...:0).
  unsigned short port() const noexcept;

  // Blocks until SIGINT or SIGTERM (or request_stop()), then shuts down gracefully: stop accepting,
  // close WebSocket sessions with 1001, let in-flight requests finish, flush the store. Returns the exit
  // code.
  int wait_and_shutdown();
  // Thread-safe: makes wait_and_shutdown() proceed as if a signal arrived.
  void request_stop();

 private:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace fleet::app
