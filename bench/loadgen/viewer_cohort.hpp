#pragma once
// A fixed set of protocol 2 viewers driven phase by phase from the main thread: connect every viewer
// (fresh, or resuming where its previous session ended), refresh every viewer's token in-band, close every
// viewer. A phase runs on the cohort's worker threads (one EventLoop each) with a bound on operations in
// flight per worker; the main thread blocks until it is over, so it can read the server's CPU time right
// before and right after it and charge the difference to exactly that phase's operations.
//
// Threads: run(), wait_all_closed() and the readers are called from one thread (the scenario's); everything
// else happens on the workers. Between phases viewers stay as they are (open ones keep reading telemetry).
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "histogram.hpp"
#include "net.hpp"
#include "tally.hpp"
#include "viewer_pool.hpp"

namespace loadgen {

struct CohortMember {
  int tenant_index = 0;
  std::vector<std::string> tokens;  // a phase that asks for token k uses tokens[k]
};

enum class PhaseKind {
  connect,  // start a session on every member (token in the first message); done when it is live
  refresh,  // send an in-band auth on every open session; done at its auth_ok
  close,    // close every open session with a close frame; done when the server's close arrived
};

struct PhaseSpec {
  PhaseKind kind = PhaseKind::connect;
  std::size_t token = 0;      // connect, refresh: which of each member's tokens
  bool resume = false;        // connect: resume from the previous session's last seq and epoch
  std::size_t in_flight = 0;  // operations in flight per worker; 0 = every member at once
  std::chrono::milliseconds timeout{60'000};
};

struct PhaseReport {
  std::uint64_t ok = 0;
  std::uint64_t failed = 0;                       // includes operations still pending at the deadline
  std::map<std::string, std::uint64_t> failures;  // reason -> count
  HistogramSnapshot latency;                      // operation start -> done, us
  std::uint64_t recovered = 0;                    // connect: hello said recovered:true
  std::uint64_t not_recovered = 0;                // connect: hello said recovered:false
  std::uint64_t bytes_until_live = 0;             // connect: bytes read until live, summed over members
  std::int64_t started_us = 0;                    // when the phase began (main thread, CLOCK_MONOTONIC)
  std::int64_t last_done_us = 0;                  // when its last operation completed (0: none did)
  bool timed_out = false;

  double seconds_to_last() const noexcept {
    return last_done_us > started_us ? static_cast<double>(last_done_us - started_us) / 1e6 : 0.0;
  }
  void merge(const PhaseReport& other);
  // {"ok","failed","failures","latency","recovered","not_recovered","bytes_until_live","seconds","timed_out"}
  boost::json::object json() const;
};

class ViewerCohort {
 public:
  ViewerCohort(const Endpoint& server, const SourceAddresses& sources, std::vector<CohortMember> members,
               int threads);
  ~ViewerCohort();
  ViewerCohort(const ViewerCohort&) = delete;
  ViewerCohort& operator=(const ViewerCohort&) = delete;

  // Runs one phase over every member and returns once each operation completed or failed, or at the
  // phase's timeout (what is still pending then counts as failed and its session is reset).
  PhaseReport run(const PhaseSpec& phase);

  // Sessions started and not yet closed.
  std::int64_t open_sessions() const { return started_.get() - ended_.get(); }
  // Waits until no session is open (e.g. the server shut down); false at the deadline.
  bool wait_all_closed(std::chrono::steady_clock::time_point deadline) const;

  std::size_t size() const noexcept { return size_; }
  ViewerTotals totals() const;  // telemetry counters of every member
  // Sessions that ended outside any operation (e.g. "1001 Server shutting down" -> count).
  std::map<std::string, std::uint64_t> unexpected_closes() const;

 private:
  class Worker;

  std::size_t size_ = 0;
  Tally phases_done_;  // one per worker per finished phase
  Tally started_;
  Tally ended_;
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace loadgen
