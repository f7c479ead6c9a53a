#pragma once
// The machine's loopback floor: what the kernel charges for one loopback TCP send() of a frame and its
// receive, with no server and no WebSocket work. One thread sends frame-sized buffers round-robin to
// `pairs` sockets, one write per socket per round like fleetd's fan-out; another drains their peers with
// epoll like a viewer thread. Its frames/s bounds any server's on this box, and its CPU per frame is what
// a server's CPU per frame can be compared to.
#include <boost/json/object.hpp>
#include <cstddef>

namespace loadgen {

struct FloorSettings {
  int pairs = 1000;                // loopback TCP connections (2 descriptors each)
  std::size_t frame_bytes = 1910;  // bytes per send(): a fanout frame from fleetd
  int events_per_frame = 10;       // only for the deliveries-equivalent figure
  double seconds = 3;              // how long the sender sends
};

// Runs the measurement in the calling process (raising RLIMIT_NOFILE if the pairs need it). Returns
// {pairs, frame_bytes, events_per_frame, seconds, wall_seconds, frames_sent, bytes_sent, bytes_received,
// frames_per_s, deliveries_per_s_equivalent, sender/receiver/total_cpu_us_per_frame, would_block,
// short_writes, cpus}, plus `failure` when the receiver did not get every byte within 5 s of the sender
// stopping. Throws std::invalid_argument on bad settings and std::runtime_error (std::system_error for a
// failed system call) when it cannot measure.
boost::json::object measure_floor(const FloorSettings& settings);

}  // namespace loadgen
