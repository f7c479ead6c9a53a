#pragma once
// Waiting for what another thread or process does on its own time (a pass that finishes, a session the
// server closes, a gauge it updates) without racing the clock: poll until it holds.
#include <chrono>
#include <functional>
#include <thread>

namespace fleet::testing {

// Polls `done` every `every` until it holds; false once `timeout` passed. The timeout only guards
// against a hang, so it is long: it costs nothing when the test passes.
inline bool eventually(const std::function<bool()>& done,
                       std::chrono::milliseconds timeout = std::chrono::seconds(20),
                       std::chrono::milliseconds every = std::chrono::milliseconds(5)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(every);
  }
  return true;
}

// The opposite wait, for "X never happens": checks `holds` every `every` for the whole `window` and
// returns false at the first check that fails. Only for absence, where time passing IS what is tested
// (no reconnect within several backoffs); anything that happens is waited for with eventually().
inline bool holds_for(const std::function<bool()>& holds, std::chrono::milliseconds window,
                      std::chrono::milliseconds every = std::chrono::milliseconds(5)) {
  const auto deadline = std::chrono::steady_clock::now() + window;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!holds()) return false;
    std::this_thread::sleep_for(every);
  }
  return holds();
}

}  // namespace fleet::testing
