#include "net/connection_limiter.hpp"

#include <cstring>
#include <string_view>

#include "obs/metrics.hpp"

namespace fleet::net {
namespace {

struct LimiterMetrics {
  obs::Gauge& open = obs::Registry::global().gauge(
      "fleet_http_connections",
      "HTTP connections and unauthenticated WebSocket sessions, counted by the caps");
  obs::Counter& refused_total = obs::Registry::global().counter(
      "fleet_http_connections_refused_total", "Connections refused at accept by a cap", R"(reason="total")");
  obs::Counter& refused_address =
      obs::Registry::global().counter("fleet_http_connections_refused_total", "", R"(reason="per_address")");
  static LimiterMetrics& get() {
    static LimiterMetrics m;
    return m;
  }
};

[[maybe_unused]] const LimiterMetrics& registered_limiter_metrics = LimiterMetrics::get();

}  // namespace

ConnectionSlot::ConnectionSlot(ConnectionSlot&& other) noexcept
    : owner_(other.owner_), key_(other.key_), refusal_(other.refusal_) {
  other.owner_ = nullptr;
}

ConnectionSlot& ConnectionSlot::operator=(ConnectionSlot&& other) noexcept {
  if (this != &other) {
    release();
    owner_ = other.owner_;
    key_ = other.key_;
    refusal_ = other.refusal_;
    other.owner_ = nullptr;
  }
  return *this;
}

void ConnectionSlot::release() noexcept {
  if (owner_ == nullptr) return;
  owner_->release(key_);
  owner_ = nullptr;
}

ConnectionLimiter::ConnectionLimiter(ConnectionLimits limits) : limits_(limits) {}

std::size_t ConnectionLimiter::KeyHash::operator()(const Key& k) const noexcept {
  return std::hash<std::string_view>{}(std::string_view(reinterpret_cast<const char*>(k.data()), k.size()));
}

ConnectionLimiter::Key ConnectionLimiter::key_of(const boost::asio::ip::address& a) noexcept {
  // IPv4 as its IPv4-mapped IPv6 form, so a dual-stack listener counts one client once.
  const auto v6 =
      a.is_v4() ? boost::asio::ip::make_address_v6(boost::asio::ip::v4_mapped, a.to_v4()) : a.to_v6();
  const auto bytes = v6.to_bytes();
  Key k{};
  std::memcpy(k.data(), bytes.data(), k.size());
  return k;
}

ConnectionSlot ConnectionLimiter::try_acquire(const boost::asio::ip::address& peer) {
  auto& m = LimiterMetrics::get();
  ConnectionSlot slot;
  const Key key = key_of(peer);
  {
    std::lock_guard lock(mutex_);
    if (total_ >= limits_.max_total) {
      slot.refusal_ = ConnectionRefusal::total;
    } else {
      auto [it, inserted] = per_address_.try_emplace(key, 0);
      if (it->second >= limits_.max_per_address) {
        slot.refusal_ = ConnectionRefusal::per_address;
      } else {
        ++it->second;
        ++total_;
        slot.owner_ = this;
        slot.key_ = key;
      }
    }
  }
  switch (slot.refusal_) {
    case ConnectionRefusal::none: m.open.add(1); break;
    case ConnectionRefusal::total: m.refused_total.inc(); break;
    case ConnectionRefusal::per_address: m.refused_address.inc(); break;
  }
  return slot;
}

void ConnectionLimiter::release(const Key& key) noexcept {
  {
    std::lock_guard lock(mutex_);
    --total_;
    auto it = per_address_.find(key);
    if (it != per_address_.end() && --it->second == 0) per_address_.erase(it);
  }
  LimiterMetrics::get().open.sub(1);
}

std::size_t ConnectionLimiter::total() const {
  std::lock_guard lock(mutex_);
  return total_;
}

std::size_t ConnectionLimiter::from(const boost::asio::ip::address& peer) const {
  std::lock_guard lock(mutex_);
  auto it = per_address_.find(key_of(peer));
  return it == per_address_.end() ? 0 : it->second;
}

}  // namespace fleet::net
