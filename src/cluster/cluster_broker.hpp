#pragma once
// hub::Broker for a cluster of fleetd nodes (docs/architecture.md, "Cluster bus"): each node's commits go
// to every node over the Bus, and each node hands its own LocalBroker every tenant's events in seq order,
// contiguous, each once, and only once committed, whatever the bus lost, reordered or repeated.
//
// Threads. publish() runs on the store thread (commit order) and the bus handler on the bus's thread;
// neither waits: they encode (the bus message; a received batch, decoded and re-encoded once for this
// process's compact indexes) and queue the result. ONE cluster thread owns the TenantSequencer and is the
// only caller of local.publish(), so order holds. It also probes SeqSource::heads every probe_ms and asks
// SeqSource::events_after for every gap older than hold_ms; their answers come back through the same queue.
// The queue is bounded (count and bytes): over it a batch is dropped and counted, never waited for; its
// seqs are committed, so the probe finds the gap and the store fills it. With no bus (poll-only mode) or
// the bus down, the probe alone keeps delivery going: slower (probe_ms + a store read), never lossy.
// Lock order: Shared::receiving, then Shared::mu (the queue); mu and state_mu_ are leaves. None is held
// while calling the bus, the source or the hub.
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <variant>
#include <vector>

#include "cluster/bus.hpp"
#include "cluster/seq_source.hpp"
#include "cluster/tenant_sequencer.hpp"
#include "core/clock.hpp"
#include "hub/broker.hpp"
#include "proto/device_index.hpp"

namespace fleet::cluster {

struct ClusterOptions {
  std::string node_id;                // names this node on the bus; its own messages are ignored
  std::int64_t hold_ms = 200;         // how long a gap waits for the bus before the store is read
  std::int64_t probe_ms = 500;        // how often every tenant's head is read
  std::size_t max_repair = 10000;     // events one repair may read; beyond, the older ones are skipped
  std::int64_t publish_delay_ms = 0;  // test only: hold each bus send this long (a window to kill -9 in)
  std::size_t max_queued = 65536;     // batches waiting for the cluster thread
  std::size_t max_queued_bytes = std::size_t{64} << 20;  // their EncodedBatch::bytes, summed
  SequencerOptions sequencer;                            // hold_ms above overrides sequencer.hold_ms
};

class ClusterBroker final : public hub::Broker {
 public:
  // `bus` null: poll-only. Every reference must outlive the broker; `local`'s shards are registered before
  // start(). The clock times the probe, holds and repairs, and stamps sent_ms.
  ClusterBroker(Bus* bus, SeqSource& source, hub::LocalBroker& local, proto::DeviceIndex& index,
                ClusterOptions options, const Clock& clock = SystemClock::instance());
  ~ClusterBroker() override;
  ClusterBroker(const ClusterBroker&) = delete;
  ClusterBroker& operator=(const ClusterBroker&) = delete;

  // Subscribes to the bus and starts the cluster thread, which loads every tenant's head (retried each
  // probe_ms until the source answers) and then delivers. Batches published or received before that are
  // kept (bounded) and delivered after it. Once.
  void start();
  // Stops the thread (idempotent, joins). Answers still owed by the source are dropped when they come.
  void stop();

  // Store thread, in commit order: sends the batch on the bus and delivers it locally, as is, in order.
  void publish(std::shared_ptr<const proto::EncodedBatch> batch) override;

  // Whether the heads were loaded and delivery runs. Thread-safe.
  bool ready() const noexcept;
  // The sequencer's last delivered seq of `tenant` (tests). Thread-safe.
  Seq delivered(const TenantId& tenant) const;

 private:
  struct Local {
    std::shared_ptr<const proto::EncodedBatch> batch;
  };
  struct Remote {
    std::shared_ptr<const proto::EncodedBatch> batch;
    std::int64_t sent_ms = 0;
  };
  struct HeadsAnswer {
    Result<std::vector<TenantHead>> heads;
  };
  struct RepairAnswer {
    RepairDue due;
    Result<store::Recovery> recovery;
  };
  using Work = std::variant<Local, Remote, HeadsAnswer, RepairAnswer>;
  struct Delayed {
    std::int64_t due_ms = 0;
    std::string subject;
    std::string payload;
  };
  // What the store thread, the bus handler and the source's callbacks share with the cluster thread. Held
  // by shared_ptr so a bus message or a source answer that comes after stop() (or after the broker is
  // gone) finds `stopped` and is dropped, never touching the broker, and `index` is never used after
  // stop() returns (the bus handler holds `receiving` for its whole call).
  struct Shared {
    std::string node_id;
    proto::DeviceIndex* index = nullptr;
    std::size_t max_batches = 0;
    std::size_t max_bytes = 0;
    std::mutex mu;  // a leaf: never held while calling the bus, the source or the hub
    std::condition_variable wake;
    std::vector<Work> work;
    std::deque<Delayed> delayed;  // publish_delay_ms only, in due order
    std::size_t batches = 0;      // queued Local and Remote work, and their bytes
    std::size_t bytes = 0;
    bool stopped = false;
    std::mutex receiving;  // the bus thread's, for a whole message; stop() takes it to set `closed`
    bool closed = false;
    std::vector<unsigned char> scratch = std::vector<unsigned char>(std::size_t{256} << 10);  // `receiving`'s

    // Queues `w` (a batch of `bytes` when counted) and wakes the cluster thread; false when refused
    // (stopped, or a batch over the bounds: answers are never refused, they are few and owed).
    bool push(Work w, std::size_t size, bool counted);
    // The bus handler: decode, drop our own and bad messages, re-encode once, queue.
    void receive(std::string_view subject, std::string_view payload);
  };

  void run();
  void handle(Work& work, std::int64_t now_ms, Batches& out);
  void handle_repair(RepairAnswer& answer, std::int64_t now_ms, Batches& out);
  void probe();
  void send_due_delayed(std::int64_t now_ms);

  Bus* const bus_;
  SeqSource& source_;
  hub::LocalBroker& local_;
  proto::DeviceIndex& index_;
  const ClusterOptions options_;
  const Clock& clock_;
  std::shared_ptr<Shared> shared_ = std::make_shared<Shared>();
  std::thread thread_;

  // Cluster thread only.
  TenantSequencer sequencer_;
  bool probe_in_flight_ = false;
  std::int64_t next_probe_ms_ = 0;

  // Published by the cluster thread for ready() and delivered(); guarded by state_mu_ (a leaf).
  mutable std::mutex state_mu_;
  bool ready_ = false;
  std::unordered_map<TenantId, Seq> delivered_;
};

}  // namespace fleet::cluster
