#include "hub/tenant_hub.hpp"

#include <algorithm>

#include "obs/metrics.hpp"

namespace fleet::hub {
namespace {

struct HubMetrics {
  obs::Counter& deliveries = obs::Registry::global().counter(
      "fleet_deliveries_total", "Telemetry events queued to WebSocket sessions (events x sessions)");
  obs::Counter& coalesced = obs::Registry::global().counter(
      "fleet_ws_coalesced_events_total", "Queued events dropped by coalescing to the newest per device");
  obs::Counter& overflows = obs::Registry::global().counter(
      "fleet_ws_slow_consumers_total", "Sessions over the outbox hard limit (closed 1013)");
  static HubMetrics& get() {
    static HubMetrics m;
    return m;
  }
};

// Registered at start-up so every series is exported (as 0) before its first event.
[[maybe_unused]] const HubMetrics& registered_hubmetrics = HubMetrics::get();

}  // namespace

void TenantHub::subscribe(const TenantId& tenant, Subscriber* s) {
  Subscribers& subs = tenants_[tenant];
  if (is_scoped(s)) {
    subs.scoped.add(s, *s->scoped());
  } else {
    subs.all.push_back(s);
  }
}

void TenantHub::unsubscribe(const TenantId& tenant, Subscriber* s) {
  auto it = tenants_.find(tenant);
  if (it == tenants_.end()) return;
  Subscribers& subs = it->second;
  if (ScopedView* v = s->scoped(); v != nullptr && v->registered) {
    subs.scoped.remove(s, *v);
  } else {
    // Order does not matter for fan-out: swap-and-pop keeps removal O(1) after the find.
    auto pos = std::find(subs.all.begin(), subs.all.end(), s);
    if (pos != subs.all.end()) {
      *pos = subs.all.back();
      subs.all.pop_back();
    }
  }
  if (subs.empty()) tenants_.erase(it);
}

void TenantHub::update_view(const TenantId& tenant, Subscriber* s) {
  unsubscribe(tenant, s);
  subscribe(tenant, s);
}

void TenantHub::publish(const std::shared_ptr<const proto::EncodedBatch>& batch) {
  // Every batch, watched here or not: a session may resume on this worker later.
  ring_.append(batch, ResumeRing::Clock::now());
  auto it = tenants_.find(batch->tenant);
  if (it == tenants_.end() || batch->events.empty()) return;
  ++publish_;
  ready_.clear();
  overflow_.clear();
  std::uint64_t coalesced_events = 0;
  for (Subscriber* s : it->second.all) {
    Outbox& box = s->outbox();
    const bool was_empty = box.empty();
    const std::size_t expected = box.events() + batch->events.size();
    switch (box.push(batch)) {
      case Outbox::Push::ok: break;
      case Outbox::Push::coalesced: coalesced_events += expected - box.events(); break;
      case Outbox::Push::overflow:
        coalesced_events += expected - box.events();
        overflow_.push_back(s);
        continue;
    }
    if (was_empty) ready_.push_back(s);
  }
  // Metrics are bumped once per publish, not per session: atomics stay off the per-session path.
  std::uint64_t deliveries = batch->events.size() * it->second.all.size();
  if (!it->second.scoped.empty()) publish_scoped(batch, it->second.scoped, deliveries, coalesced_events);
  stats_.deliveries += deliveries;
  stats_.coalesced_events += coalesced_events;
  stats_.overflows += overflow_.size();
  auto& metrics = HubMetrics::get();
  metrics.deliveries.inc(deliveries);
  if (coalesced_events) metrics.coalesced.inc(coalesced_events);
  if (!overflow_.empty()) metrics.overflows.inc(overflow_.size());
  // Notify after the loop: callbacks may start writes or closes, never while we iterate.
  for (Subscriber* s : ready_) s->on_ready();
  for (Subscriber* s : overflow_) s->on_overflow();
}

void TenantHub::publish_scoped(const std::shared_ptr<const proto::EncodedBatch>& batch, ViewIndex& views,
                               std::uint64_t& deliveries, std::uint64_t& coalesced_events) {
  const auto n = static_cast<std::uint32_t>(batch->events.size());
  for (std::uint32_t i = 0; i < n; ++i) {
    const std::uint64_t stamp = ++stamp_;
    views.route(batch->events[i], [&](Subscriber* s) {
      ScopedView& view = *s->scoped();
      if (view.stamp == stamp) return;
      view.stamp = stamp;
      Outbox& box = s->outbox();
      const bool was_empty = box.empty();
      const std::size_t before = box.events();
      bool changed = false;
      const Outbox::Push push = view.offer(batch, i, changed);
      if (box.events() > before) ++deliveries;
      if (push == Outbox::Push::overflow) {
        coalesced_events += before + 1 - box.events();
        if (view.notified != publish_) {
          view.notified = publish_;
          overflow_.push_back(s);
        }
        return;
      }
      if (push == Outbox::Push::coalesced) coalesced_events += before + 1 - box.events();
      if ((changed || (was_empty && !box.empty())) && view.notified != publish_) {
        view.notified = publish_;
        ready_.push_back(s);
      }
    });
  }
}

std::size_t TenantHub::subscribers(const TenantId& tenant) const {
  auto it = tenants_.find(tenant);
  return it == tenants_.end() ? 0 : it->second.all.size() + it->second.scoped.size();
}

}  // namespace fleet::hub
