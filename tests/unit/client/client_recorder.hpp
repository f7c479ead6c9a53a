#pragma once
// What a fleet::Client reported through its callbacks, for the client tests, and a way to wait for it.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "eventually.hpp"
#include "fleet/client.hpp"

namespace fleet::test {

// Short backoff so reconnect tests are fast.
inline constexpr std::chrono::milliseconds kBackoffMin{50};
inline constexpr std::chrono::milliseconds kBackoffMax{200};
inline constexpr std::chrono::milliseconds kWait{
    20'000};  // a hang guard: waits end when what they wait for happens

struct Recorder {
  std::mutex mu;
  std::vector<std::pair<std::uint16_t, std::string>> closes;
  std::vector<Client::State> states;
  std::vector<proto::Hello> hellos;
  std::vector<std::pair<Seq, std::vector<Device>>> snapshots;
  std::vector<StoredPoint> events;
  std::vector<std::int64_t> auth_oks;
  std::atomic<int> pongs{0};
  std::vector<std::pair<std::uint64_t, std::vector<std::string>>> views;  // on_view: id, unknown
  std::vector<proto::ViewChangeMessage> view_changes;

  Client::Options options(const std::string& base_url) {
    Client::Options o;
    o.base_url = base_url;
    o.backoff_min = kBackoffMin;
    o.backoff_max = kBackoffMax;
    o.callbacks.on_close = [this](std::uint16_t code, const std::string& reason) {
      std::lock_guard l(mu);
      closes.emplace_back(code, reason);
    };
    o.callbacks.on_state = [this](Client::State s) {
      std::lock_guard l(mu);
      states.push_back(s);
    };
    o.callbacks.on_hello = [this](const proto::Hello& h) {
      std::lock_guard l(mu);
      hellos.push_back(h);
    };
    o.callbacks.on_snapshot = [this](Seq seq, const std::vector<Device>& d) {
      std::lock_guard l(mu);
      snapshots.emplace_back(seq, d);
    };
    o.callbacks.on_telemetry = [this](const std::vector<StoredPoint>& e) {
      std::lock_guard l(mu);
      events.insert(events.end(), e.begin(), e.end());
    };
    o.callbacks.on_auth_ok = [this](std::int64_t exp) {
      std::lock_guard l(mu);
      auth_oks.push_back(exp);
    };
    o.callbacks.on_pong = [this] { ++pongs; };
    o.callbacks.on_view = [this](std::uint64_t id, const std::vector<std::string>& unknown) {
      std::lock_guard l(mu);
      views.emplace_back(id, unknown);
    };
    o.callbacks.on_view_change = [this](const proto::ViewChangeMessage& m) {
      std::lock_guard l(mu);
      view_changes.push_back(m);
    };
    return o;
  }

  // Polls `pred` under the lock until it holds (false after `timeout`, which only guards against a hang).
  template <class Pred>
  bool wait(Pred pred, std::chrono::milliseconds timeout = kWait) {
    return fleet::testing::eventually(
        [&] {
          std::lock_guard l(mu);
          return pred();
        },
        timeout);
  }

  std::vector<Seq> event_seqs() {
    std::lock_guard l(mu);
    std::vector<Seq> out;
    for (const StoredPoint& e : events) out.push_back(e.seq);
    return out;
  }
};

inline bool wait_state(const Client& c, Client::State s, std::chrono::milliseconds timeout = kWait) {
  return fleet::testing::eventually([&] { return c.state() == s; }, timeout);
}

}  // namespace fleet::test
