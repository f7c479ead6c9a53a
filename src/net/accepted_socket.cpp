#include "net/accepted_socket.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/version.hpp>
#include <cerrno>
#include <cstring>

namespace fleet::net {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// The flags below live in Asio's reactive socket implementation, which basic_socket keeps as a protected
// member: a derived class is the only way to reach it. Checked against the Boost we build with (Debian
// 12: 1.81); another version must be re-checked (socket_ops.hpp, reactive_socket_service_base.ipp).
static_assert(BOOST_VERSION >= 108100 && BOOST_VERSION < 109000, "re-check Asio's socket state flags");
#if defined(BOOST_ASIO_HAS_IOCP) || defined(BOOST_ASIO_HAS_IO_URING_AS_DEFAULT)
#error "adopt_accepted assumes Asio's epoll reactor"
#endif

class Adopted : public tcp::socket {
 public:
  explicit Adopted(asio::io_context& io) : tcp::socket(io) {}
  void mark_nonblocking_not_dup() {
    auto& state = impl_.get_implementation().state_;
    namespace ops = asio::detail::socket_ops;
    state = static_cast<ops::state_type>((state & ~ops::possible_dup) | ops::internal_non_blocking);
  }
};

}  // namespace

AcceptStatus accept_nonblocking(int listen_fd, int& fd, boost::system::error_code& error) noexcept {
  for (;;) {
    fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) return AcceptStatus::accepted;
    switch (errno) {
      case EINTR: continue;
      case EAGAIN:
#if EWOULDBLOCK != EAGAIN
      case EWOULDBLOCK:
#endif
        return AcceptStatus::would_block;
      // accept(2), "Error handling": Linux reports pending network errors of the new socket here; that
      // connection is lost, the listener is fine.
      case ECONNABORTED:
      case EPROTO:
      case ENETDOWN:
      case ENOPROTOOPT:
      case EHOSTDOWN:
      case ENONET:
      case EHOSTUNREACH:
      case EOPNOTSUPP:
      case ENETUNREACH:
      case EPERM:  // firewall rules forbid this one connection
        return AcceptStatus::skip;
      default: error.assign(errno, boost::system::system_category()); return AcceptStatus::failed;
    }
  }
}

tcp::socket adopt_accepted(asio::io_context& io, const tcp& protocol, int fd, boost::system::error_code& ec) {
  Adopted s(io);
  s.assign(protocol, fd, ec);
  if (ec) {
    ::close(fd);
    return tcp::socket(io);
  }
  s.mark_nonblocking_not_dup();
  return tcp::socket(std::move(static_cast<tcp::socket&>(s)));
}

std::optional<boost::asio::ip::address> peer_address(int fd) noexcept {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return std::nullopt;
  if (ss.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(ss);
    return boost::asio::ip::address_v4(ntohl(in.sin_addr.s_addr));
  }
  if (ss.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(ss);
    boost::asio::ip::address_v6::bytes_type bytes;
    std::memcpy(bytes.data(), &in6.sin6_addr, bytes.size());
    return boost::asio::ip::address_v6(bytes, in6.sin6_scope_id);
  }
  return std::nullopt;
}

void refuse_accepted(int fd, std::string_view response) noexcept {
  (void)::send(fd, response.data(), response.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  (void)::shutdown(fd, SHUT_WR);
  (void)::close(fd);
}

}  // namespace fleet::net
