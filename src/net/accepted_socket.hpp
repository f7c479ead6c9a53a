#pragma once
// Accepting without Asio's accept operation: one accept4 per connection, the new socket already
// non-blocking, and an Asio socket object that knows it. Asio's own async_accept does accept, then
// ioctl(FIONBIO) on the first operation, then epoll_ctl(DEL) before close (it treats every accepted
// descriptor as a possible dup); at ~20,000 handshakes/s per 2 cores those syscalls are measurable.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>
#include <optional>
#include <string_view>

namespace fleet::net {

enum class AcceptStatus { accepted, would_block, skip, failed };

// One ::accept4(listen_fd, SOCK_NONBLOCK | SOCK_CLOEXEC). accepted: `fd` holds the new connection;
// would_block: nothing pending (EAGAIN); skip: this connection went away before we took it
// (ECONNABORTED, EPROTO, network errors Linux passes through from the new socket) - try the next one;
// failed: the listener cannot accept now (EMFILE, ENFILE, ENOBUFS, ENOMEM, ...), `error` says why.
AcceptStatus accept_nonblocking(int listen_fd, int& fd, boost::system::error_code& error) noexcept;

// Wraps `fd` - which must come from accept_nonblocking (non-blocking, never dup'ed) - into a socket on
// `io`. The socket is registered with the reactor like any Asio socket, but flagged non-blocking (no
// ioctl on its first operation) and not "possibly dup'ed" (closing it needs no epoll_ctl(DEL): the
// kernel drops a closed descriptor's registration itself). On error `fd` is closed and `ec` set.
boost::asio::ip::tcp::socket adopt_accepted(boost::asio::io_context& io, const boost::asio::ip::tcp& protocol,
                                            int fd, boost::system::error_code& ec);

// The peer's address of an accepted descriptor; nullopt if the peer is already gone.
std::optional<boost::asio::ip::address> peer_address(int fd) noexcept;

// Refuses an accepted connection that a cap leaves no room for: one non-blocking send of `response`
// (best effort: the socket's buffer is empty, so it fits), then close. No session, no timer, no memory
// kept; a flood of refused connects costs a syscall or three each.
void refuse_accepted(int fd, std::string_view response) noexcept;

}  // namespace fleet::net
