// Scenario 4: handshake storm. Keeps `concurrency` handshakes in flight, each on a fresh connection with
// its own RS256 token (so no verification result can be reused): connect, upgrade, wait for hello (the
// server verified the token), close. Counts completed handshakes per second.
#include <algorithm>
#include <atomic>
#include <map>
#include <thread>

#include <boost/json/array.hpp>

#include "clock.hpp"
#include "event_loop.hpp"
#include "histogram.hpp"
#include "provisioning.hpp"
#include "scenarios.hpp"
#include "websocket_viewer.hpp"

namespace loadgen {

namespace {

constexpr std::int64_t kHandshakeTimeoutUs = 15'000'000;

// One thread's share of the storm.
class Storm final : public ViewerObserver {
 public:
  Storm(const Context& ctx, std::vector<ViewerSpec> specs, std::size_t concurrency, std::size_t source_offset)
      : ctx_(ctx), specs_(std::move(specs)), concurrency_(concurrency), source_offset_(source_offset) {}

  void run(std::int64_t start_us) {
    EventLoop loop;
    std::vector<std::unique_ptr<WebSocketViewer>> slots;
    for (std::size_t i = 0; i < std::min(concurrency_, specs_.size()); ++i) {
      slots.push_back(std::make_unique<WebSocketViewer>(loop, ctx_.server, *this));
      restart_.push_back(slots.back().get());
    }
    start_us_ = start_us;
    std::int64_t last_timeout_check = mono_us();
    while (done_ < specs_.size()) {
      for (auto* v : restart_) {
        if (next_ < specs_.size()) {
          const std::size_t i = next_++;
          v->set_tag(i);
          v->start(specs_[i].token, specs_[i].tenant_index, ctx_.sources.pick(source_offset_ + i), nullptr);
        }
      }
      restart_.clear();
      loop.poll(std::chrono::milliseconds(5));
      if (const std::int64_t now = mono_us(); now - last_timeout_check > 100'000) {
        last_timeout_check = now;
        for (auto& v : slots) {
          auto st = v->state();
          if (st != WebSocketViewer::State::closed && st != WebSocketViewer::State::idle &&
              now - v->started_us() > kHandshakeTimeoutUs) {
            bool was_ready = v->ready_us() != 0;
            v->abort();
            if (!was_ready) ++failures_["timeout"];
            ++done_;
            restart_.push_back(v.get());
          }
        }
      }
    }
    end_us_ = mono_us();
  }

  void on_ready(WebSocketViewer& v) override {
    latency_.add(static_cast<std::uint64_t>(v.ready_us() - v.started_us()));
    ++ok_;
    const auto second = static_cast<std::size_t>((v.ready_us() - start_us_) / 1'000'000);
    if (per_second_.size() <= second) per_second_.resize(second + 1, 0);
    ++per_second_[second];
    v.close_gracefully();
  }

  void on_closed(WebSocketViewer& v) override {
    if (v.ready_us() == 0) ++failures_[describe_close(v)];
    ++done_;
    restart_.push_back(&v);
  }

  const Context& ctx_;
  std::vector<ViewerSpec> specs_;
  std::size_t concurrency_;
  std::size_t source_offset_;
  std::size_t next_ = 0;
  std::size_t done_ = 0;
  std::uint64_t ok_ = 0;
  std::int64_t start_us_ = 0;
  std::int64_t end_us_ = 0;
  std::vector<WebSocketViewer*> restart_;
  std::map<std::string, std::uint64_t> failures_;
  std::vector<std::uint64_t> per_second_;
  HistogramSnapshot latency_;
};

}  // namespace

boost::json::object run_handshake(const Context& ctx) {
  const auto count = static_cast<std::size_t>(ctx.options.integer("count", 20'000));
  const auto concurrency = static_cast<std::size_t>(ctx.options.integer("concurrency", 128));
  const int tenants = static_cast<int>(ctx.options.integer("tenants", 10));
  const auto threads = static_cast<std::size_t>(std::max<std::int64_t>(1, ctx.options.integer("threads", 1)));
  const std::string prefix = ctx.options.str("tenant-prefix", "org_storm_");

  progress("minting %zu distinct tokens", count);
  auto specs = make_viewer_specs(ctx.minter, prefix, tenants, count);
  std::vector<std::vector<ViewerSpec>> shares(threads);
  for (std::size_t i = 0; i < specs.size(); ++i) shares[i % threads].push_back(std::move(specs[i]));
  std::vector<std::unique_ptr<Storm>> storms;
  for (std::size_t t = 0; t < threads; ++t) {
    storms.push_back(std::make_unique<Storm>(ctx, std::move(shares[t]),
                                             std::max<std::size_t>(1, concurrency / threads), t * 7919));
  }

  progress("storm: %zu handshakes, %zu in flight", count, concurrency);
  const ProcessSample server_before = sample_process(ctx.server_pid);
  const ProcessSample self_before = sample_self();
  const std::int64_t start = mono_us();
  std::vector<std::thread> running;
  for (auto& s : storms) running.emplace_back([&s, start] { s->run(start); });
  for (auto& t : running) t.join();
  const double seconds = static_cast<double>(mono_us() - start) / 1e6;
  const ProcessSample server_after = sample_process(ctx.server_pid);
  const ProcessSample self_after = sample_self();

  std::uint64_t ok = 0;
  HistogramSnapshot latency;
  std::map<std::string, std::uint64_t> failures;
  std::vector<std::uint64_t> per_second;
  for (auto& s : storms) {
    ok += s->ok_;
    latency.merge(s->latency_);
    for (const auto& [why, n] : s->failures_) failures[why] += n;
    if (per_second.size() < s->per_second_.size()) per_second.resize(s->per_second_.size(), 0);
    for (std::size_t i = 0; i < s->per_second_.size(); ++i) per_second[i] += s->per_second_[i];
  }
  // Whole seconds only: the last, partial second would understate the peak.
  const auto full_seconds = static_cast<std::size_t>(seconds);
  std::uint64_t peak = 0;
  boost::json::array timeline;
  for (std::size_t i = 0; i < per_second.size(); ++i) {
    timeline.push_back(per_second[i]);
    if (i < full_seconds) peak = std::max(peak, per_second[i]);
  }
  const double rate = static_cast<double>(ok) / seconds;
  const double server_cpu = server_after.cpu_seconds - server_before.cpu_seconds;
  progress("%llu handshakes in %.2f s: %.0f/s (peak second %llu), p50 %llu us p99 %llu us, %zu failure kinds",
           static_cast<unsigned long long>(ok), seconds, rate, static_cast<unsigned long long>(peak),
           static_cast<unsigned long long>(latency.quantile(0.5)),
           static_cast<unsigned long long>(latency.quantile(0.99)), failures.size());

  boost::json::object failure_json;
  std::uint64_t failed = 0;
  for (const auto& [why, n] : failures) {
    failure_json[why] = n;
    failed += n;
  }
  return {{"count", count},
          {"concurrency", concurrency},
          {"tenants", tenants},
          {"handshakes_ok", ok},
          {"handshakes_failed", failed},
          {"failures", failure_json},
          {"seconds", seconds},
          {"handshakes_per_s", rate},
          {"peak_second", peak},
          {"per_second", timeline},
          {"latency", latency.summary()},
          {"server_cpu_seconds", server_cpu},
          {"server_cpu_us_per_handshake", ok ? server_cpu * 1e6 / static_cast<double>(ok) : 0.0},
          {"server_rss_after_bytes", server_after.rss_bytes},
          {"loadgen_cpu_seconds", self_after.cpu_seconds - self_before.cpu_seconds}};
}

}  // namespace loadgen
