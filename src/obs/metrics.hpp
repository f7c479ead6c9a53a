#pragma once
// Process-wide metrics rendered in the Prometheus text exposition format (version 0.0.4).
// Counters and gauges are lock-free atomics: safe to bump from any thread on the hot path. Registration
// happens at start-up; the registry's lock is taken only to register and to render.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace fleet::obs {

class Counter {
 public:
  void inc(std::uint64_t n = 1) noexcept { v_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const noexcept { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> v_{0};
};

class Gauge {
 public:
  void add(std::int64_t n) noexcept { v_.fetch_add(n, std::memory_order_relaxed); }
  void sub(std::int64_t n) noexcept { v_.fetch_sub(n, std::memory_order_relaxed); }
  void set(std::int64_t n) noexcept { v_.store(n, std::memory_order_relaxed); }
  std::int64_t value() const noexcept { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> v_{0};
};

class Registry {
 public:
  // Returns the series for (name, labels), creating it on first use. `labels` is the rendered label set
  // without braces, e.g. `reason="invalid_token"`. References stay valid for the registry's lifetime.
  Counter& counter(std::string_view name, std::string_view help, std::string_view labels = {});
  Gauge& gauge(std::string_view name, std::string_view help, std::string_view labels = {});
  // A gauge computed at render time (e.g. queue depth owned by another thread).
  void gauge_fn(std::string_view name, std::string_view help, std::function<double()> fn);

  std::string render() const;

  // The process-wide registry.
  static Registry& global();

 private:
  struct Series;
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Series>> series_;
  Series& find_or_add(std::string_view name, std::string_view help, std::string_view labels, char kind);
};

}  // namespace fleet::obs
