#pragma once
// The benchmark scenarios (docs/benchmarks.md). Each returns its results as a JSON object; all but the
// loopback floor run against one server process.
#include <memory>

#include <sys/types.h>

#include <boost/json/object.hpp>

#include "net.hpp"
#include "options.hpp"
#include "process_stats.hpp"
#include "token_minter.hpp"

namespace loadgen {

struct Context {
  const Options& options;
  Endpoint server;
  SourceAddresses sources;
  TokenMinter minter;
  pid_t server_pid = 0;
  // Every node given in --url (a comma-separated list; `server` is the first). The ingest and fanout
  // scenarios spread their connections over all of them (a cluster); the others use `server` only.
  std::vector<Endpoint> servers;
};

// Fan-out (and wide fan-out): viewers over tenants, rate stepped up until p99 > limit or any loss.
// With --slow-fraction: the slow-consumer scenario at a fixed rate.
boost::json::object run_fanout(const Context& ctx);
// Idle memory: as many idle authenticated viewers as asked, server RSS per connection.
boost::json::object run_idle(const Context& ctx);
// Handshake storm: fresh connections (distinct RS256 tokens) as fast as the server completes them.
boost::json::object run_handshake(const Context& ctx);
// Durable ingest: closed-loop POST /api/v1/telemetry with each batch size.
boost::json::object run_ingest(const Context& ctx);
// Protocol 2: server CPU per in-band token refresh against per reconnect + snapshot.
boost::json::object run_refresh(const Context& ctx);
// Protocol 2: every viewer reconnects after a server restart, resuming or not (--restart-cmd restarts it).
boost::json::object run_storm(const Context& ctx);

// Scoped views: one tenant's devices on a grid, viewers with ~1 % boxes vs the same viewers unscoped.
boost::json::object run_views(const Context& ctx);

// Loopback floor (loopback_floor.hpp) with --pairs, --frame-bytes, --events-per-frame and --seconds. Needs no
// Context: there is no server, key or token.
boost::json::object run_floor(const Options& options);

// Helpers shared by the scenarios.
boost::json::object process_delta(const ProcessSample& before, const ProcessSample& after, double seconds);
void progress(const char* fmt, ...);  // one line on stderr

}  // namespace loadgen
