#pragma once
// The Bus over core NATS (libnats). At most once by design: durability comes from the system of record,
// and the ClusterBroker's probe repairs whatever the bus loses (docs/architecture.md, "Cluster bus").
//
// Threads: libnats runs its own (reader, flusher, reconnect, one delivery thread for the subscription:
// the handler's thread). publish() only appends to a bounded queue that a sender thread of ours drains
// into the connection, because a libnats publish may write to the socket inline, and a server that is
// SIGSTOPped can block that write for as long as it is stopped: the store thread must never wait on it.
// Lock order: `mu_` (the send queue) is a leaf; the handler's lock is held only while calling the handler.
#include <nats/nats.h>

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "cluster/bus.hpp"
#include "core/result.hpp"

namespace fleet::cluster {

struct NatsBusOptions {
  std::int64_t connect_timeout_ms = 2000;  // the first connection only; reconnects retry forever
  std::int64_t reconnect_wait_ms = 200;    // plus up to 50 ms of jitter: at most 250 ms between attempts
  // What libnats keeps for publishes while disconnected; over it they are dropped (and repaired).
  int reconnect_buffer_bytes = 8 << 20;
  // Our own send queue in front of the connection (see above); over it publish() drops, counted.
  std::size_t max_send_queue = 8192;
  std::size_t max_send_bytes = std::size_t{32} << 20;
  // A silent server (SIGSTOP, dead link) is found stale after ping_interval_ms * (max_pings_out + 1).
  std::int64_t ping_interval_ms = 1000;
  int max_pings_out = 2;
};

class NatsBus final : public Bus {
 public:
  // Connects to `url` ("nats://host:port", a comma-separated list for a NATS cluster), naming the
  // connection `name` on the server. Fails with ErrorCode::unavailable and a message naming the address
  // (with any user:password removed) and the reason: a URL that is not nats://, an unreachable server, a
  // refused handshake. Once connected, the connection reconnects forever (fleet_bus_connected and
  // fleet_bus_reconnects_total tell).
  static Result<std::unique_ptr<NatsBus>> connect(const std::string& url, const std::string& name,
                                                  NatsBusOptions options = {});
  ~NatsBus() override;
  NatsBus(const NatsBus&) = delete;
  NatsBus& operator=(const NatsBus&) = delete;

  void publish(std::string_view subject, std::string_view payload) override;
  // Subscribes to "fleet.v1.>"; the connection has no-echo set, so this node's own messages never come
  // back. Returns once the server has the subscription (when connected). A second call is ignored.
  void subscribe(Handler handler) override;
  bool connected() const override;

  // What the send queue refused since start (tests).
  std::uint64_t send_dropped() const;

 private:
  struct Receiver;  // the handler and what guards its lifetime against libnats' delivery thread
  struct Message {
    std::string subject;
    std::string payload;
  };

  NatsBus(natsConnection* conn, natsOptions* opts, NatsBusOptions options);
  void send_loop();

  natsConnection* conn_;
  natsOptions* opts_;
  const NatsBusOptions options_;
  natsSubscription* sub_ = nullptr;
  Receiver* receiver_ = nullptr;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Message> queue_;
  std::size_t queued_bytes_ = 0;
  std::uint64_t dropped_ = 0;
  bool stopping_ = false;
  std::thread sender_;
};

// `url` with any "user:password@" (or token@) removed from each comma-separated address: safe to log.
std::string redact_bus_url(std::string_view url);

}  // namespace fleet::cluster
