#include "net/body_budget.hpp"

#include "obs/metrics.hpp"

namespace fleet::net {
namespace {

struct BudgetMetrics {
  obs::Gauge& in_flight = obs::Registry::global().gauge(
      "fleet_http_body_bytes_in_flight", "Request-body bytes reserved against --http-body-budget");
  obs::Counter& refused = obs::Registry::global().counter("fleet_http_body_budget_refusals_total",
                                                          "Requests refused with 503: body budget spent");
  static BudgetMetrics& get() {
    static BudgetMetrics m;
    return m;
  }
};

[[maybe_unused]] const BudgetMetrics& registered_budget_metrics = BudgetMetrics::get();

}  // namespace

BodyReservation& BodyReservation::operator=(BodyReservation&& other) noexcept {
  if (this != &other) {
    release();
    owner_ = other.owner_;
    bytes_ = other.bytes_;
    other.owner_ = nullptr;
  }
  return *this;
}

void BodyReservation::release() noexcept {
  if (owner_ == nullptr) return;
  owner_->give_back(bytes_);
  owner_ = nullptr;
}

bool BodyBudget::try_reserve(std::size_t bytes, BodyReservation& out) noexcept {
  out.release();
  if (bytes == 0) return true;
  std::size_t current = in_flight_.load(std::memory_order_relaxed);
  do {
    if (bytes > limit_ || current > limit_ - bytes) {
      BudgetMetrics::get().refused.inc();
      return false;
    }
  } while (!in_flight_.compare_exchange_weak(current, current + bytes, std::memory_order_relaxed));
  BudgetMetrics::get().in_flight.add(static_cast<std::int64_t>(bytes));
  out.owner_ = this;
  out.bytes_ = bytes;
  return true;
}

void BodyBudget::give_back(std::size_t bytes) noexcept {
  in_flight_.fetch_sub(bytes, std::memory_order_relaxed);
  BudgetMetrics::get().in_flight.sub(static_cast<std::int64_t>(bytes));
}

}  // namespace fleet::net
