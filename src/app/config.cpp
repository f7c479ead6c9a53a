#include "app/config.hpp"

#include <boost/asio/ip/address.hpp>
#include <charconv>
#include <set>
#include <sstream>

namespace fleet::app {
namespace {

enum class Kind { text, list, integer, size, flag };

struct Option {
  const char* flag;
  const char* env;
  Kind kind;
  const char* value_name;
  const char* help;
  std::function<void(Config&, const std::string&)> text;  // text and list
  std::function<void(Config&, std::int64_t)> number;      // integer, size and flag (1/0); list: clears it
  std::int64_t min = 0;
  std::int64_t max = INT64_MAX;
};

const std::vector<Option>& options() {
  static const std::vector<Option> table = {
      {"--listen", "FLEET_LISTEN", Kind::text, "HOST:PORT",
       "address to serve HTTP and WebSocket on (default 127.0.0.1:3000; port 0 picks one)",
       [](Config& c, const std::string& v) { c.listen = v; }, nullptr},
      {"--data-dir", "FLEET_DATA_DIR", Kind::text, "DIR", "SQLite database directory (default ./data)",
       [](Config& c, const std::string& v) { c.data_dir = v; }, nullptr},
      {"--database", "FLEET_DATABASE", Kind::text, "URI",
       "PostgreSQL shared by a cluster of nodes, as a libpq URI postgres://user:password@host:port/db "
       "(default: SQLite in --data-dir)",
       [](Config& c, const std::string& v) { c.database = v; }, nullptr},
      {"--bus", "FLEET_BUS", Kind::text, "URL",
       "NATS that carries each commit to the other nodes, nats://host:port (needs --database; "
       "default: the nodes poll the database)",
       [](Config& c, const std::string& v) { c.bus = v; }, nullptr},
      {"--node-id", "FLEET_NODE_ID", Kind::text, "ID",
       "this node's name in a cluster: letters, digits, '-' and '_' (default: host name and pid)",
       [](Config& c, const std::string& v) { c.node_id = v; }, nullptr},
      {"--workers", "FLEET_WORKERS", Kind::integer, "N", "event-loop threads (default: one per core)",
       nullptr, [](Config& c, std::int64_t v) { c.workers = static_cast<std::size_t>(v); }, 0, 256},
      {"--jwks-url", "FLEET_JWKS_URL", Kind::text, "URL",
       "JWKS to verify user tokens with, e.g. https://<clerk-frontend-api>/.well-known/jwks.json",
       [](Config& c, const std::string& v) { c.jwks_url = v; }, nullptr},
      {"--jwks-file", "FLEET_JWKS_FILE", Kind::text, "FILE", "JWKS document on disk",
       [](Config& c, const std::string& v) { c.jwks_file = v; }, nullptr},
      {"--jwt-key", "CLERK_JWT_KEY", Kind::text, "PEM|FILE",
       "PEM public key (Clerk's \"JWT public key\"), as text or a file path",
       [](Config& c, const std::string& v) { c.jwt_key = v; }, nullptr},
      {"--jwks-ca-file", "FLEET_JWKS_CA_FILE", Kind::text, "FILE",
       "extra CA bundle for the JWKS URL (default: system store)",
       [](Config& c, const std::string& v) { c.jwks_ca_file = v; }, nullptr},
      {"--issuer", "FLEET_ISSUER", Kind::text, "ISS",
       "required `iss` of user tokens (Clerk: https://<frontend-api>)",
       [](Config& c, const std::string& v) { c.issuer = v; }, nullptr},
      {"--authorized-party", "FLEET_AUTHORIZED_PARTIES", Kind::list, "ORIGIN",
       "allowed `azp` (repeatable; env: comma-separated)",
       [](Config& c, const std::string& v) { c.authorized_parties.push_back(v); },
       [](Config& c, std::int64_t) { c.authorized_parties.clear(); }},
      {"--allowed-origin", "FLEET_ALLOWED_ORIGINS", Kind::list, "ORIGIN",
       "WebSocket upgrades with another Origin get 403 (repeatable; env: comma-separated; default: any)",
       [](Config& c, const std::string& v) { c.allowed_origins.push_back(v); },
       [](Config& c, std::int64_t) { c.allowed_origins.clear(); }},
      {"--tenant-claim", "FLEET_TENANT_CLAIM", Kind::text, "PATH",
       "dotted claim path of the tenant (default: o.id, then org_id)",
       [](Config& c, const std::string& v) { c.tenant_claim = v; }, nullptr},
      {"--clock-skew", "FLEET_CLOCK_SKEW", Kind::integer, "SECONDS",
       "tolerated clock skew for exp/nbf/iat (default 5)", nullptr,
       [](Config& c, std::int64_t v) { c.clock_skew_s = v; }, 0, 300},
      {"--token-grace", "FLEET_TOKEN_GRACE", Kind::integer, "SECONDS",
       "a WebSocket session closes this long after its token's exp unless refreshed in-band (default 15)",
       nullptr, [](Config& c, std::int64_t v) { c.token_grace_s = v; }, 0, 3600},
      {"--dev", "FLEET_DEV", Kind::flag, "",
       "embedded dev issuer: /dev/token and /.well-known/jwks.json (off by default)", nullptr,
       [](Config& c, std::int64_t v) { c.dev = v != 0; }},
      {"--dev-allow-remote", "FLEET_DEV_ALLOW_REMOTE", Kind::flag, "",
       "allow --dev on a non-loopback address (anyone could mint tokens)", nullptr,
       [](Config& c, std::int64_t v) { c.dev_allow_remote = v != 0; }},
      {"--web-root", "FLEET_WEB_ROOT", Kind::text, "DIR", "serve the built web app from DIR at /",
       [](Config& c, const std::string& v) { c.web_root = v; }, nullptr},
      {"--web-root-max-bytes", "FLEET_WEB_ROOT_MAX_BYTES", Kind::size, "BYTES",
       "memory the web root may take, every file and its .gz/.br together; more stops start-up "
       "(default 268435456)",
       nullptr, [](Config& c, std::int64_t v) { c.web_root_max_bytes = static_cast<std::size_t>(v); },
       1 << 20, 1LL << 40},
      {"--serve-source-maps", "FLEET_SERVE_SOURCE_MAPS", Kind::flag, "",
       "serve *.map files from the web root (default: 404, so the app's sources stay private)", nullptr,
       [](Config& c, std::int64_t v) { c.serve_source_maps = v != 0; }},
      {"--map-tiles", "FLEET_MAP_TILES", Kind::text, "URL",
       "XYZ raster tiles for the page's map, e.g. https://tile.example.org/{z}/{x}/{y}.png "
       "(default: the offline basemap)",
       [](Config& c, const std::string& v) { c.map_tiles = v; }, nullptr},
      {"--map-attribution", "FLEET_MAP_ATTRIBUTION", Kind::text, "TEXT",
       "attribution the page shows under --map-tiles, e.g. \"(c) OpenStreetMap contributors\"",
       [](Config& c, const std::string& v) { c.map_attribution = v; }, nullptr},
      {"--port-file", "FLEET_PORT_FILE", Kind::text, "FILE", "write the bound port to FILE once listening",
       [](Config& c, const std::string& v) { c.port_file = v; }, nullptr},
      {"--max-connections", "FLEET_MAX_CONNECTIONS", Kind::integer, "N",
       "WebSocket sessions before 1013 Server busy (default 10000)", nullptr,
       [](Config& c, std::int64_t v) { c.max_connections = static_cast<std::size_t>(v); }, 1, 10'000'000},
      {"--handshake-timeout", "FLEET_HANDSHAKE_TIMEOUT_MS", Kind::integer, "MS",
       "WebSocket handshake timeout (default 10000)", nullptr,
       [](Config& c, std::int64_t v) { c.handshake_timeout_ms = v; }, 100, 600'000},
      {"--ws-idle-timeout", "FLEET_WS_IDLE_TIMEOUT_MS", Kind::integer, "MS",
       "close silent WebSocket clients after MS; pings at half (default 30000)", nullptr,
       [](Config& c, std::int64_t v) { c.ws_idle_timeout_ms = v; }, 1000, 3'600'000},
      {"--http-timeout", "FLEET_HTTP_TIMEOUT_MS", Kind::integer, "MS",
       "close HTTP connections idle or slow to send a request for MS (default 30000)", nullptr,
       [](Config& c, std::int64_t v) { c.http_timeout_ms = v; }, 100, 3'600'000},
      {"--ws-max-message", "FLEET_WS_MAX_MESSAGE", Kind::size, "BYTES",
       "largest inbound WebSocket message (default 16384)", nullptr,
       [](Config& c, std::int64_t v) { c.ws_max_message = static_cast<std::size_t>(v); }, 128, 1 << 20},
      {"--http-max-body", "FLEET_HTTP_MAX_BODY", Kind::size, "BYTES",
       "largest HTTP request body (default 1048576)", nullptr,
       [](Config& c, std::int64_t v) { c.http_max_body = static_cast<std::size_t>(v); }, 1024, 64 << 20},
      {"--http-body-budget", "FLEET_HTTP_BODY_BUDGET", Kind::size, "BYTES",
       "request-body bytes in flight over all connections; more get 503 (default 67108864)", nullptr,
       [](Config& c, std::int64_t v) { c.http_body_budget = static_cast<std::size_t>(v); }, 1024, 1LL << 40},
      {"--max-http-connections", "FLEET_MAX_HTTP_CONNECTIONS", Kind::integer, "N",
       "HTTP connections and unauthenticated WebSocket sessions; more are refused with 503 (default 4096)",
       nullptr, [](Config& c, std::int64_t v) { c.max_http_connections = static_cast<std::size_t>(v); }, 1,
       10'000'000},
      {"--max-connections-per-address", "FLEET_MAX_CONNECTIONS_PER_ADDRESS", Kind::integer, "N",
       "the same from one client address (default 256)", nullptr,
       [](Config& c, std::int64_t v) { c.max_connections_per_address = static_cast<std::size_t>(v); }, 1,
       10'000'000},
      {"--outbox-soft-limit", "FLEET_OUTBOX_SOFT_LIMIT", Kind::size, "BYTES",
       "per-session backlog that triggers coalescing (default 262144)", nullptr,
       [](Config& c, std::int64_t v) { c.outbox_soft_limit = static_cast<std::size_t>(v); }, 1024, 1LL << 30},
      {"--outbox-hard-limit", "FLEET_OUTBOX_HARD_LIMIT", Kind::size, "BYTES",
       "per-session backlog that closes with 1013 (default 1048576)", nullptr,
       [](Config& c, std::int64_t v) { c.outbox_hard_limit = static_cast<std::size_t>(v); }, 1024, 1LL << 30},
      {"--resume-ring-bytes", "FLEET_RESUME_RING_BYTES", Kind::size, "BYTES",
       "recent telemetry kept per tenant (per worker) for resumes (default 1048576)", nullptr,
       [](Config& c, std::int64_t v) { c.resume_ring_bytes = static_cast<std::size_t>(v); }, 0, 1LL << 30},
      {"--resume-ring-age", "FLEET_RESUME_RING_AGE_MS", Kind::integer, "MS",
       "how long recent telemetry is kept for resumes (default 120000)", nullptr,
       [](Config& c, std::int64_t v) { c.resume_ring_age_ms = v; }, 0, 86'400'000},
      {"--resume-max-events", "FLEET_RESUME_MAX_EVENTS", Kind::integer, "N",
       "most missed events a resume delivers; more get a snapshot (default 10000)", nullptr,
       [](Config& c, std::int64_t v) { c.resume_max_events = static_cast<std::size_t>(v); }, 0, 1'000'000},
      {"--sync", "FLEET_SYNC", Kind::text, "full|normal",
       "SQLite durability: full survives power loss (default), normal only process crashes",
       [](Config& c, const std::string& v) { c.sync = v; }, nullptr},
      {"--store-queue", "FLEET_STORE_QUEUE", Kind::integer, "N",
       "store requests queued before 503 (default 10000)", nullptr,
       [](Config& c, std::int64_t v) { c.store_queue = static_cast<std::size_t>(v); }, 1, 10'000'000},
      {"--store-queue-bytes", "FLEET_STORE_QUEUE_BYTES", Kind::size, "BYTES",
       "memory the requests waiting for the store may hold before 503 (default 67108864)", nullptr,
       [](Config& c, std::int64_t v) { c.store_queue_bytes = static_cast<std::size_t>(v); }, 1 << 20,
       1LL << 40},
      {"--log-level", "FLEET_LOG_LEVEL", Kind::text, "LEVEL", "debug, info, warn or error (default info)",
       [](Config& c, const std::string& v) { c.log_level = v; }, nullptr},
      {"--access-log", "FLEET_ACCESS_LOG", Kind::integer, "0|1",
       "log every HTTP request and upgrade (default 1)", nullptr,
       [](Config& c, std::int64_t v) { c.access_log = v != 0; }, 0, 1},
  };
  return table;
}

Result<std::int64_t> parse_number(const Option& o, const std::string& v) {
  std::int64_t n = 0;
  const char* end = v.data() + v.size();
  auto [p, ec] = std::from_chars(v.data(), end, n);
  std::int64_t scale = 1;
  if (ec == std::errc{} && o.kind == Kind::size && p != end) {
    const std::string_view suffix(p, static_cast<std::size_t>(end - p));
    if (suffix == "K" || suffix == "KiB")
      scale = 1024;
    else if (suffix == "M" || suffix == "MiB")
      scale = 1024 * 1024;
    else
      scale = 0;
    p = end;
  }
  if (ec != std::errc{} || p != end || scale == 0) {
    return make_error(ErrorCode::invalid_field, std::string(o.flag) + ": not a number: \"" + v + "\"");
  }
  n *= scale;
  if (n < o.min || n > o.max) {
    return make_error(
        ErrorCode::invalid_field,
        std::string(o.flag) + ": must be in [" + std::to_string(o.min) + ", " + std::to_string(o.max) + "]");
  }
  return n;
}

Result<void> apply(const Option& o, Config& c, const std::string& value, bool from_env) {
  switch (o.kind) {
    case Kind::text: o.text(c, value); return {};
    case Kind::list:
      if (from_env) {
        std::stringstream ss(value);
        for (std::string item; std::getline(ss, item, ',');) {
          if (!item.empty()) o.text(c, item);
        }
      } else {
        o.text(c, value);
      }
      return {};
    case Kind::flag:
      if (from_env) {
        if (value == "1" || value == "true")
          o.number(c, 1);
        else if (value == "0" || value == "false" || value.empty())
          o.number(c, 0);
        else
          return make_error(ErrorCode::invalid_field, std::string(o.env) + ": expected 1 or 0");
      } else {
        o.number(c, 1);
      }
      return {};
    case Kind::integer:
    case Kind::size: {
      auto n = parse_number(o, value);
      if (!n) return n.error();
      o.number(c, *n);
      return {};
    }
  }
  return {};
}

// An origin as browsers send it (RFC 6454): scheme://host[:port], nothing after.
bool is_origin(std::string_view o) {
  for (std::string_view scheme : {"http://", "https://"}) {
    if (o.starts_with(scheme)) {
      const std::string_view rest = o.substr(scheme.size());
      return !rest.empty() && rest.find_first_of("/?#") == std::string_view::npos;
    }
  }
  return false;
}

Result<void> validate(const Config& c) {
  for (const auto& o : c.allowed_origins) {
    if (!is_origin(o)) {
      return make_error(ErrorCode::invalid_field,
                        "--allowed-origin: not an origin (scheme://host[:port]): \"" + o + "\"");
    }
  }
  if (!c.map_tiles.empty() && !is_tile_url_template(c.map_tiles)) {
    return make_error(ErrorCode::invalid_field,
                      "--map-tiles: expected an http(s) URL with {z}, {x} and {y}, e.g. "
                      "https://tile.example.org/{z}/{x}/{y}.png: \"" +
                          c.map_tiles + "\"");
  }
  if (!c.database.empty() && !c.database.starts_with("postgres://") &&
      !c.database.starts_with("postgresql://")) {
    return make_error(ErrorCode::invalid_field, "--database: expected a postgres:// or postgresql:// URI");
  }
  if (!c.bus.empty() && !c.bus.starts_with("nats://"))
    return make_error(ErrorCode::invalid_field, "--bus: expected a nats:// URL");
  if (!c.bus.empty() && c.database.empty()) {
    return make_error(ErrorCode::invalid_field,
                      "--bus needs --database: the nodes of a cluster share one PostgreSQL");
  }
  if (c.node_id.size() > 64 ||
      c.node_id.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                  "0123456789-_") != std::string::npos) {
    return make_error(ErrorCode::invalid_field, "--node-id: at most 64 letters, digits, '-' and '_'");
  }
  if (c.sync != "full" && c.sync != "normal")
    return make_error(ErrorCode::invalid_field, "--sync: expected full or normal");
  if (c.log_level != "debug" && c.log_level != "info" && c.log_level != "warn" && c.log_level != "error") {
    return make_error(ErrorCode::invalid_field, "--log-level: expected debug, info, warn or error");
  }
  if (c.http_body_budget < c.http_max_body) {
    return make_error(ErrorCode::invalid_field, "--http-body-budget must be at least --http-max-body");
  }
  if (c.outbox_hard_limit < c.outbox_soft_limit) {
    return make_error(ErrorCode::invalid_field, "--outbox-hard-limit must be at least --outbox-soft-limit");
  }
  const auto colon = c.listen.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return make_error(ErrorCode::invalid_field, "--listen: expected HOST:PORT");
  std::string host = c.listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  boost::system::error_code ec;
  boost::asio::ip::make_address(host, ec);
  if (ec && host != "localhost")
    return make_error(ErrorCode::invalid_field, "--listen: host must be an IP address or localhost");
  if (c.dev && !c.dev_allow_remote && !is_loopback_host(host)) {
    return make_error(
        ErrorCode::invalid_field,
        "--dev on a non-loopback address lets anyone mint tokens; add --dev-allow-remote to insist");
  }
  const int sources = !c.jwks_url.empty() + !c.jwks_file.empty() + !c.jwt_key.empty();
  if (!c.dev && sources == 0) {
    return make_error(ErrorCode::invalid_field,
                      "no key source: give --jwks-url, --jwks-file or --jwt-key (or --dev)");
  }
  if (c.dev && sources > 0) {
    return make_error(ErrorCode::invalid_field,
                      "--dev uses its own issuer; drop --jwks-url/--jwks-file/--jwt-key");
  }
  if (sources > 1)
    return make_error(ErrorCode::invalid_field, "give only one of --jwks-url, --jwks-file, --jwt-key");
  return {};
}

}  // namespace

bool is_tile_url_template(std::string_view url) {
  std::string_view rest;
  for (std::string_view scheme : {"http://", "https://"}) {
    if (url.starts_with(scheme)) rest = url.substr(scheme.size());
  }
  // A host ({s} for Leaflet's subdomains is fine), then the placeholders in the path or query.
  const auto host_end = rest.find_first_of("/?");
  if (host_end == 0 || host_end == std::string_view::npos) return false;
  for (const char ch : url) {
    if (static_cast<unsigned char>(ch) <= ' ' || ch == 0x7f) return false;
  }
  const std::string_view tail = rest.substr(host_end);
  for (std::string_view placeholder : {"{z}", "{x}", "{y}"}) {
    if (tail.find(placeholder) == std::string_view::npos) return false;
  }
  return true;
}

bool is_loopback_host(const std::string& host) {
  if (host == "localhost") return true;
  boost::system::error_code ec;
  const auto addr = boost::asio::ip::make_address(host, ec);
  return !ec && addr.is_loopback();
}

Result<Config> parse_config(const std::vector<std::string>& args, const Getenv& getenv) {
  Config c;
  for (const Option& o : options()) {
    if (auto v = getenv(o.env)) {
      if (auto r = apply(o, c, *v, true); !r) return r.error();
    }
  }
  if (auto v = getenv("FLEET_TEST_STORAGE_FAULTS")) c.storage_fault_file = *v;  // test-only, see config.hpp
  if (auto v = getenv("FLEET_TEST_BUS_PUBLISH_DELAY_MS")) {                     // test-only, see config.hpp
    std::int64_t ms = 0;
    const auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), ms);
    if (ec != std::errc{} || end != v->data() + v->size() || ms < 0 || ms > 60'000)
      return make_error(ErrorCode::invalid_field, "FLEET_TEST_BUS_PUBLISH_DELAY_MS: expected 0..60000");
    c.test_bus_publish_delay_ms = ms;
  }
  std::set<const Option*> cleared_lists;  // flags replace a list given in the environment
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    if (arg == "--help" || arg == "-h") {
      c.help = true;
      continue;
    }
    if (arg == "--version") {
      c.version = true;
      continue;
    }
    std::optional<std::string> inline_value;
    if (const auto eq = arg.find('='); eq != std::string::npos && arg.starts_with("--")) {
      inline_value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    }
    const Option* found = nullptr;
    for (const Option& o : options()) {
      if (arg == o.flag) found = &o;
    }
    if (!found) return make_error(ErrorCode::invalid_field, "unknown argument: " + arg + " (see --help)");
    if (found->kind == Kind::flag) {
      if (inline_value) return make_error(ErrorCode::invalid_field, arg + " takes no value");
      found->number(c, 1);
      continue;
    }
    std::string value;
    if (inline_value) {
      value = *inline_value;
    } else {
      if (i + 1 >= args.size()) return make_error(ErrorCode::invalid_field, arg + ": missing value");
      value = args[++i];
    }
    // The first use of a list flag replaces the environment's list; later uses add to it.
    if (found->kind == Kind::list && cleared_lists.insert(found).second) found->number(c, 0);
    if (auto r = apply(*found, c, value, false); !r) return r.error();
  }
  if (c.help || c.version) return c;
  if (auto r = validate(c); !r) return r.error();
  return c;
}

std::string usage() {
  std::string out =
      "fleetd: authenticated, tenant-isolated live fleet telemetry over WebSocket\n\n"
      "usage: fleetd [options]\n\n"
      "Every option can also be set by its environment variable; options win.\n\n";
  for (const Option& o : options()) {
    std::string left = std::string("  ") + o.flag;
    if (o.kind != Kind::flag) left += std::string(" ") + o.value_name;
    if (left.size() < 34)
      left.resize(34, ' ');
    else
      left += ' ';
    out += left + o.help + "\n" + std::string(34, ' ') + "env: " + o.env + "\n";
  }
  out += "  --help                          this text\n  --version                       print the version\n";
  return out;
}

}  // namespace fleet::app
