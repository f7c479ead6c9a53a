#pragma once
// The two system calls a WebSocket session makes on its hot path, without Asio's operation machinery:
// a gather write that takes what the kernel accepts now and a read that never blocks. The session waits
// for readiness with socket.async_wait only when these report that it must.
#include <sys/uio.h>

#include <cstddef>
#include <span>
#include <vector>

namespace fleet::net {

enum class IoStatus { done, would_block, eof, failed };

// Writes iov[pos..] with sendmsg (at most IOV_MAX entries per call, MSG_NOSIGNAL: a closed peer is an
// error, not a SIGPIPE). Advances `pos` past every fully written entry and trims a partly written one in
// place. done: everything written; would_block: the kernel buffer is full; failed: the connection broke.
// `fin_follows`: the caller closes the socket as soon as this write is done, so the bytes may wait in the
// kernel for the FIN (MSG_MORE) and leave with it in one segment.
IoStatus write_gather(int fd, std::vector<iovec>& iov, std::size_t& pos, bool fin_follows = false) noexcept;

// One recv without blocking. done with `n` bytes (n > 0); would_block; eof; failed.
IoStatus read_nonblocking(int fd, std::span<char> into, std::size_t& n) noexcept;

}  // namespace fleet::net
