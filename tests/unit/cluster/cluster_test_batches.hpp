#pragma once
// Batches for the cluster layer's tests: seq ranges of one tenant, encoded as the store's callback would.
#include <memory>
#include <string>
#include <vector>

#include "proto/device_index.hpp"
#include "proto/messages.hpp"

namespace fleet::cluster::test {

inline std::vector<StoredPoint> points(Seq first, Seq last,
                                       const std::string& device = "dev_0123456789abcdef0123456789abcdef") {
  std::vector<StoredPoint> out;
  for (Seq s = first; s <= last; ++s) {
    StoredPoint p;
    p.seq = s;
    p.device = DeviceId(device);
    p.point.ts_ms = 1'700'000'000'000 + static_cast<std::int64_t>(s);
    p.point.lat = 48.0 + static_cast<double>(s) / 1000;
    p.point.lon = 11.0;
    out.push_back(p);
  }
  return out;
}

inline std::shared_ptr<const proto::EncodedBatch> batch(const std::string& tenant, Seq first, Seq last) {
  static proto::DeviceIndex index;
  return proto::encode_batch(TenantId(tenant), points(first, last), index);
}

// The seqs of delivered batches, in delivery order.
inline std::vector<Seq> seqs(const std::vector<std::shared_ptr<const proto::EncodedBatch>>& batches) {
  std::vector<Seq> out;
  for (const auto& b : batches) {
    for (const auto& e : b->events) out.push_back(e.seq);
  }
  return out;
}

inline std::vector<Seq> range(Seq first, Seq last) {
  std::vector<Seq> out;
  for (Seq s = first; s <= last; ++s) out.push_back(s);
  return out;
}

}  // namespace fleet::cluster::test
