#include "stop_signal.hpp"

#include <csignal>

namespace fleetctl {
namespace {

volatile std::sig_atomic_t g_stop = 0;

extern "C" void on_stop_signal(int sig) {
  g_stop = 1;
  std::signal(sig, SIG_DFL);  // a second Ctrl-C kills a stuck process
}

}  // namespace

void install_stop_handlers() {
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
}

bool stop_requested() noexcept { return g_stop != 0; }

}  // namespace fleetctl
