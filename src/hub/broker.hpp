#pragma once
// The seam between "a batch was durably stored" and "deliver it to every worker's sessions".
// LocalBroker fans out inside one process; a multi-node broker (NATS) will sit beside it.
#include <functional>
#include <memory>
#include <vector>

#include "hub/tenant_hub.hpp"
#include "proto/messages.hpp"

namespace fleet::hub {

class Broker {
 public:
  virtual ~Broker() = default;
  // Thread-safe. Callers publish each tenant's batches in commit (seq) order; delivery keeps that order.
  virtual void publish(std::shared_ptr<const proto::EncodedBatch> batch) = 0;
};

// Posts each batch once per worker (not once per session) to the worker's own TenantHub.
class LocalBroker final : public Broker {
 public:
  // Runs a task on a worker's thread, in FIFO order.
  using Post = std::function<void(std::function<void()>)>;

  // Registers a worker before the first publish; `hub` must outlive the broker's use.
  void add_shard(Post post, TenantHub& hub);
  void publish(std::shared_ptr<const proto::EncodedBatch> batch) override;

 private:
  struct Shard {
    Post post;
    TenantHub* hub;
  };
  std::vector<Shard> shards_;
};

}  // namespace fleet::hub
