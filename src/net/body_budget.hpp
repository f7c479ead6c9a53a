#pragma once
// The process-wide budget of request-body bytes in flight: a request reserves its body's size (its
// Content-Length, or its route's limit when chunked) after its headers are read and admitted, before a
// byte of the body is read, and returns it once answered. Over the budget the request is refused with 503
// and Retry-After (docs/protocol.md, "HTTP edge"), so many slow large bodies cannot exhaust memory.
#include <atomic>
#include <cstddef>

namespace fleet::net {

class BodyBudget;

// Bytes held against the budget; returned when destroyed or released. Move-only.
class BodyReservation {
 public:
  BodyReservation() = default;
  BodyReservation(BodyReservation&& other) noexcept : owner_(other.owner_), bytes_(other.bytes_) {
    other.owner_ = nullptr;
  }
  BodyReservation& operator=(BodyReservation&& other) noexcept;
  BodyReservation(const BodyReservation&) = delete;
  BodyReservation& operator=(const BodyReservation&) = delete;
  ~BodyReservation() { release(); }

  void release() noexcept;

 private:
  friend class BodyBudget;
  BodyBudget* owner_ = nullptr;
  std::size_t bytes_ = 0;
};

// Thread-safe and lock-free.
class BodyBudget {
 public:
  explicit BodyBudget(std::size_t limit_bytes) : limit_(limit_bytes) {}
  BodyBudget(const BodyBudget&) = delete;
  BodyBudget& operator=(const BodyBudget&) = delete;

  // Reserves `bytes`, or returns false when that would exceed the limit. A zero-byte reservation always
  // succeeds and holds nothing.
  bool try_reserve(std::size_t bytes, BodyReservation& out) noexcept;

  std::size_t in_flight() const noexcept { return in_flight_.load(std::memory_order_relaxed); }
  std::size_t limit() const noexcept { return limit_; }

 private:
  friend class BodyReservation;
  void give_back(std::size_t bytes) noexcept;

  const std::size_t limit_;
  std::atomic<std::size_t> in_flight_{0};
};

}  // namespace fleet::net
