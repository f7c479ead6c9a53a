#pragma once
// A minimal epoll loop: level-triggered, one handler object per file descriptor. Handlers must outlive
// their registration; a handler that finishes during dispatch unregisters itself and is recycled by its
// owner after poll() returns (never freed from inside its own callback).
#include <chrono>
#include <cstdint>
#include <span>
#include <vector>

#include <sys/epoll.h>

namespace loadgen {

class IoHandler {
 public:
  virtual void on_io(std::uint32_t events) = 0;

 protected:
  ~IoHandler() = default;
};

class EventLoop {
 public:
  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  void add(int fd, std::uint32_t events, IoHandler* handler);
  void modify(int fd, std::uint32_t events, IoHandler* handler);
  void remove(int fd) noexcept;

  // Waits up to `timeout` (0: just check) and dispatches every ready handler. Returns how many.
  int poll(std::chrono::nanoseconds timeout);

  // A read buffer shared by every connection of this loop: a connection reads into it and keeps only
  // the bytes of an incomplete frame, so 19,000 idle viewers do not each hold a large buffer.
  std::span<char> scratch() noexcept { return scratch_; }

 private:
  int epfd_;
  std::vector<epoll_event> ready_;
  std::vector<char> scratch_;
};

}  // namespace loadgen
