#include "hub/broker.hpp"

namespace fleet::hub {

void LocalBroker::add_shard(Post post, TenantHub& hub) { shards_.push_back({std::move(post), &hub}); }

void LocalBroker::publish(std::shared_ptr<const proto::EncodedBatch> batch) {
  for (const Shard& shard : shards_) {
    shard.post([hub = shard.hub, batch] { hub->publish(batch); });
  }
}

}  // namespace fleet::hub
