#include "net/nonblocking_io.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <climits>

namespace fleet::net {

IoStatus write_gather(int fd, std::vector<iovec>& iov, std::size_t& pos, bool fin_follows) noexcept {
  const int flags = MSG_NOSIGNAL | MSG_DONTWAIT | (fin_follows ? MSG_MORE : 0);
  while (pos < iov.size() && iov[pos].iov_len == 0) ++pos;
  while (pos < iov.size()) {
    msghdr msg{};
    msg.msg_iov = iov.data() + pos;
    msg.msg_iovlen = std::min<std::size_t>(iov.size() - pos, IOV_MAX);
    const ssize_t sent = ::sendmsg(fd, &msg, flags);
    if (sent < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return IoStatus::would_block;
      return IoStatus::failed;
    }
    auto left = static_cast<std::size_t>(sent);
    while (pos < iov.size() && left >= iov[pos].iov_len) {
      left -= iov[pos].iov_len;
      ++pos;
    }
    if (left > 0) {
      iov[pos].iov_base = static_cast<char*>(iov[pos].iov_base) + left;
      iov[pos].iov_len -= left;
      return IoStatus::would_block;  // a short write means the buffer is full now
    }
    while (pos < iov.size() && iov[pos].iov_len == 0) ++pos;
  }
  return IoStatus::done;
}

IoStatus read_nonblocking(int fd, std::span<char> into, std::size_t& n) noexcept {
  for (;;) {
    const ssize_t got = ::recv(fd, into.data(), into.size(), MSG_DONTWAIT);
    if (got > 0) {
      n = static_cast<std::size_t>(got);
      return IoStatus::done;
    }
    if (got == 0) return IoStatus::eof;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return IoStatus::would_block;
    return IoStatus::failed;
  }
}

}  // namespace fleet::net
