#include "store/memory_store.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <tuple>
#include <unordered_set>
#include <utility>

#include "store/epoch.hpp"
#include "store/groups_shares.hpp"
#include "store/random_id.hpp"

namespace fleet::store {
namespace {

constexpr std::size_t kMaxHistoryLimit = 1000;

Error not_found() { return make_error(ErrorCode::not_found, "no such device"); }
Error stopped() { return make_error(ErrorCode::unavailable, "store stopped"); }

// 32 random bytes, as SqliteStore keeps per database. Empty if the CSPRNG fails, which makes every share
// token invalid rather than guessable.
std::string random_share_key() {
  std::string key(32, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), static_cast<int>(key.size())) != 1) return {};
  return key;
}

bool before(const StoredPoint& a, const StoredPoint& b) {
  return std::tie(a.point.ts_ms, a.seq) < std::tie(b.point.ts_ms, b.seq);
}

}  // namespace

template <class T, class Op>
void MemoryStore::locked(const Callback<T>& done, Op op) {
  std::lock_guard lock(mu_);
  if (stopped_) return done(stopped());
  done(op());
}

void MemoryStore::append(AppendRequest req, Callback<AppendResult> done) {
  locked<AppendResult>(done, [&] { return do_append(req); });
}

void MemoryStore::create_device(TenantId tenant, std::string name, std::string key_hash,
                                Callback<Device> done) {
  locked<Device>(done, [&] { return do_create(tenant, name, key_hash); });
}

void MemoryStore::revoke_device(TenantId tenant, DeviceId id, Callback<Device> done) {
  locked<Device>(done, [&] { return do_revoke(tenant, id); });
}

void MemoryStore::get_device(TenantId tenant, DeviceId id, Callback<Device> done) {
  locked<Device>(done, [&] { return do_get(tenant, id); });
}

void MemoryStore::list_devices(TenantId tenant, Callback<std::vector<Device>> done) {
  locked<std::vector<Device>>(done, [&] { return Result<std::vector<Device>>(devices_of(tenant, true)); });
}

void MemoryStore::snapshot(TenantId tenant, Callback<Snapshot> done) {
  locked<Snapshot>(done, [&] { return do_snapshot(tenant); });
}

MemoryStore::MemoryStore(const Clock& clock)
    : clock_(clock), store_id_(random_store_id()), share_key_(random_share_key()) {}

void MemoryStore::events_after(TenantId tenant, Seq since, std::size_t max_events, Callback<Recovery> done) {
  locked<Recovery>(done, [&]() -> Result<Recovery> { return do_events_after(tenant, since, max_events); });
}

std::string MemoryStore::epoch(const TenantId& tenant) const { return tenant_epoch(store_id_, tenant); }

bool MemoryStore::device_key_active(std::string_view key_hash) const {
  std::lock_guard lock(mu_);
  auto key = keys_.find(std::string(key_hash));
  return key != keys_.end() && !devices_.at(key->second).device.revoked_ms;
}

Recovery MemoryStore::do_events_after(const TenantId& tenant, Seq since, std::size_t max_events) const {
  Recovery out;
  auto it = tenants_.find(tenant.str());
  out.seq = it == tenants_.end() ? 0 : it->second.seq;
  if (since > out.seq || out.seq - since > max_events) return out;
  for (const std::string& id : it == tenants_.end() ? std::vector<std::string>{} : it->second.device_ids) {
    const auto& points = devices_.at(id).points;
    auto from = std::upper_bound(points.begin(), points.end(), since,
                                 [](Seq s, const StoredPoint& p) { return s < p.seq; });
    out.points.insert(out.points.end(), from, points.end());
  }
  std::sort(out.points.begin(), out.points.end(),
            [](const StoredPoint& a, const StoredPoint& b) { return a.seq < b.seq; });
  out.complete = true;
  return out;
}

void MemoryStore::history(HistoryQuery q, Callback<HistoryPage> done) {
  locked<HistoryPage>(done, [&] { return do_history(q); });
}

Result<Device> MemoryStore::do_get(const TenantId& tenant, const DeviceId& id) const {
  const DeviceRecord* rec = find(tenant, id);
  if (rec == nullptr) return not_found();
  return rec->device;
}

Result<Snapshot> MemoryStore::do_snapshot(const TenantId& tenant) const {
  auto it = tenants_.find(tenant.str());
  return Snapshot{it == tenants_.end() ? 0 : it->second.seq, devices_of(tenant, false)};
}

void MemoryStore::stop() {
  std::lock_guard lock(mu_);
  stopped_ = true;
}

const MemoryStore::DeviceRecord* MemoryStore::find(const TenantId& tenant, const DeviceId& id) const {
  auto it = devices_.find(id.str());
  if (it == devices_.end() || it->second.device.tenant != tenant) return nullptr;
  return &it->second;
}

std::vector<Device> MemoryStore::devices_of(const TenantId& tenant, bool include_revoked) const {
  std::vector<Device> out;
  auto t = tenants_.find(tenant.str());
  if (t == tenants_.end()) return out;
  for (const std::string& id : t->second.device_ids) {
    const Device& d = devices_.at(id).device;
    if (include_revoked || !d.revoked_ms) out.push_back(d);
  }
  return out;
}

Result<AppendResult> MemoryStore::do_append(const AppendRequest& req) {
  auto key = keys_.find(req.key_hash);
  if (key == keys_.end()) return make_error(ErrorCode::unauthorized, "unknown or revoked device key");
  DeviceRecord& rec = devices_.at(key->second);
  if (rec.device.revoked_ms) return make_error(ErrorCode::unauthorized, "unknown or revoked device key");
  if (req.points.empty()) return Error{ErrorCode::invalid_field, "empty batch", std::nullopt, "points"};

  Tenant& tenant = tenants_[rec.device.tenant.str()];
  AppendResult out{rec.device.tenant, rec.device.id, {}, 0};
  out.points.reserve(req.points.size());
  for (const TelemetryPoint& p : req.points) {
    StoredPoint sp{++tenant.seq, rec.device.id, req.received_ms, p};
    // Newest by device time; the new seq is the highest, so it wins a tie.
    if (!rec.device.last || p.ts_ms >= rec.device.last->point.ts_ms) rec.device.last = sp;
    rec.points.push_back(sp);
    out.points.push_back(std::move(sp));
  }
  out.last_seq = tenant.seq;
  return out;
}

Result<Device> MemoryStore::do_create(const TenantId& tenant, const std::string& name,
                                      const std::string& key_hash) {
  if (key_hash.empty()) return Error{ErrorCode::invalid_field, "empty key hash", std::nullopt, "key_hash"};
  if (keys_.contains(key_hash)) {
    return Error{ErrorCode::invalid_field, "key already registered", std::nullopt, "key_hash"};
  }
  auto id = new_device_id();
  if (!id) return id.error();
  Device d{DeviceId(*id), tenant, name, clock_.now_ms(), std::nullopt, std::nullopt};
  devices_[*id] = DeviceRecord{d, {}};
  keys_[key_hash] = *id;
  tenants_[tenant.str()].device_ids.push_back(*id);
  return d;
}

Result<Device> MemoryStore::do_revoke(const TenantId& tenant, const DeviceId& id) {
  auto it = devices_.find(id.str());
  if (it == devices_.end() || it->second.device.tenant != tenant) return not_found();
  Device& d = it->second.device;
  if (!d.revoked_ms) d.revoked_ms = clock_.now_ms();
  return d;
}

Result<HistoryPage> MemoryStore::do_history(const HistoryQuery& q) const {
  const DeviceRecord* rec = find(q.tenant, q.device);
  if (rec == nullptr) return not_found();

  const StoredPoint* cursor = nullptr;
  if (q.after_seq) {
    auto it = std::lower_bound(rec->points.begin(), rec->points.end(), *q.after_seq,
                               [](const StoredPoint& p, Seq s) { return p.seq < s; });
    if (it == rec->points.end() || it->seq != *q.after_seq) {
      return Error{ErrorCode::invalid_field, "cursor does not name a point of this device", std::nullopt,
                   "after"};
    }
    cursor = &*it;
  }
  std::vector<const StoredPoint*> hits;
  for (const StoredPoint& p : rec->points) {
    if (p.point.ts_ms < q.from_ms || p.point.ts_ms >= q.to_ms) continue;
    if (cursor != nullptr && !before(*cursor, p)) continue;
    hits.push_back(&p);
  }
  std::sort(hits.begin(), hits.end(),
            [](const StoredPoint* a, const StoredPoint* b) { return before(*a, *b); });
  const std::size_t limit = std::clamp<std::size_t>(q.limit, 1, kMaxHistoryLimit);
  HistoryPage page;
  for (std::size_t i = 0; i < hits.size() && i < limit; ++i) page.points.push_back(*hits[i]);
  if (hits.size() > limit) page.next_after = page.points.back().seq;
  return page;
}

// --- Device groups and shares.

void MemoryStore::create_group(TenantId tenant, std::string name, std::vector<DeviceId> devices,
                               Callback<Group> done) {
  locked<Group>(done, [&] { return do_create_group(tenant, name, std::move(devices)); });
}

void MemoryStore::list_groups(TenantId tenant, Callback<std::vector<Group>> done) {
  locked<std::vector<Group>>(done, [&] {
    std::vector<Group> out;
    if (auto t = tenants_.find(tenant.str()); t != tenants_.end()) {
      for (const std::string& id : t->second.group_ids) out.push_back(group_view(groups_.at(id)));
    }
    return Result<std::vector<Group>>(std::move(out));
  });
}

void MemoryStore::set_group_devices(TenantId tenant, std::string group_id, std::vector<DeviceId> devices,
                                    Callback<Group> done) {
  locked<Group>(done, [&] { return do_set_group_devices(tenant, group_id, std::move(devices)); });
}

void MemoryStore::delete_group(TenantId tenant, std::string group_id, Callback<Group> done) {
  locked<Group>(done, [&] { return do_delete_group(tenant, group_id); });
}

void MemoryStore::group_members(TenantId tenant, std::vector<std::string> group_ids,
                                Callback<GroupMembers> done) {
  locked<GroupMembers>(done, [&] { return Result<GroupMembers>(do_group_members(tenant, group_ids)); });
}

void MemoryStore::create_share(Share share, Callback<Share> done) {
  locked<Share>(done, [&] { return do_create_share(std::move(share)); });
}

void MemoryStore::list_shares(TenantId tenant, Callback<std::vector<Share>> done) {
  locked<std::vector<Share>>(done, [&] {
    std::vector<Share> out;
    for (const std::string& id : share_ids_) {
      const Share& s = shares_.at(id);
      if (s.tenant == tenant) out.push_back(s);
    }
    return Result<std::vector<Share>>(std::move(out));
  });
}

void MemoryStore::revoke_share(TenantId tenant, std::string share_id, Callback<Share> done) {
  locked<Share>(done, [&] { return do_revoke_share(tenant, share_id); });
}

void MemoryStore::active_shares(std::int64_t now_ms, Callback<std::vector<Share>> done) {
  locked<std::vector<Share>>(done, [&] {
    std::vector<Share> out;
    for (const std::string& id : share_ids_) {
      const Share& s = shares_.at(id);
      if (!s.revoked_ms && s.expires_ms > now_ms) out.push_back(s);
    }
    return Result<std::vector<Share>>(std::move(out));
  });
}

Result<std::vector<DeviceId>> MemoryStore::check_devices(const TenantId& tenant,
                                                         std::vector<DeviceId> devices) const {
  devices = unique_devices(std::move(devices));
  for (const DeviceId& id : devices) {
    const DeviceRecord* rec = find(tenant, id);
    if (rec == nullptr || rec->device.revoked_ms) return not_a_tenant_device(id);
  }
  return devices;
}

Group* MemoryStore::find_group(const TenantId& tenant, const std::string& id) {
  auto it = groups_.find(id);
  if (it == groups_.end() || it->second.tenant != tenant) return nullptr;
  return &it->second;
}

Group MemoryStore::group_view(const Group& g) const {
  Group out{g.id, g.tenant, g.name, g.created_ms, {}};
  for (const DeviceId& id : g.devices) {
    if (!devices_.at(id.str()).device.revoked_ms) out.devices.push_back(id);
  }
  return out;
}

Result<Group> MemoryStore::do_create_group(const TenantId& tenant, const std::string& name,
                                           std::vector<DeviceId> devices) {
  auto members = check_devices(tenant, std::move(devices));
  if (!members) return members.error();
  Tenant& t = tenants_[tenant.str()];
  for (const std::string& id : t.group_ids) {
    if (groups_.at(id).name == name) return group_name_taken();
  }
  auto id = new_group_id();
  if (!id) return id.error();
  Group g{*id, tenant, name, clock_.now_ms(), std::move(*members)};
  groups_[*id] = g;
  t.group_ids.push_back(*id);
  return g;
}

Result<Group> MemoryStore::do_set_group_devices(const TenantId& tenant, const std::string& id,
                                                std::vector<DeviceId> devices) {
  Group* g = find_group(tenant, id);
  if (g == nullptr) return group_not_found();
  auto members = check_devices(tenant, std::move(devices));
  if (!members) return members.error();
  g->devices = std::move(*members);
  return *g;
}

Result<Group> MemoryStore::do_delete_group(const TenantId& tenant, const std::string& id) {
  Group* g = find_group(tenant, id);
  if (g == nullptr) return group_not_found();
  Group out = group_view(*g);
  std::erase(tenants_.at(tenant.str()).group_ids, id);
  groups_.erase(id);
  return out;
}

GroupMembers MemoryStore::do_group_members(const TenantId& tenant,
                                           const std::vector<std::string>& ids) const {
  GroupMembers out;
  std::unordered_set<std::string> seen_devices;
  std::unordered_set<std::string> seen_unknown;
  for (const std::string& id : ids) {
    auto it = groups_.find(id);
    if (it == groups_.end() || it->second.tenant != tenant) {
      if (seen_unknown.insert(id).second) out.unknown.push_back(id);
      continue;
    }
    for (const DeviceId& d : it->second.devices) {
      if (devices_.at(d.str()).device.revoked_ms) continue;
      if (seen_devices.insert(d.str()).second) out.devices.push_back(d);
    }
  }
  return out;
}

Result<Share> MemoryStore::do_create_share(Share share) {
  auto members = check_devices(share.tenant, std::move(share.devices));
  if (!members) return members.error();
  auto id = new_share_id();
  if (!id) return id.error();
  share.id = *id;
  share.devices = std::move(*members);
  share.created_ms = clock_.now_ms();
  share.revoked_ms.reset();
  shares_[*id] = share;
  share_ids_.push_back(*id);
  return share;
}

Result<Share> MemoryStore::do_revoke_share(const TenantId& tenant, const std::string& id) {
  auto it = shares_.find(id);
  if (it == shares_.end() || it->second.tenant != tenant) return share_not_found();
  Share& s = it->second;
  if (!s.revoked_ms) s.revoked_ms = clock_.now_ms();  // the first revocation time is kept
  return s;
}

}  // namespace fleet::store
