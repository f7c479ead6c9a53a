// Scoped fan-out by cells against the design it replaced on paper: every scoped session offered every
// event (its own exact filter deciding). Same hub, same sessions, same deliveries: 10,000 devices on a
// 100 x 100 grid over 1 x 1 degree, 1,000 sessions each viewing 100 of them (1 %). The "every session"
// variant is built from group views (not spatial, so the hub offers them every event) whose members are
// exactly the devices of the box. Prints ns of hub CPU per published event and per delivery for each.
// Usage: scoped_fanout [rounds]   (docs/architecture.md, "Scoped fan-out")
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "hub/scoped_view.hpp"
#include "hub/tenant_hub.hpp"

namespace {

using namespace fleet;

constexpr int kSide = 100;
constexpr int kViewers = 1000;
constexpr int kBatch = 10;

struct Sub final : hub::Subscriber {
  hub::Outbox box{hub::OutboxLimits{SIZE_MAX / 4, SIZE_MAX / 2}};
  hub::ScopedView view{box};
  hub::Outbox& outbox() noexcept override { return box; }
  void on_ready() override {}
  void on_overflow() override {}
  hub::ScopedView* scoped() noexcept override { return &view; }
};

double lat_of(int row) { return 48.0 + row * 0.01 + 0.005; }
double lon_of(int col) { return 2.0 + col * 0.01 + 0.005; }

struct Result {
  double ns_per_event;
  double ns_per_delivery;
  std::uint64_t deliveries;
};

Result run(bool cells, int rounds) {
  proto::DeviceIndex index;
  const TenantId tenant("org_bench");
  std::vector<DeviceId> ids;
  std::vector<std::uint32_t> idx;
  {
    auto table = index.tenant(tenant);
    for (int i = 0; i < kSide * kSide; ++i) {
      ids.emplace_back("dev_" + std::to_string(i));
      idx.push_back(table.of(ids.back()));
    }
  }
  hub::TenantHub hub;
  std::vector<std::unique_ptr<Sub>> subs;
  for (int v = 0; v < kViewers; ++v) {
    // Box v: 10 x 10 devices at a position spread over the grid.
    const int row0 = (v * 7) % (kSide - 10);
    const int col0 = (v * 13) % (kSide - 10);
    auto s = std::make_unique<Sub>();
    if (cells) {
      const proto::GeoBox box{2.0 + col0 * 0.01, 48.0 + row0 * 0.01, 2.0 + (col0 + 10) * 0.01,
                              48.0 + (row0 + 10) * 0.01};
      s->view.set_filter(hub::ViewFilter(std::span(&box, 1), false, {}, {}, {}, false));
    } else {
      std::vector<std::uint32_t> members;
      for (int r = row0; r < row0 + 10; ++r) {
        for (int c = col0; c < col0 + 10; ++c)
          members.push_back(idx[static_cast<std::size_t>(r * kSide + c)]);
      }
      s->view.set_filter(hub::ViewFilter({}, true, members, {}, {}, false));
    }
    hub.subscribe(tenant, s.get());
    subs.push_back(std::move(s));
  }
  // Batches as ingest makes them, encoded once before timing.
  std::vector<std::shared_ptr<const proto::EncodedBatch>> batches;
  Seq seq = 1;
  for (int first = 0; first < kSide * kSide; first += kBatch) {
    std::vector<StoredPoint> points;
    for (int i = first; i < first + kBatch; ++i) {
      StoredPoint p;
      p.seq = seq++;
      p.device = ids[static_cast<std::size_t>(i)];
      p.point.ts_ms = 1'700'000'000'000;
      p.point.lat = lat_of(i / kSide);
      p.point.lon = lon_of(i % kSide);
      points.push_back(std::move(p));
    }
    batches.push_back(proto::encode_batch(tenant, points, index));
  }
  for (const auto& b : batches) hub.publish(b);  // first sight of every device: untimed
  std::vector<hub::Slice> scratch;
  for (auto& s : subs) {
    s->box.take(scratch, SIZE_MAX);
    scratch.clear();
  }
  const std::uint64_t before = hub.stats().deliveries;
  std::chrono::nanoseconds spent{0};
  for (int r = 0; r < rounds; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    for (const auto& b : batches) hub.publish(b);
    spent += std::chrono::steady_clock::now() - t0;
    for (auto& s : subs) {  // what the sessions' flushes would do, untimed
      s->box.take(scratch, SIZE_MAX);
      scratch.clear();
      s->box.set_position(0);
    }
  }
  const std::uint64_t deliveries = hub.stats().deliveries - before;
  const double events = double(rounds) * kSide * kSide;
  return {double(spent.count()) / events, double(spent.count()) / double(deliveries), deliveries};
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 20;
  for (bool cells : {true, false}) {
    const Result r = run(cells, rounds);
    std::printf("%-34s %8.1f ns per event  %6.1f ns per delivery  (%llu deliveries)\n",
                cells ? "cells (fleetd)" : "every session offered every event", r.ns_per_event,
                r.ns_per_delivery, static_cast<unsigned long long>(r.deliveries));
  }
}
