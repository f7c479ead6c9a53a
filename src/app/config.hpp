#pragma once
// fleetd's configuration: every flag has an environment-variable twin; flags win over the environment.
// `fleetd --help` prints the table in config.cpp, which is the single source of truth.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace fleet::app {

struct Config {
  std::string listen = "127.0.0.1:3000";
  std::string data_dir = "./data";
  // Cluster mode (docs/architecture.md, "Cluster"). `database`: a libpq URI (postgres://…) of the
  // PostgreSQL every node shares; empty: the embedded SQLite in data_dir. Holds a password: never logged.
  std::string database;
  std::string bus;  // nats://host:port; empty: nodes learn of each other's commits by polling the database
  std::string node_id;  // names this node in the bus and the logs; default: host name and pid
  // Test-only, from the environment alone (FLEET_TEST_BUS_PUBLISH_DELAY_MS): widens the window between a
  // commit and its bus message, so a test can kill a node inside it.
  std::int64_t test_bus_publish_delay_ms = 0;
  std::size_t workers = 0;  // 0: one per core

  // Keys: at least one source unless dev mode.
  std::string jwks_url;
  std::string jwks_file;
  std::string jwt_key;  // a PEM public key: file path, or the PEM text itself (CLERK_JWT_KEY)
  std::string jwks_ca_file;
  std::string issuer;
  std::vector<std::string> authorized_parties;
  std::vector<std::string> allowed_origins;  // empty: WebSocket upgrades from any Origin
  std::string tenant_claim;                  // empty: Clerk's o.id (v2), then org_id (v1)
  std::int64_t clock_skew_s = 5;
  std::int64_t token_grace_s = 15;

  bool dev = false;
  bool dev_allow_remote = false;

  std::string web_root;
  std::size_t web_root_max_bytes = std::size_t{256} << 20;  // every file and precompressed variant
  bool serve_source_maps = false;  // off: every *.map request is 404, whatever the web root holds
  // The page's basemap (GET /api/v1/app-config): an XYZ raster URL with {z}, {x}, {y}; empty: the page's
  // offline basemap.
  std::string map_tiles;
  std::string map_attribution;
  std::string port_file;

  std::size_t max_connections = 10000;
  std::int64_t handshake_timeout_ms = 10'000;
  std::int64_t ws_idle_timeout_ms = 30'000;
  std::int64_t http_timeout_ms = 30'000;
  std::size_t ws_max_message = 16 * 1024;
  std::size_t http_max_body = 1 << 20;
  std::size_t http_body_budget = 64u << 20;
  std::size_t max_http_connections = 4096;
  std::size_t max_connections_per_address = 256;
  std::size_t outbox_soft_limit = 256 * 1024;
  std::size_t outbox_hard_limit = 1024 * 1024;
  std::size_t resume_ring_bytes = 1024 * 1024;
  std::int64_t resume_ring_age_ms = 120'000;
  std::size_t resume_max_events = 10'000;
  std::string sync = "full";
  std::size_t store_queue = 10'000;
  std::size_t store_queue_bytes = 64u << 20;
  // Test-only, from the environment alone (FLEET_TEST_STORAGE_FAULTS, no flag, not in --help): a control
  // file through which an integration test makes the disk "fail" (store/fault_vfs.hpp). Empty: off.
  std::string storage_fault_file;
  std::string log_level = "info";
  bool access_log = true;

  bool help = false;
  bool version = false;
};

using Getenv = std::function<std::optional<std::string>(const std::string&)>;

// Parses argv (argv[0] skipped) over the environment. Unknown flags, missing or malformed values, and
// contradictions (e.g. --dev on a non-loopback address without --dev-allow-remote, no key source outside
// dev mode) are errors with a message naming the flag.
Result<Config> parse_config(const std::vector<std::string>& args, const Getenv& getenv);

std::string usage();

// True for an http(s) URL with a host that holds {z}, {x} and {y} and no whitespace or control characters.
bool is_tile_url_template(std::string_view url);

// True for 127.0.0.0/8, ::1 and "localhost".
bool is_loopback_host(const std::string& host);

}  // namespace fleet::app
