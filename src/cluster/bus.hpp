#pragma once
// The transport between fleetd nodes: fire-and-forget publish, one subscription to every node's batches.
// At most once: a message may be lost (disconnected, buffer full, a node killed), so nothing relies on it
// arriving; the ClusterBroker's probe repairs from the system of record. NatsBus is the implementation;
// tests join brokers with an in-memory fake.
#include <functional>
#include <string_view>

namespace fleet::cluster {

// Every subject the cluster uses starts with this; subscribe() listens to all of them.
inline constexpr std::string_view kSubjectPrefix = "fleet.v1.";

class Bus {
 public:
  // Called on the bus's own thread, one message at a time; must not block (queue the work elsewhere).
  // The views are valid only during the call.
  using Handler = std::function<void(std::string_view subject, std::string_view payload)>;

  virtual ~Bus() = default;
  // Never blocks the caller; thread-safe. May drop the message (disconnected for too long, buffers full):
  // drops are counted, and the probe repairs what they cost.
  virtual void publish(std::string_view subject, std::string_view payload) = 0;
  // Sets the one handler for "fleet.v1.>" (every node's messages except, where the transport can, the
  // caller's own). Call once, before messages are expected; the handler must outlive the bus's use.
  virtual void subscribe(Handler handler) = 0;
  // Whether the transport is connected now (a hint for metrics and tests; publish works either way).
  virtual bool connected() const = 0;
};

}  // namespace fleet::cluster
