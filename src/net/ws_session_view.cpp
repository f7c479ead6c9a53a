// WsSession's views and share sessions (docs/protocol.md, "Views: scope the stream", "Share links"):
// the session side of the scoped fan-out in hub/ (view_filter, view_index, scoped_view).
#include <boost/asio/dispatch.hpp>
#include <cmath>
#include <limits>
#include <unordered_set>

#include "auth/share_registry.hpp"
#include "net/worker.hpp"
#include "net/ws_session.hpp"
#include "obs/log.hpp"
#include "obs/metrics.hpp"

namespace fleet::net {
namespace {

struct ViewMetrics {
  obs::Counter& views = obs::Registry::global().counter("fleet_ws_views_total", "View messages applied");
  obs::Counter& refused = obs::Registry::global().counter(
      "fleet_ws_views_refused_total", "Sessions closed for an invalid view or too many views");
  obs::Counter& shares = obs::Registry::global().counter("fleet_ws_share_sessions_total",
                                                         "WebSocket sessions opened with a share token");
  static ViewMetrics& get() {
    static ViewMetrics m;
    return m;
  }
};
[[maybe_unused]] const ViewMetrics& registered_view_metrics = ViewMetrics::get();

}  // namespace

void WsSession::authenticate_share(std::string_view token) {
  const auth::ShareCheck check =
      ctx_.shares != nullptr ? ctx_.shares->verify(token, ctx_.clock.now_ms()) : auth::ShareCheck{};
  switch (check.status) {
    case auth::ShareStatus::ok: break;
    case auth::ShareStatus::invalid: return close(proto::CloseReason::invalid_token);
    case auth::ShareStatus::expired: return close(proto::CloseReason::share_expired);
    case auth::ShareStatus::revoked: return close(proto::CloseReason::share_revoked);
  }
  ViewMetrics::get().shares.inc();
  unauthenticated_slot_.release();
  const auth::ShareGrant& grant = *check.grant;
  tenant_ = grant.tenant;
  user_ = UserId("share:" + grant.share_id);
  share_id_ = grant.share_id;
  share_devices_ = grant.devices;
  expiry_ms_ = grant.expires_ms;
  // The share's devices are the tenant's (checked when the share was made): indexes may be assigned.
  install_view(proto::ViewSpec{}, {}, false, [](auto& table, const DeviceId& id) { return table.of(id); });
  proto::Hello hello{tenant_.str(),
                     user_.str(),
                     "share",
                     grant.expires_ms / 1000,
                     "fleetd/" FLEET_VERSION,
                     0,
                     ctx_.store.epoch(tenant_),
                     0,
                     std::nullopt,
                     std::nullopt};
  if (options_asked_) hello.options = options_;
  if (resume_) hello.recovered = false;
  enter_with_view(std::move(hello));
}

void WsSession::enter_with_view(proto::Hello hello) {
  if (!initial_view_) return enter(std::move(hello));
  proto::ViewSpec spec = std::move(*initial_view_);
  initial_view_.reset();
  // Missed events would be the whole tenant's: the view's scoped snapshot replaces the resume.
  if (resume_) {
    resume_.reset();
    hello.recovered = false;
  }
  std::vector<std::string> unknown;
  if (!share_id_.empty()) std::swap(unknown, spec.groups);  // a share names no groups
  const auto proceed = [this](proto::Hello h, proto::ViewSpec v, std::vector<DeviceId> members,
                              std::vector<std::string> unknown_ids) {
    install_view(v, members, !v.groups.empty(),
                 [](auto& table, const DeviceId& id) { return table.find(id); });
    pending_view_ = PendingView{std::move(v), std::move(members), std::move(unknown_ids)};
    enter(std::move(h));
  };
  if (spec.groups.empty()) return proceed(std::move(hello), std::move(spec), {}, std::move(unknown));
  std::vector<std::string> groups = spec.groups;
  ctx_.store.group_members(
      tenant_, std::move(groups),
      [self = shared_from_this(), proceed, h = std::move(hello),
       spec = std::move(spec)](Result<store::GroupMembers> r) mutable {
        boost::asio::dispatch(self->worker_.io(), [self, proceed, h = std::move(h), spec = std::move(spec),
                                                   r = std::move(r)]() mutable {
          if (self->phase_ != Phase::authenticating) return;
          if (!r) {
            obs::warn("view groups failed", {{"tenant", self->tenant_.str()}, {"error", r.error().message}});
            return self->close(proto::CloseReason::internal);
          }
          proceed(std::move(h), std::move(spec), std::move(r->devices), std::move(r->unknown));
        });
      });
}

bool WsSession::take_view_allowance() {
  const auto now = std::chrono::steady_clock::now();
  const double refill = std::chrono::duration<double>(now - view_refilled_).count() * kViewsPerSecond;
  view_allowance_ = std::min(kViewBurst, view_allowance_ + refill);
  view_refilled_ = now;
  if (view_allowance_ < 1) return false;
  view_allowance_ -= 1;
  return true;
}

void WsSession::on_view_message(proto::ClientMessage message) {
  if (phase_ == Phase::closing || phase_ == Phase::closed) return;
  auto& m = ViewMetrics::get();
  if (message.kind == proto::ClientMessage::Kind::invalid_view || phase_ != Phase::live) {
    m.refused.inc();
    return close(proto::CloseReason::invalid_view);
  }
  if (!take_view_allowance()) {
    m.refused.inc();
    return close(proto::CloseReason::too_many_views);
  }
  m.views.inc();
  proto::ViewSpec spec = std::move(*message.view);
  if (spec.groups.empty()) return start_view(std::move(spec), {}, {});
  if (!share_id_.empty()) {
    // A share reaches its own devices only: groups are not its to name.
    std::vector<std::string> unknown = std::move(spec.groups);
    spec.groups.clear();
    return start_view(std::move(spec), {}, std::move(unknown));
  }
  const std::uint64_t generation = ++view_generation_;
  std::vector<std::string> groups = spec.groups;
  ctx_.store.group_members(
      tenant_, std::move(groups),
      [self = shared_from_this(), generation, spec = std::move(spec)](Result<store::GroupMembers> r) mutable {
        boost::asio::dispatch(self->worker_.io(), [self, generation, spec = std::move(spec),
                                                   r = std::move(r)]() mutable {
          if (generation != self->view_generation_ || self->phase_ != Phase::live) return;
          if (!r) {
            obs::warn("view groups failed", {{"tenant", self->tenant_.str()}, {"error", r.error().message}});
            return self->close(proto::CloseReason::internal);
          }
          self->start_view(std::move(spec), std::move(r->devices), std::move(r->unknown));
        });
      });
}

template <class Resolve>
void WsSession::install_view(const proto::ViewSpec& spec, std::span<const DeviceId> group_devices,
                             bool has_groups, Resolve&& resolve) {
  std::vector<std::uint32_t> named;
  std::vector<std::uint32_t> members;
  std::vector<std::uint32_t> allowed;
  {
    auto table = ctx_.device_index.tenant(tenant_);
    const auto add = [&](std::vector<std::uint32_t>& out, const DeviceId& id) {
      if (const std::optional<std::uint32_t> i = resolve(table, id)) out.push_back(*i);
    };
    for (const DeviceId& id : spec.devices) add(named, id);
    for (const DeviceId& id : group_devices) add(members, id);
    for (const DeviceId& id : share_devices_) allowed.push_back(table.of(id));
  }
  view_.set_filter(hub::ViewFilter(spec.boxes, has_groups, members, named, allowed, !share_id_.empty()));
  outbox_.set_scoped(!view_.filter().whole_tenant());
  view_interval_ms_ = spec.min_interval_ms;
  if (subscribed_) worker_.hub().update_view(tenant_, this);
}

void WsSession::start_view(proto::ViewSpec spec, std::vector<DeviceId> group_devices,
                           std::vector<std::string> unknown) {
  const std::uint64_t generation = ++view_generation_;
  const bool has_groups = !spec.groups.empty();
  // Route by the new view at once with the devices this process already knows (an id it never saw has no
  // event yet to match); the snapshot then confirms which named devices are the tenant's.
  install_view(spec, group_devices, has_groups,
               [](auto& table, const DeviceId& id) { return table.find(id); });
  ctx_.store.snapshot(
      tenant_, [self = shared_from_this(), generation, spec = std::move(spec), g = std::move(group_devices),
                u = std::move(unknown)](Result<store::Snapshot> r) mutable {
        boost::asio::dispatch(self->worker_.io(), [self, generation, spec = std::move(spec), g = std::move(g),
                                                   u = std::move(u), r = std::move(r)]() mutable {
          self->on_view_snapshot(generation, std::move(spec), std::move(g), std::move(u), std::move(r));
        });
      });
}

void WsSession::on_view_snapshot(std::uint64_t generation, proto::ViewSpec spec,
                                 std::vector<DeviceId> group_devices, std::vector<std::string> unknown,
                                 Result<store::Snapshot> snapshot) {
  if (generation != view_generation_ || phase_ != Phase::live) return;
  if (!snapshot) {
    obs::warn("view snapshot failed", {{"tenant", tenant_.str()}, {"error", snapshot.error().message}});
    return close(proto::CloseReason::internal);
  }
  apply_view_snapshot(std::move(spec), group_devices, std::move(unknown), *snapshot);
  outbox_.drop_through(snapshot->seq);
  flush();
}

void WsSession::apply_view_snapshot(proto::ViewSpec spec, std::span<const DeviceId> group_devices,
                                    std::vector<std::string> unknown, const store::Snapshot& snapshot) {
  // Named devices that are not the tenant's (or, for a share, not the share's): reported, never routed.
  std::unordered_set<std::string_view> tenant_devices;
  for (const Device& d : snapshot.devices) tenant_devices.insert(d.id.str());
  std::unordered_set<std::string_view> shared;
  for (const DeviceId& id : share_devices_) shared.insert(id.str());
  std::vector<DeviceId> confirmed;
  for (DeviceId& id : spec.devices) {
    const bool ours = tenant_devices.contains(id.str()) && (share_id_.empty() || shared.contains(id.str()));
    if (ours) {
      confirmed.push_back(std::move(id));
    } else {
      unknown.push_back(id.str());
    }
  }
  spec.devices = std::move(confirmed);
  const bool has_groups = !spec.groups.empty();
  install_view(spec, group_devices, has_groups,
               [](auto& table, const DeviceId& id) { return std::optional<std::uint32_t>(table.of(id)); });
  view_id_ = spec.id;
  const proto::SnapshotScope scope{spec.id, unknown};
  queue_snapshot(snapshot, &scope);
}

std::vector<Device> WsSession::scoped_devices(const store::Snapshot& snapshot,
                                              std::vector<std::uint32_t>& inside,
                                              std::vector<std::uint32_t>& indexes) {
  std::vector<Device> out;
  auto table = ctx_.device_index.tenant(tenant_);
  const hub::ViewFilter& f = view_.filter();
  // A device that never reported has no position: in view only when named or by group alone.
  constexpr double kNowhere = std::numeric_limits<double>::quiet_NaN();
  for (const Device& d : snapshot.devices) {
    const std::uint32_t index = table.of(d.id);
    const double lat = d.last ? d.last->point.lat : kNowhere;
    const double lon = d.last ? d.last->point.lon : kNowhere;
    if (!f.matches(index, lat, lon)) continue;
    out.push_back(d);
    inside.push_back(index);
    indexes.push_back(index);
  }
  return out;
}

void WsSession::queue_view_changes() {
  std::vector<std::string> entered;
  std::vector<std::string> left;
  view_.take_changes(entered, left);
  if (entered.empty() && left.empty()) return;
  queue(ws::Opcode::text, proto::encode_view_change(view_id_, entered, left));
}

}  // namespace fleet::net
