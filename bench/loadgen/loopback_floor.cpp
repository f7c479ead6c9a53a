#include "loopback_floor.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <exception>
#include <limits>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.hpp"
#include "net.hpp"

namespace loadgen {

namespace {

constexpr std::int64_t kDrainTimeoutNs = 5'000'000'000;
constexpr std::size_t kMaxFrameBytes = 16 << 20;
// Descriptors besides the pairs: stdio, the listener, the epoll set, and whatever a test runner holds.
constexpr std::uint64_t kSpareFiles = 32;

[[noreturn]] void fail(const char* what) { throw std::system_error(errno, std::generic_category(), what); }

std::int64_t thread_cpu_ns() {
  timespec ts{};
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) fail("clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

// The listener and the epoll set, closed on every way out.
class Fd {
 public:
  explicit Fd(int fd) noexcept : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const noexcept { return fd_; }

 private:
  int fd_;
};

// Connected loopback pairs. They close with an RST, so a run leaves no TIME_WAIT entries behind.
struct Pairs {
  std::vector<int> senders;    // accepted side: the "server"
  std::vector<int> receivers;  // connecting side: the "viewers"
  Pairs() = default;
  Pairs(const Pairs&) = delete;
  Pairs& operator=(const Pairs&) = delete;
  ~Pairs() {
    for (int fd : senders) close_abortively(fd);
    for (int fd : receivers) close_abortively(fd);
  }
};

// Both sides non-blocking; the sender with TCP_NODELAY, as fleetd's sockets. Kernel default buffer sizes.
void open_pairs(int count, Pairs& pairs) {
  Fd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (listener.get() < 0) fail("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listener.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
    fail("bind 127.0.0.1:0");
  if (::listen(listener.get(), SOMAXCONN) != 0) fail("listen");
  socklen_t len = sizeof addr;
  if (::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) fail("getsockname");
  const int one = 1;
  for (int i = 0; i < count; ++i) {
    const int receiver = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (receiver < 0) fail("socket");
    pairs.receivers.push_back(receiver);
    // Blocking: over loopback the handshake completes inside connect(), so the backlog never holds more than
    // one.
    if (::connect(receiver, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) fail("connect");
    const int sender = ::accept4(listener.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (sender < 0) fail("accept4");
    pairs.senders.push_back(sender);
    if (::setsockopt(sender, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) fail("setsockopt TCP_NODELAY");
    const int flags = ::fcntl(receiver, F_GETFL);
    if (flags < 0) fail("fcntl F_GETFL");
    if (::fcntl(receiver, F_SETFL, flags | O_NONBLOCK) != 0) fail("fcntl F_SETFL O_NONBLOCK");
  }
}

// What the two threads share while they run.
struct Shared {
  std::atomic<bool> stop{false};  // a thread failed, or the receiver is given up on
  // Bytes the receiver must get; known once the sender has stopped.
  std::atomic<std::uint64_t> expected{std::numeric_limits<std::uint64_t>::max()};
  std::atomic<bool> receiver_done{false};
};

struct SenderTotals {
  std::uint64_t frames = 0, bytes = 0, would_block = 0, short_writes = 0;
  std::int64_t cpu_ns = 0, start_ns = 0, end_ns = 0;
};

// One send() per socket per round, like a server's loop writing each viewer's next frame. A socket that
// would block is skipped for the round (never spun on); after a short write the rest of the frame goes in
// that socket's next turn, as a server's outbox would send it.
SenderTotals send_frames(const std::vector<int>& fds, std::size_t frame_bytes, std::int64_t duration_ns,
                         const Shared& shared) {
  const std::vector<char> frame(frame_bytes, 'x');
  std::vector<std::size_t> left(fds.size(), 0);  // bytes of the socket's current frame still unsent
  SenderTotals t;
  const std::int64_t cpu_start = thread_cpu_ns();
  t.start_ns = mono_ns();
  const std::int64_t deadline = t.start_ns + duration_ns;
  while (mono_ns() < deadline && !shared.stop.load(std::memory_order_relaxed)) {
    for (std::size_t i = 0; i < fds.size(); ++i) {
      const std::size_t want = left[i] ? left[i] : frame_bytes;
      const ssize_t n = ::send(fds[i], frame.data() + (frame_bytes - want), want, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          ++t.would_block;
          continue;
        }
        if (errno == EINTR) continue;
        fail("send");
      }
      t.bytes += static_cast<std::uint64_t>(n);
      left[i] = want - static_cast<std::size_t>(n);
      if (left[i] == 0) {
        ++t.frames;
      } else {
        ++t.short_writes;
      }
    }
  }
  t.cpu_ns = thread_cpu_ns() - cpu_start;
  t.end_ns = mono_ns();
  return t;
}

struct ReceiverTotals {
  std::uint64_t bytes = 0;
  std::int64_t cpu_ns = 0, last_byte_ns = 0;
};

// Level-triggered epoll; each ready socket is read into one buffer until EAGAIN, as a viewer thread does.
// Runs until it has the bytes the sender sent, or until told to stop.
ReceiverTotals receive_frames(int epfd, const Shared& shared) {
  std::vector<char> buf(256 * 1024);
  std::vector<epoll_event> ready(256);
  ReceiverTotals t;
  const std::int64_t cpu_start = thread_cpu_ns();
  while (t.bytes < shared.expected.load(std::memory_order_acquire) &&
         !shared.stop.load(std::memory_order_relaxed)) {
    // The timeout only bounds how late it notices `expected` or `stop`.
    const int n = ::epoll_wait(epfd, ready.data(), static_cast<int>(ready.size()), 10);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("epoll_wait");
    }
    for (int i = 0; i < n; ++i) {
      const int fd = ready[static_cast<std::size_t>(i)].data.fd;
      for (;;) {
        const ssize_t r = ::recv(fd, buf.data(), buf.size(), 0);
        if (r > 0) {
          t.bytes += static_cast<std::uint64_t>(r);
          continue;
        }
        if (r == 0) throw std::runtime_error("floor: a sending socket closed its connection");
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        if (errno == EINTR) continue;
        fail("recv");
      }
    }
    if (n > 0) t.last_byte_ns = mono_ns();
  }
  t.cpu_ns = thread_cpu_ns() - cpu_start;
  return t;
}

void validate(const FloorSettings& s) {
  if (s.pairs < 1) throw std::invalid_argument("floor needs --pairs >= 1");
  if (s.frame_bytes < 1 || s.frame_bytes > kMaxFrameBytes) {
    throw std::invalid_argument("floor needs --frame-bytes in [1, " + std::to_string(kMaxFrameBytes) + "]");
  }
  if (s.events_per_frame < 1) throw std::invalid_argument("floor needs --events-per-frame >= 1");
  if (!(s.seconds > 0 && s.seconds <= 3600))
    throw std::invalid_argument("floor needs --seconds in (0, 3600]");
}

double per_frame_us(std::int64_t cpu_ns, std::uint64_t frames) {
  return frames ? static_cast<double>(cpu_ns) / 1000.0 / static_cast<double>(frames) : 0.0;
}

}  // namespace

boost::json::object measure_floor(const FloorSettings& s) {
  validate(s);
  const std::uint64_t file_limit = raise_file_limit();
  const std::uint64_t files_needed = 2 * static_cast<std::uint64_t>(s.pairs) + kSpareFiles;
  if (files_needed > file_limit) {
    throw std::runtime_error("floor: " + std::to_string(s.pairs) + " pairs need " +
                             std::to_string(files_needed) + " open files, the limit is " +
                             std::to_string(file_limit));
  }
  Pairs pairs;
  open_pairs(s.pairs, pairs);
  Fd epoll(::epoll_create1(EPOLL_CLOEXEC));
  if (epoll.get() < 0) fail("epoll_create1");
  for (int fd : pairs.receivers) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    if (::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, fd, &ev) != 0) fail("epoll_ctl add");
  }

  Shared shared;
  ReceiverTotals received;
  SenderTotals sent;
  std::exception_ptr receiver_error, sender_error;
  std::thread receiver([&] {
    try {
      received = receive_frames(epoll.get(), shared);
    } catch (...) {
      receiver_error = std::current_exception();
      shared.stop = true;
    }
    shared.receiver_done.store(true, std::memory_order_release);
  });
  std::thread sender;
  try {
    sender = std::thread([&] {
      try {
        sent = send_frames(pairs.senders, s.frame_bytes, static_cast<std::int64_t>(s.seconds * 1e9), shared);
      } catch (...) {
        sender_error = std::current_exception();
        shared.stop = true;
      }
    });
  } catch (...) {
    shared.stop = true;
    receiver.join();
    throw;
  }
  sender.join();
  shared.expected.store(sent.bytes, std::memory_order_release);
  // Bounded: a receiver behind the sender is part of the measurement, one that never catches up a failure.
  const std::int64_t give_up = mono_ns() + kDrainTimeoutNs;
  while (!shared.receiver_done.load(std::memory_order_acquire) && mono_ns() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  shared.stop = true;
  receiver.join();
  if (sender_error) std::rethrow_exception(sender_error);
  if (receiver_error) std::rethrow_exception(receiver_error);

  // Until the last byte arrived: frames still in socket buffers when the sender stops are not delivered yet.
  const std::int64_t end_ns = std::max(sent.end_ns, received.last_byte_ns);
  const double wall_seconds = static_cast<double>(end_ns - sent.start_ns) / 1e9;
  const double frames_per_s = wall_seconds > 0 ? static_cast<double>(sent.frames) / wall_seconds : 0.0;
  boost::json::object result{
      {"pairs", s.pairs},
      {"frame_bytes", s.frame_bytes},
      {"events_per_frame", s.events_per_frame},
      {"seconds", s.seconds},
      {"wall_seconds", wall_seconds},
      {"frames_sent", sent.frames},
      {"bytes_sent", sent.bytes},
      {"bytes_received", received.bytes},
      {"frames_per_s", frames_per_s},
      {"deliveries_per_s_equivalent", frames_per_s * s.events_per_frame},
      {"sender_cpu_us_per_frame", per_frame_us(sent.cpu_ns, sent.frames)},
      {"receiver_cpu_us_per_frame", per_frame_us(received.cpu_ns, sent.frames)},
      {"total_cpu_us_per_frame", per_frame_us(sent.cpu_ns + received.cpu_ns, sent.frames)},
      {"would_block", sent.would_block},
      {"short_writes", sent.short_writes},
      {"cpus", std::thread::hardware_concurrency()}};
  if (received.bytes != sent.bytes) {
    result["failure"] = "received " + std::to_string(received.bytes) + " of " + std::to_string(sent.bytes) +
                        " bytes within 5 s of the sender stopping";
  }
  return result;
}

}  // namespace loadgen
