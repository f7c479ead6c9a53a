#include "hub/resume_ring.hpp"

#include "obs/metrics.hpp"

namespace fleet::hub {
namespace {

struct RingMetrics {
  obs::Registry& r = obs::Registry::global();
  obs::Gauge& bytes =
      r.gauge("fleet_resume_ring_bytes", "Telemetry bytes held for resumes, summed over workers");
  obs::Gauge& batches = r.gauge("fleet_resume_ring_batches", "Batches held for resumes, summed over workers");
  obs::Counter& aged = r.counter("fleet_resume_ring_evictions_total", "Batches dropped from the resume ring",
                                 R"(reason="age")");
  obs::Counter& over = r.counter("fleet_resume_ring_evictions_total", "", R"(reason="bytes")");
  static RingMetrics& get() {
    static RingMetrics m;
    return m;
  }
};

// Registered at start-up so every series is exported (as 0) before its first event.
[[maybe_unused]] const RingMetrics& registered_ringmetrics = RingMetrics::get();

// What a batch costs the ring: its bytes as they go out (one separator each, as in the outbox).
std::size_t cost(const proto::EncodedBatch& b) noexcept { return b.bytes.size() + 1; }

}  // namespace

ResumeRing::~ResumeRing() {
  auto& m = RingMetrics::get();
  m.bytes.sub(static_cast<std::int64_t>(bytes_));
  m.batches.sub(static_cast<std::int64_t>(batches_));
}

void ResumeRing::append(const std::shared_ptr<const proto::EncodedBatch>& batch, Clock::time_point now) {
  if (batch->events.empty()) return;
  Tenant& t = tenants_[batch->tenant];
  t.entries.push_back(Entry{batch, now});
  count_added(t, cost(*batch));
  trim(t, now);
}

void ResumeRing::count_added(Tenant& t, std::size_t c) {
  t.bytes += c;
  bytes_ += c;
  ++batches_;
  auto& m = RingMetrics::get();
  m.bytes.add(static_cast<std::int64_t>(c));
  m.batches.add(1);
}

void ResumeRing::pop_front(Tenant& t, Why why) {
  const std::size_t c = cost(*t.entries.front().batch);
  t.entries.pop_front();
  t.bytes -= c;
  bytes_ -= c;
  --batches_;
  auto& m = RingMetrics::get();
  m.bytes.sub(static_cast<std::int64_t>(c));
  m.batches.sub(1);
  (why == Why::age ? m.aged : m.over).inc();
}

void ResumeRing::trim(Tenant& t, Clock::time_point now) {
  while (!t.entries.empty() && now - t.entries.front().at > limits_.max_age) pop_front(t, Why::age);
  while (t.entries.size() > 1 && (t.bytes > limits_.tenant_bytes || bytes_ > limits_.total_bytes)) {
    pop_front(t, Why::bytes);
  }
}

void ResumeRing::expire(Clock::time_point now) {
  for (auto it = tenants_.begin(); it != tenants_.end();) {
    Tenant& t = it->second;
    while (!t.entries.empty() && now - t.entries.front().at > limits_.max_age) pop_front(t, Why::age);
    it = t.entries.empty() ? tenants_.erase(it) : std::next(it);
  }
}

std::optional<ResumeRing::Span> ResumeRing::span(const TenantId& tenant) const {
  auto it = tenants_.find(tenant);
  if (it == tenants_.end() || it->second.entries.empty()) return std::nullopt;
  return Span{it->second.entries.front().batch->first_seq(), it->second.entries.back().batch->last_seq()};
}

bool ResumeRing::seed(const std::shared_ptr<const proto::EncodedBatch>& older, Seq tenant_seq,
                      Clock::time_point now) {
  if (older->events.empty()) return false;
  const std::size_t c = cost(*older);
  auto it = tenants_.find(older->tenant);
  const bool empty = it == tenants_.end() || it->second.entries.empty();
  if (empty) {
    if (older->last_seq() != tenant_seq) return false;
  } else {
    const auto& entries = it->second.entries;
    if (entries.back().batch->last_seq() != tenant_seq ||
        older->last_seq() + 1 != entries.front().batch->first_seq()) {
      return false;
    }
  }
  Tenant& t = tenants_[older->tenant];
  if (t.bytes + c > limits_.tenant_bytes || bytes_ + c > limits_.total_bytes) return false;
  t.entries.push_front(Entry{older, now});
  count_added(t, c);
  return true;
}

std::optional<ResumeRing::Found> ResumeRing::collect(const TenantId& tenant, Seq since,
                                                     std::vector<Slice>& out) const {
  auto it = tenants_.find(tenant);
  if (it == tenants_.end() || it->second.entries.empty()) return std::nullopt;
  const auto& entries = it->second.entries;
  const Seq newest = entries.back().batch->last_seq();
  // Beyond the newest batch this worker received: only the store knows whether that seq exists.
  if (since > newest || since + 1 < entries.front().batch->first_seq()) return std::nullopt;
  Found found;
  if (since == newest) return found;
  // Batches are gap-free and ascending, so the first batch holding since + 1 starts the answer.
  std::size_t i = entries.size();
  while (i > 0 && entries[i - 1].batch->first_seq() > since) --i;
  if (i > 0) --i;  // the batch that holds since + 1 may start before it
  const std::size_t first_out = out.size();
  for (; i < entries.size(); ++i) {
    const auto& batch = entries[i].batch;
    if (batch->last_seq() <= since) continue;
    std::uint32_t first = 0;
    while (batch->events[first].seq <= since) ++first;
    Slice s{batch, first, static_cast<std::uint32_t>(batch->events.size()) - first};
    found.events += s.count;
    found.bytes += s.bytes().size() + 1;
    out.push_back(std::move(s));
  }
  // A gap would mean a batch never reached this worker: refuse rather than recover partially.
  Seq expect = since + 1;
  for (std::size_t k = first_out; k < out.size(); ++k) {
    const Slice& s = out[k];
    for (std::uint32_t e = s.first; e < s.first + s.count; ++e, ++expect) {
      if (s.batch->events[e].seq != expect) {
        out.resize(first_out);
        return std::nullopt;
      }
    }
  }
  return found;
}

}  // namespace fleet::hub
