#pragma once
// A population of long-lived viewers spread over worker threads (one EventLoop each). The main thread
// connects them, then reads their counters while the workers keep reading frames.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "histogram.hpp"
#include "net.hpp"
#include "websocket_viewer.hpp"

namespace loadgen {

struct ViewerSpec {
  std::string token;
  int tenant_index = 0;
  bool slow = false;        // stops reading right after hello (slow-consumer scenario)
  std::string after_hello;  // a message sent as soon as hello arrives, e.g. a `view`; empty: none
  std::size_t node = 0;     // index into the pool's servers; connect() sets it
};

struct ViewerPoolOptions {
  int threads = 1;
  int connect_concurrency = 256;  // handshakes in flight per worker while connecting
  int slow_receive_buffer = 8 * 1024;
  // Stream options (format, flush window) for every viewer. Set: each authenticates in its first message
  // (protocol 2) and asks for them there. Unset: the token goes in the URL, as every client did before.
  StreamOptions stream;
};

struct ConnectReport {
  std::uint64_t ready = 0;
  std::uint64_t failed = 0;
  std::map<std::string, std::uint64_t> failures;  // reason -> count
  HistogramSnapshot handshake;                    // connect start -> hello, us
  double seconds = 0;
};

// Counters summed over workers, for one group (readers or slow consumers).
struct ViewerTotals {
  std::uint64_t events = 0, frames = 0, bytes = 0, tag_bytes = 0, seq_gaps = 0, reordered = 0, foreign = 0,
                untagged = 0, snapshots = 0, view_changes = 0;
  HistogramSnapshot latency;
  HistogramSnapshot arrival;

  ViewerTotals since(const ViewerTotals& earlier) const;
};

// Adds one group's counters to `t`.
void add_viewer_stats(ViewerTotals& t, const ViewerStats& s);

class ViewerPool {
 public:
  ViewerPool(const Endpoint& server, const SourceAddresses& sources, int tenants, ViewerPoolOptions options);
  // The same over several nodes of a cluster: each tenant's viewers take the nodes in turn, so every
  // tenant has viewers on every node (given as many viewers per tenant as nodes).
  ViewerPool(std::vector<Endpoint> servers, const SourceAddresses& sources, int tenants,
             ViewerPoolOptions options);
  ~ViewerPool();
  ViewerPool(const ViewerPool&) = delete;
  ViewerPool& operator=(const ViewerPool&) = delete;

  // Connects every viewer; returns once each is ready or failed, or at the deadline (late ones count as
  // failed). Call once.
  ConnectReport connect(std::vector<ViewerSpec> specs, std::chrono::seconds timeout);

  ViewerTotals readers() const;         // viewers that read
  ViewerTotals slow_consumers() const;  // viewers that stopped reading (while resumed)
  // Viewers of tenant t that are open and reading now: each published point should reach each of them.
  std::int64_t live_readers(int tenant) const {
    return live_readers_[static_cast<std::size_t>(tenant)].load();
  }
  std::uint64_t closed_after_ready() const { return closed_after_ready_.load(); }
  std::map<std::string, std::uint64_t> close_reasons() const;  // "1013 Slow consumer" -> count

  // Sends message_for(i) to reader i (in connect()'s order) if its session is open; returns at once (each
  // worker sends on its own thread).
  void send_to_readers(std::function<std::string(std::size_t)> message_for);

  // Lets the slow consumers read again (to see what the server kept for them, or how it closed them).
  void resume_slow_consumers();

 private:
  class Worker;
  friend class Worker;

  const std::vector<Endpoint> servers_;
  const SourceAddresses& sources_;
  ViewerPoolOptions options_;
  std::vector<std::atomic<std::int64_t>> live_readers_;
  std::atomic<std::uint64_t> closed_after_ready_{0};
  mutable std::mutex reasons_mu_;
  std::map<std::string, std::uint64_t> close_reasons_;
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace loadgen
