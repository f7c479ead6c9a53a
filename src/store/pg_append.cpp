#include "store/pg_append.hpp"

#include <map>
#include <unordered_map>
#include <utility>

namespace fleet::store {
namespace {

const std::string kActiveKeys =
    "SELECT key_hash, id, tenant FROM devices WHERE key_hash = ANY($1::text[]) AND revoked_ms IS NULL";
// The sequencer: the row lock taken here is held until COMMIT, so a concurrent writer of the tenant on
// any node waits, and seq ranges commit in the order they were taken.
const std::string kTakeSeqs =
    "INSERT INTO tenant_stream (tenant, seq) VALUES ($1, $2) ON CONFLICT (tenant) DO UPDATE SET seq = "
    "tenant_stream.seq + EXCLUDED.seq RETURNING seq";
const std::string kInsertPoints =
    "INSERT INTO telemetry (tenant, seq, device_id, ts_ms, received_ms, lat, lon, speed_kph, heading_deg, "
    "altitude_m, accuracy_m, battery_pct, attributes_json) SELECT * FROM unnest($1::text[], $2::bigint[], "
    "$3::text[], $4::bigint[], $5::bigint[], $6::float8[], $7::float8[], $8::float8[], $9::float8[], "
    "$10::float8[], $11::float8[], $12::float8[], $13::text[])";
// "Last" is newest by device time; a later seq wins a tie, and the new seqs are always the latest.
const std::string kUpdateLast =
    "UPDATE devices d SET last_seq = v.seq, last_ts_ms = v.ts FROM unnest($1::text[], $2::bigint[], "
    "$3::bigint[]) AS v(id, seq, ts) WHERE d.id = v.id AND (d.last_ts_ms IS NULL OR d.last_ts_ms <= v.ts)";

struct KeyOwner {
  DeviceId device;
  TenantId tenant;
};

// The newest point of a device in the group: greatest ts, a later seq winning a tie.
struct Last {
  std::int64_t ts_ms;
  Seq seq;
};

}  // namespace

Result<std::vector<Result<AppendResult>>> PgAppender::commit(PgConn& conn,
                                                             const std::vector<const AppendRequest*>& reqs) {
  return pg_transaction<std::vector<Result<AppendResult>>>(conn, [&] { return stage(conn, reqs); });
}

Result<std::vector<Result<AppendResult>>> PgAppender::stage(PgConn& conn,
                                                            const std::vector<const AppendRequest*>& reqs) {
  // 1. Whose keys are these, as committed now (a revoke on another node counts from its COMMIT on).
  std::vector<std::string_view> keys;
  keys.reserve(reqs.size());
  for (const AppendRequest* r : reqs) keys.emplace_back(r->key_hash);
  params_.clear();
  auto owners_rows = conn.query(kActiveKeys, params_.add_text_array(keys));
  if (!owners_rows) return owners_rows.error();
  std::unordered_map<std::string_view, KeyOwner> owners;
  for (int i = 0; i < owners_rows->rows(); ++i) {
    owners.emplace(owners_rows->view(i, 0),
                   KeyOwner{DeviceId(owners_rows->text(i, 1)), TenantId(owners_rows->text(i, 2))});
  }

  // 2. The refusals, and how many seqs each tenant needs.
  std::vector<Result<AppendResult>> results;
  results.reserve(reqs.size());
  std::map<std::string, std::int64_t> needed;  // ordered: ranges are taken in one global tenant order
  for (const AppendRequest* r : reqs) {
    auto owner = owners.find(r->key_hash);
    if (owner == owners.end()) {
      results.emplace_back(make_error(ErrorCode::unauthorized, "unknown or revoked device key"));
    } else if (r->points.empty()) {
      results.emplace_back(Error{ErrorCode::invalid_field, "empty batch", std::nullopt, "points"});
    } else {
      needed[owner->second.tenant.str()] += static_cast<std::int64_t>(r->points.size());
      results.emplace_back(AppendResult{owner->second.tenant, owner->second.device, {}, 0});
    }
  }
  if (needed.empty()) return results;

  // 3. The seq ranges, in tenant order so two nodes' groups never wait on each other in a cycle.
  std::unordered_map<std::string, Seq> next;  // tenant -> last seq handed out
  for (const auto& [tenant, n] : needed) {
    params_.clear();
    auto taken = conn.query(kTakeSeqs, params_.add(tenant).add(n));
    if (!taken) return taken.error();
    next[tenant] = static_cast<Seq>(taken->int64(0, 0) - n);
  }

  // 4. The rows and the devices' newest points.
  for (PgArrayText* a : {&tenant_, &seq_, &device_, &ts_, &received_, &lat_, &lon_, &speed_, &heading_,
                         &altitude_, &accuracy_, &battery_, &attributes_, &last_id_, &last_seq_, &last_ts_}) {
    a->clear();
  }
  std::unordered_map<std::string_view, Last> last;
  for (std::size_t i = 0; i < reqs.size(); ++i) {
    if (!results[i]) continue;
    const AppendRequest& req = *reqs[i];
    AppendResult& out = *results[i];
    Seq& seq = next[out.tenant.str()];
    out.points.reserve(req.points.size());
    for (const TelemetryPoint& p : req.points) {
      ++seq;
      tenant_.add(out.tenant.str());
      seq_.add(static_cast<std::int64_t>(seq));
      device_.add(out.device.str());
      ts_.add(p.ts_ms);
      received_.add(req.received_ms);
      lat_.add(p.lat);
      lon_.add(p.lon);
      speed_.add(p.speed_kph);
      heading_.add(p.heading_deg);
      altitude_.add(p.altitude_m);
      accuracy_.add(p.accuracy_m);
      battery_.add(p.battery_pct);
      if (p.attributes_json.empty()) {
        attributes_.add_null();
      } else {
        attributes_.add(p.attributes_json);
      }
      auto [it, fresh] = last.try_emplace(out.device.str(), Last{p.ts_ms, seq});
      if (!fresh && p.ts_ms >= it->second.ts_ms) it->second = Last{p.ts_ms, seq};
      out.points.push_back(StoredPoint{seq, out.device, req.received_ms, p});
    }
    out.last_seq = seq;
  }
  params_.clear();
  for (PgArrayText* a : {&tenant_, &seq_, &device_, &ts_, &received_, &lat_, &lon_, &speed_, &heading_,
                         &altitude_, &accuracy_, &battery_, &attributes_}) {
    params_.add(a->finish());
  }
  if (auto r = conn.query(kInsertPoints, params_); !r) return r.error();

  for (const auto& [device, newest] : last) {
    last_id_.add(device);
    last_seq_.add(static_cast<std::int64_t>(newest.seq));
    last_ts_.add(newest.ts_ms);
  }
  params_.clear();
  params_.add(last_id_.finish()).add(last_seq_.finish()).add(last_ts_.finish());
  if (auto r = conn.query(kUpdateLast, params_); !r) return r.error();
  return results;
}

}  // namespace fleet::store
