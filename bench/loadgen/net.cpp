#include "net.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <system_error>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.hpp"

namespace loadgen {

Endpoint parse_endpoint(const std::string& url) {
  std::string_view rest = url;
  if (rest.starts_with("http://")) rest.remove_prefix(7);
  if (auto slash = rest.find('/'); slash != std::string_view::npos) rest = rest.substr(0, slash);
  auto colon = rest.rfind(':');
  if (colon == std::string_view::npos) throw std::invalid_argument("endpoint needs HOST:PORT: " + url);
  std::string host(rest.substr(0, colon));
  unsigned port = 0;
  auto port_text = rest.substr(colon + 1);
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || end != port_text.data() + port_text.size() || port == 0 || port > 65535) {
    throw std::invalid_argument("bad port in " + url);
  }
  Endpoint ep;
  ep.addr.sin_family = AF_INET;
  ep.addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &ep.addr.sin_addr) != 1) {
    throw std::invalid_argument("host must be a numeric IPv4 address: " + url);
  }
  ep.host_header = std::string(rest);
  return ep;
}

std::vector<Endpoint> parse_endpoints(const std::string& urls) {
  std::vector<Endpoint> out;
  std::string_view rest = urls;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    out.push_back(parse_endpoint(std::string(rest.substr(0, comma))));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
  }
  if (out.empty()) throw std::invalid_argument("no endpoint in " + urls);
  return out;
}

SourceAddresses::SourceAddresses(int count) {
  if (count < 1 || count > 250) throw std::invalid_argument("source address count must be in [1, 250]");
  for (int i = 0; i < count; ++i) {
    in_addr a{};
    a.s_addr = htonl(0x7f000002u + static_cast<std::uint32_t>(i));
    addrs_.push_back(a);
  }
}

int start_connect(const Endpoint& to, in_addr source, const ConnectOptions& options) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  // Let connect() pick the port for the full 4-tuple instead of reserving one per source at bind().
  setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
  if (options.receive_buffer > 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &options.receive_buffer, sizeof options.receive_buffer);
  }
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_addr = source;
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0 ||
      (::connect(fd, reinterpret_cast<const sockaddr*>(&to.addr), sizeof to.addr) != 0 &&
       errno != EINPROGRESS)) {
    int saved = errno;
    ::close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

int connect_result(int fd) noexcept {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
  return err;
}

void close_abortively(int fd) noexcept {
  linger l{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::close(fd);
}

void enable_receive_timestamps(int fd) noexcept {
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
}

StampedRead recv_stamped(int fd, std::span<char> buf) noexcept {
  iovec iov{buf.data(), buf.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec))];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  StampedRead r;
  r.n = ::recvmsg(fd, &msg, 0);
  // Both clocks at once: a preemption between them would move the arrival by its length.
  timespec real{};
  clock_gettime(CLOCK_REALTIME, &real);
  r.read_us = r.arrival_us = mono_us();
  if (r.n <= 0) return r;
  const auto us = [](const timespec& ts) { return std::int64_t{ts.tv_sec} * 1'000'000 + ts.tv_nsec / 1000; };
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS ||
        c->cmsg_len < CMSG_LEN(sizeof(timespec)))
      continue;
    timespec stamp{};
    std::memcpy(&stamp, CMSG_DATA(c), sizeof stamp);
    r.arrival_us = std::min(r.read_us, r.read_us - (us(real) - us(stamp)));
    r.stamped = true;
  }
  return r;
}

std::uint64_t raise_file_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0)
    throw std::system_error(errno, std::generic_category(), "getrlimit");
  lim.rlim_cur = lim.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &lim) != 0)
    throw std::system_error(errno, std::generic_category(), "setrlimit");
  return lim.rlim_cur;
}

}  // namespace loadgen
