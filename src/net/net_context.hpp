#pragma once
// What the transport shares across workers: options, the services it calls, and process-wide counters.
// Owned by the app; every member is either immutable after start or thread-safe.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "api/router.hpp"
#include "auth/authenticator.hpp"
#include "auth/share_registry.hpp"
#include "core/clock.hpp"
#include "hub/outbox.hpp"
#include "net/body_budget.hpp"
#include "net/connection_limiter.hpp"
#include "proto/device_index.hpp"
#include "store/store.hpp"

namespace fleet::net {

class StaticFiles;

struct NetOptions {
  std::size_t max_connections = 20000;  // WebSocket sessions; more get 1013 Server busy
  // When not empty, a WebSocket upgrade whose Origin is not listed is refused with 403 (an upgrade
  // without Origin, from a non-browser client, is allowed: only browsers send it, and they always do).
  std::vector<std::string> allowed_origins;
  std::chrono::milliseconds handshake_timeout{10'000};
  std::chrono::milliseconds ws_idle_timeout{30'000};  // pings at half of it, close when silent for all of it
  std::size_t ws_max_message = 16 * 1024;             // inbound; clients send little (auth holds a JWT)
  std::size_t http_max_body = 1 << 20;
  std::size_t http_body_budget = 64u << 20;   // request-body bytes in flight, all connections together
  ConnectionLimits connections;               // HTTP connections and unauthenticated WebSocket sessions
  std::size_t http_header_limit = 16 * 1024;  // room for an 8 KiB token in the query
  std::chrono::milliseconds http_idle_timeout{30'000};
  hub::OutboxLimits outbox;
  std::size_t max_frame_bytes = 256 * 1024;  // cap of one telemetry frame; larger backlogs take more frames
  std::int64_t token_grace_s = 15;           // after token_exp, a session without a refresh closes 1008
  std::size_t resume_max_events = 10'000;    // a resume needing more gets recovered:false and a snapshot
  bool access_log = true;
};

struct NetContext {
  NetOptions options;
  api::Router& router;
  auth::Authenticator& authenticator;
  store::Store& store;
  const Clock& clock;
  const StaticFiles* static_files = nullptr;  // null when no --web-root
  proto::DeviceIndex& device_index;           // compact indexes, shared with ingest's encoder
  auth::ShareRegistry* shares = nullptr;      // share tokens (fsh_...); null: every share token is refused
  std::atomic<std::size_t> ws_sessions{0};    // authenticated or not, counted against max_connections
  std::atomic<bool> stopping{false};
  ConnectionLimiter connections{options.connections};
  BodyBudget body_budget{options.http_body_budget};
};

}  // namespace fleet::net
