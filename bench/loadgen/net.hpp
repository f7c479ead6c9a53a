#pragma once
// Socket helpers: loopback endpoints, source-address spreading and the descriptor limit.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <netinet/in.h>
#include <sys/types.h>

namespace loadgen {

struct Endpoint {
  sockaddr_in addr{};
  std::string host_header;  // "127.0.0.1:PORT"
};

// Parses "http://HOST:PORT" or "HOST:PORT" with a numeric IPv4 host. Throws std::invalid_argument.
Endpoint parse_endpoint(const std::string& url);
// Parses a comma-separated list of them ("http://127.0.0.1:8001,http://127.0.0.1:8002": the nodes of a
// cluster). Throws std::invalid_argument, also on an empty list.
std::vector<Endpoint> parse_endpoints(const std::string& urls);

// Source addresses 127.0.0.2 .. 127.0.0.(1 + count). Each (source, destination) pair has its own
// ephemeral port range, so spreading connections over several sources avoids port exhaustion.
class SourceAddresses {
 public:
  explicit SourceAddresses(int count);
  in_addr pick(std::size_t i) const noexcept { return addrs_[i % addrs_.size()]; }

 private:
  std::vector<in_addr> addrs_;
};

struct ConnectOptions {
  int receive_buffer = 0;  // SO_RCVBUF when > 0 (slow consumers get a small one)
};

// Non-blocking TCP socket bound to `source` (port chosen at connect time) with TCP_NODELAY, connect
// started. Returns the fd, or -1 with errno set.
int start_connect(const Endpoint& to, in_addr source, const ConnectOptions& options = {});

// After a non-blocking connect reports writable: 0 when connected, else the errno of the failure.
int connect_result(int fd) noexcept;

// Closes with an RST instead of a FIN, so the client side keeps no TIME_WAIT entry.
void close_abortively(int fd) noexcept;

// Asks the kernel to stamp every received segment (SO_TIMESTAMPNS); see arrival_us().
void enable_receive_timestamps(int fd) noexcept;

// One recv() of up to buf.size() bytes (n as recv returns it), with when this process read them and when
// they arrived in the socket, both CLOCK_MONOTONIC microseconds. Arrival is the kernel's receive stamp
// (CLOCK_REALTIME) moved onto the monotonic clock with the offset between the two read now, never later
// than the read; for TCP it is the stamp of the last segment the read consumed, so a read spanning
// several frames dates them all late. Without a stamp (not enabled yet) it is the read time.
struct StampedRead {
  ssize_t n = 0;
  std::int64_t read_us = 0;
  std::int64_t arrival_us = 0;
  bool stamped = false;
};
StampedRead recv_stamped(int fd, std::span<char> buf) noexcept;

// Raises the soft RLIMIT_NOFILE to the hard limit. Returns the new soft limit.
std::uint64_t raise_file_limit();

}  // namespace loadgen
