#include "event_loop.hpp"

#include <cerrno>
#include <ctime>
#include <system_error>

#include <unistd.h>

namespace loadgen {

EventLoop::EventLoop() : epfd_(epoll_create1(EPOLL_CLOEXEC)), ready_(1024), scratch_(256 * 1024) {
  if (epfd_ < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
}

EventLoop::~EventLoop() { ::close(epfd_); }

void EventLoop::add(int fd, std::uint32_t events, IoHandler* handler) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = handler;
  if (epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0)
    throw std::system_error(errno, std::generic_category(), "epoll_ctl add");
}

void EventLoop::modify(int fd, std::uint32_t events, IoHandler* handler) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = handler;
  if (epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &ev) != 0)
    throw std::system_error(errno, std::generic_category(), "epoll_ctl mod");
}

void EventLoop::remove(int fd) noexcept { epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr); }

int EventLoop::poll(std::chrono::nanoseconds timeout) {
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(timeout.count() / 1'000'000'000);
  ts.tv_nsec = static_cast<long>(timeout.count() % 1'000'000'000);
  int n = epoll_pwait2(epfd_, ready_.data(), static_cast<int>(ready_.size()), &ts, nullptr);
  if (n < 0) {
    if (errno == EINTR) return 0;
    throw std::system_error(errno, std::generic_category(), "epoll_pwait2");
  }
  for (int i = 0; i < n; ++i)
    static_cast<IoHandler*>(ready_[static_cast<std::size_t>(i)].data.ptr)
        ->on_io(ready_[static_cast<std::size_t>(i)].events);
  return n;
}

}  // namespace loadgen
