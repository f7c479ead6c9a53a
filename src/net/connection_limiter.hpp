#pragma once
// Caps on connections that have not proven who they are: every HTTP connection, and a WebSocket session
// until it authenticates. One cap for the process, one per client address, so that a flood of idle connects
// from one address cannot take the file descriptors an authenticated viewer needs (docs/protocol.md, "HTTP
// edge"). Authenticated WebSocket sessions count against --max-connections instead.
#include <array>
#include <boost/asio/ip/address.hpp>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <unordered_map>

namespace fleet::net {

struct ConnectionLimits {
  std::size_t max_total = 4096;       // --max-http-connections
  std::size_t max_per_address = 256;  // --max-connections-per-address (a NAT'd office shares one address)
};

enum class ConnectionRefusal { none, total, per_address };

class ConnectionLimiter;

// One counted connection; releases its count when destroyed or released. Move-only. A refused
// acquisition yields an empty slot that names why.
class ConnectionSlot {
 public:
  ConnectionSlot() = default;
  ConnectionSlot(ConnectionSlot&& other) noexcept;
  ConnectionSlot& operator=(ConnectionSlot&& other) noexcept;
  ConnectionSlot(const ConnectionSlot&) = delete;
  ConnectionSlot& operator=(const ConnectionSlot&) = delete;
  ~ConnectionSlot() { release(); }

  bool held() const noexcept { return owner_ != nullptr; }
  ConnectionRefusal refusal() const noexcept { return refusal_; }
  void release() noexcept;

 private:
  friend class ConnectionLimiter;
  using Key = std::array<std::uint8_t, 16>;
  ConnectionLimiter* owner_ = nullptr;
  Key key_{};
  ConnectionRefusal refusal_ = ConnectionRefusal::none;
};

// Thread-safe: the accept path of every worker calls it. One short lock per connect and per release.
class ConnectionLimiter {
 public:
  explicit ConnectionLimiter(ConnectionLimits limits);
  ConnectionLimiter(const ConnectionLimiter&) = delete;
  ConnectionLimiter& operator=(const ConnectionLimiter&) = delete;

  // A held slot, or an empty one with the refusal when either cap is reached.
  ConnectionSlot try_acquire(const boost::asio::ip::address& peer);

  std::size_t total() const;
  std::size_t from(const boost::asio::ip::address& peer) const;
  const ConnectionLimits& limits() const noexcept { return limits_; }

 private:
  friend class ConnectionSlot;
  using Key = ConnectionSlot::Key;
  struct KeyHash {
    std::size_t operator()(const Key& k) const noexcept;
  };
  static Key key_of(const boost::asio::ip::address& a) noexcept;
  void release(const Key& key) noexcept;

  const ConnectionLimits limits_;
  mutable std::mutex mutex_;
  std::size_t total_ = 0;                                      // guarded by mutex_
  std::unordered_map<Key, std::size_t, KeyHash> per_address_;  // guarded by mutex_; no zero entries
};

}  // namespace fleet::net
