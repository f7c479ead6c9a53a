#include "app/server.hpp"

#include <unistd.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>

#include <array>
#include <cctype>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "api/app_config.hpp"
#include "api/context.hpp"
#include "api/router.hpp"
#include "app/pg_seq_source.hpp"
#include "app/pg_shared_secret.hpp"
#include "auth/dev_issuer.hpp"
#include "auth/jwt_authenticator.hpp"
#include "auth/key_set.hpp"
#include "auth/share_registry.hpp"
#include "auth/static_key_source.hpp"
#include "cluster/cluster_broker.hpp"
#include "cluster/nats_bus.hpp"
#include "hub/broker.hpp"
#include "net/jwks_fetcher.hpp"
#include "net/listener.hpp"
#include "net/net_context.hpp"
#include "net/static_files.hpp"
#include "net/worker.hpp"
#include "net/ws_session.hpp"
#include "obs/log.hpp"
#include "obs/metrics.hpp"
#include "store/fault_vfs.hpp"
#include "store/pg_store.hpp"
#include "store/sqlite_store.hpp"

namespace fleet::app {
namespace asio = boost::asio;

// Cluster mode: commits reach every node through the bus (or the database probe), in seq order.
struct ClusterNode {
  std::unique_ptr<cluster::Bus> bus;  // null without --bus
  std::unique_ptr<PgSeqSource> seq_source;
  std::unique_ptr<cluster::ClusterBroker> broker;
};

struct Server::Impl {
  Config config;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<auth::ShareRegistry> shares;  // made from the store's key, loaded before serving
  std::vector<std::unique_ptr<net::Worker>> workers;
  proto::DeviceIndex device_index;  // before the contexts that refer to it
  hub::LocalBroker broker;
  ClusterNode cluster;               // cluster mode only
  hub::Broker* publisher = &broker;  // what ingest publishes to: `broker`, or cluster.broker
  std::shared_ptr<const auth::DevIssuer> dev_issuer;
  std::shared_ptr<auth::KeySource> keys;
  std::shared_ptr<net::JwksFetcher> fetcher;  // set when keys come from a JWKS URL (also in dev mode)
  std::unique_ptr<auth::JwtAuthenticator> authenticator;
  std::optional<net::StaticFiles> static_files;
  std::unique_ptr<api::ApiContext> api_ctx;
  std::unique_ptr<api::Router> router;
  std::unique_ptr<net::NetContext> net_ctx;
  std::shared_ptr<net::Listener> listener;
  unsigned short port = 0;
  asio::io_context signal_io{1};
  asio::signal_set signals{signal_io, SIGINT, SIGTERM};

  ~Impl() {
    // After wait_and_shutdown() every stop() here is a no-op; otherwise (a start that failed half-way)
    // the same order: the store first, since its thread posts answers to the workers, which must still
    // exist; then the key fetcher; then the workers drain and stop, before the sockets and the services
    // their handlers call go.
    if (store) store->stop();
    if (cluster.broker) cluster.broker->stop();
    if (fetcher) fetcher->stop();
    for (auto& w : workers) w->stop();
    listener.reset();
    workers.clear();
  }
};

namespace {

Result<asio::ip::tcp::endpoint> parse_endpoint(const std::string& listen) {
  const auto colon = listen.rfind(':');
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  if (host == "localhost") host = "127.0.0.1";
  boost::system::error_code ec;
  const auto addr = asio::ip::make_address(host, ec);
  unsigned long port = 0;
  try {
    port = std::stoul(listen.substr(colon + 1));
  } catch (...) {
    port = 65536;
  }
  if (ec || port > 65535) return make_error(ErrorCode::invalid_field, "--listen: bad address " + listen);
  return asio::ip::tcp::endpoint(addr, static_cast<unsigned short>(port));
}

// A JWKS URL (and dev mode, whose issuer serves its JWKS on our own port) is fetched over HTTP(S) and
// refreshed; files and PEM keys are read once.
Result<std::shared_ptr<auth::KeySource>> make_key_source(const Config& c, const std::string& jwks_url,
                                                         std::shared_ptr<net::JwksFetcher>& fetcher) {
  if (!jwks_url.empty()) {
    net::JwksFetcherConfig fc;
    fc.url = jwks_url;
    fc.ca_file = c.jwks_ca_file;
    auto f = net::JwksFetcher::create(fc);
    if (!f) return f.error();
    fetcher = *f;
    return std::shared_ptr<auth::KeySource>(*f);
  }
  if (!c.jwks_file.empty()) {
    auto src = auth::StaticKeySource::from_file(c.jwks_file);
    if (!src) return src.error();
    return std::shared_ptr<auth::KeySource>(std::move(*src));
  }
  if (!c.jwt_key.empty()) {
    // CLERK_JWT_KEY holds the PEM itself; --jwt-key may also name a file.
    auto src = c.jwt_key.find("-----BEGIN") != std::string::npos
                   ? auth::StaticKeySource::from_text(c.jwt_key)
                   : auth::StaticKeySource::from_file(c.jwt_key);
    if (!src) return src.error();
    return std::shared_ptr<auth::KeySource>(std::move(*src));
  }
  return make_error(ErrorCode::invalid_field, "no key source configured");
}

// The dev issuer's name in cluster mode (a URL of one node would make the others refuse its tokens).
constexpr const char* kClusterDevIssuer = "http://fleet-dev-cluster.local";

std::string default_node_id() {
  std::array<char, 256> host{};
  if (::gethostname(host.data(), host.size() - 1) != 0) host[0] = '\0';
  std::string id;
  for (const char* c = host.data(); *c != '\0' && id.size() < 40; ++c) {
    id += std::isalnum(static_cast<unsigned char>(*c)) != 0 || *c == '-' || *c == '_' ? *c : '-';
  }
  return (id.empty() ? std::string("node") : id) + "-" + std::to_string(::getpid());
}

// Cluster mode: the bus (when configured) and the broker that orders every node's commits per tenant.
Result<void> start_cluster(ClusterNode& s, const Config& config, store::Store& store, hub::LocalBroker& local,
                           proto::DeviceIndex& index) {
  const std::string node = config.node_id.empty() ? default_node_id() : config.node_id;
  if (!config.bus.empty()) {
    auto bus = cluster::NatsBus::connect(config.bus, "fleetd-" + node);
    if (!bus) return bus.error();
    s.bus = std::move(*bus);
  } else {
    obs::warn("cluster without --bus: nodes see each other's commits by polling the database", {});
  }
  s.seq_source = std::make_unique<PgSeqSource>(config.database, store);
  cluster::ClusterOptions co;
  co.node_id = node;
  co.publish_delay_ms = config.test_bus_publish_delay_ms;
  if (co.publish_delay_ms > 0)
    obs::warn("bus publish delay enabled (test only)", {{"ms", co.publish_delay_ms}});
  s.broker = std::make_unique<cluster::ClusterBroker>(s.bus.get(), *s.seq_source, local, index, co);
  s.broker->start();
  obs::info("cluster node", {{"node", node}, {"bus", !config.bus.empty()}});
  return {};
}

// The share registry, holding every share still live, before the first session can present a token.
// A store without a share key (one that keeps no shares) gets a registry that signs and accepts nothing.
Result<std::unique_ptr<auth::ShareRegistry>> load_share_registry(store::Store& store, const Clock& clock) {
  auto registry = std::make_unique<auth::ShareRegistry>(store.share_key());
  if (!registry->can_sign()) {
    obs::warn("share links disabled: the store has no share key", {});
    return registry;
  }
  // Start-up may wait: nothing is served yet, and the callback runs on the store's thread (or inline).
  std::promise<Result<std::vector<store::Share>>> loaded;
  auto answer = loaded.get_future();
  store.active_shares(clock.now_ms(),
                      [&loaded](Result<std::vector<store::Share>> r) { loaded.set_value(std::move(r)); });
  auto active = answer.get();
  if (!active) return active.error();
  for (store::Share& share : *active) {
    const std::string id = share.id;
    registry->add(auth::ShareGrant{std::move(share.id), std::move(share.tenant), std::move(share.devices),
                                   share.expires_ms});
    if (share.revoked_ms) registry->revoke(id);  // never the case today; add() alone would revive it
  }
  obs::info("share links loaded", {{"active", static_cast<std::uint64_t>(active->size())}});
  return registry;
}

Result<void> write_port_file(const std::string& path, unsigned short port) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << port << "\n";
    if (!out) return make_error(ErrorCode::internal, "cannot write " + tmp);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);  // atomic: readers never see a half-written port
  if (ec) return make_error(ErrorCode::internal, "cannot rename " + tmp + ": " + ec.message());
  return {};
}

}  // namespace

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() = default;
unsigned short Server::port() const noexcept { return impl_->port; }

Result<std::unique_ptr<Server>> Server::start(const Config& config) {
  obs::Level level = obs::Level::info;
  obs::parse_level(config.log_level, level);
  obs::set_level(level);
  std::signal(SIGPIPE, SIG_IGN);

  auto impl = std::make_unique<Impl>();
  impl->config = config;
  Impl& s = *impl;

  auto endpoint = parse_endpoint(config.listen);
  if (!endpoint) return endpoint.error();

  // Store.
  std::error_code fs_ec;
  std::filesystem::create_directories(config.data_dir, fs_ec);
  if (fs_ec)
    return make_error(ErrorCode::internal,
                      "cannot create --data-dir " + config.data_dir + ": " + fs_ec.message());
  store::SqliteOptions so;
  so.path = (std::filesystem::path(config.data_dir) / "fleet.db").string();
  so.synchronous = config.sync == "normal" ? store::SyncMode::normal : store::SyncMode::full;
  so.queue_capacity = config.store_queue;
  so.queue_max_bytes = config.store_queue_bytes;
  if (!config.storage_fault_file.empty()) {
    // Test-only: a disk that fails on demand (FLEET_TEST_STORAGE_FAULTS). Lives as long as the process,
    // like the VFS that points to it.
    static store::StorageFaults faults(config.storage_fault_file);
    static const int registered = store::register_fault_vfs("fleet-test-faults", nullptr, &faults);
    if (registered != 0) return make_error(ErrorCode::internal, "cannot register the storage fault VFS");
    so.base_vfs = "fleet-test-faults";
    obs::warn("storage faults enabled (test only)", {{"control_file", config.storage_fault_file}});
  }
  if (config.database.empty()) {
    auto store = store::SqliteStore::open(so);
    if (!store) return store.error();
    s.store = std::move(*store);
  } else {
    store::PgOptions po;
    po.uri = config.database;
    po.max_queue = config.store_queue;
    auto store = store::PgStore::open(po);
    if (!store) return store.error();  // names host and port and the reason, never the password
    s.store = std::move(*store);
  }
  auto shares = load_share_registry(*s.store, SystemClock::instance());
  if (!shares) return shares.error();
  s.shares = std::move(*shares);

  // Workers, each with its hub shard registered with the broker.
  const std::size_t n = config.workers ? config.workers : std::max(1u, std::thread::hardware_concurrency());
  for (std::size_t i = 0; i < n; ++i) {
    s.workers.push_back(std::make_unique<net::Worker>(
        i, hub::ResumeRingLimits{config.resume_ring_bytes,
                                 std::chrono::milliseconds(config.resume_ring_age_ms)}));
    net::Worker* w = s.workers.back().get();
    s.broker.add_shard([w](std::function<void()> task) { w->post(std::move(task)); }, w->hub());
  }
  if (!config.database.empty()) {
    if (auto r = start_cluster(s.cluster, config, *s.store, s.broker, s.device_index); !r) return r.error();
    s.publisher = s.cluster.broker.get();
  }

  // Bind before creating the dev issuer: its issuer URL names the real port.
  std::vector<net::Worker*> raw;
  for (auto& w : s.workers) raw.push_back(w.get());
  auto acceptors = net::Listener::bind(*endpoint, raw);
  if (!acceptors) return acceptors.error();
  boost::system::error_code ec;
  s.port = acceptors->front().local_endpoint(ec).port();

  // Keys and authentication.
  auth::JwtAuthenticatorConfig ac;
  ac.jwt.clock_skew_s = config.clock_skew_s;
  ac.claims.issuer = config.issuer;
  ac.claims.authorized_parties = config.authorized_parties;
  ac.claims.tenant_claim = config.tenant_claim;
  if (config.dev) {
    auth::DevIssuerConfig dc;
    dc.issuer = "http://" + endpoint->address().to_string() + ":" + std::to_string(s.port);
    // A cluster's nodes must accept each other's dev tokens: one issuer name for all of them, and one key,
    // kept in the database (shared_key below).
    if (!config.database.empty()) dc.issuer = kClusterDevIssuer;
    dc.azp = config.authorized_parties.empty() ? dc.issuer : config.authorized_parties.front();
    if (config.issuer.empty()) ac.claims.issuer = dc.issuer;
    // Kept beside the database, so a restarted fleetd --dev still accepts the tokens it issued.
    dc.key_file = (std::filesystem::path(config.data_dir) / "dev-issuer-key.pem").string();
    if (!config.database.empty()) {
      dc.shared_key = [&config](const std::string& fresh) {
        return pg_shared_secret(config.database, "dev_issuer_key", fresh);
      };
    }
    auto dev = auth::DevIssuer::create(dc);
    if (!dev) return dev.error();
    s.dev_issuer = std::move(*dev);
    obs::warn("dev issuer enabled: anyone who can reach this port can mint tokens", {{"issuer", dc.issuer}});
  }
  std::string jwks_url = config.jwks_url;
  if (config.dev) {
    // The dev issuer's tokens take exactly the production path: fetched from its JWKS URL, parsed, cached.
    const auto host =
        endpoint->address().is_unspecified() ? std::string("127.0.0.1") : endpoint->address().to_string();
    jwks_url = "http://" + (endpoint->address().is_v6() ? "[" + host + "]" : host) + ":" +
               std::to_string(s.port) + "/.well-known/jwks.json";
  }
  auto keys = make_key_source(config, jwks_url, s.fetcher);
  if (!keys) return keys.error();
  s.keys = std::move(*keys);
  s.authenticator = std::make_unique<auth::JwtAuthenticator>(s.keys, ac);

  if (!config.web_root.empty()) {
    net::StaticFilesOptions options;
    options.serve_source_maps = config.serve_source_maps;
    options.max_total_bytes = config.web_root_max_bytes;
    auto files = net::StaticFiles::load(config.web_root, options);
    if (!files) return files.error();
    s.static_files = std::move(*files);
  }

  // API and transport.
  api::IngestLimits limits;
  limits.max_body_bytes = config.http_max_body;
  s.api_ctx = std::make_unique<api::ApiContext>(
      api::ApiContext{*s.store, *s.publisher, s.device_index, *s.authenticator, *s.shares,
                      SystemClock::instance(), limits, s.dev_issuer.get(), nullptr,
                      api::encode_app_config(api::AppConfig{config.map_tiles, config.map_attribution})});
  Impl* self = &s;
  s.api_ctx->not_ready_reason = [self]() -> std::string {
    if (self->net_ctx && self->net_ctx->stopping.load()) return "shutting down";
    if (self->keys->current()->size() == 0) return "no signing keys loaded";
    if (self->cluster.broker && !self->cluster.broker->ready()) return "cluster: loading the tenants' heads";
    return {};
  };
  s.router = std::make_unique<api::Router>(*s.api_ctx);

  net::NetOptions no;
  no.max_connections = config.max_connections;
  no.allowed_origins = config.allowed_origins;
  no.handshake_timeout = std::chrono::milliseconds(config.handshake_timeout_ms);
  no.ws_idle_timeout = std::chrono::milliseconds(config.ws_idle_timeout_ms);
  no.ws_max_message = config.ws_max_message;
  no.http_idle_timeout = std::chrono::milliseconds(config.http_timeout_ms);
  no.http_max_body = config.http_max_body;
  no.http_body_budget = config.http_body_budget;
  no.connections = net::ConnectionLimits{config.max_http_connections, config.max_connections_per_address};
  no.outbox = hub::OutboxLimits{config.outbox_soft_limit, config.outbox_hard_limit};
  no.token_grace_s = config.token_grace_s;
  no.resume_max_events = config.resume_max_events;
  no.access_log = config.access_log;
  // An aggregate: make_unique would need parenthesised aggregate init, which clang 14 lacks.
  // NOLINTNEXTLINE(modernize-make-unique)
  s.net_ctx = std::unique_ptr<net::NetContext>(
      new net::NetContext{no, *s.router, *s.authenticator, *s.store, SystemClock::instance(),
                          s.static_files ? &*s.static_files : nullptr, s.device_index, s.shares.get()});

  s.listener = std::make_shared<net::Listener>(std::move(*acceptors), raw, *s.net_ctx);

  obs::Registry::global().gauge_fn("fleet_workers", "Event-loop threads",
                                   [n] { return static_cast<double>(n); });

  for (auto& w : s.workers) w->start();
  s.listener->start();
  if (s.fetcher) {
    s.fetcher->start();
    if (!s.fetcher->wait_for_keys(std::chrono::seconds(5))) {
      obs::warn("no signing keys yet; tokens are refused until the JWKS fetch succeeds", {{"url", jwks_url}});
    }
  }

  if (!config.port_file.empty()) {
    if (auto r = write_port_file(config.port_file, s.port); !r) return r.error();
  }
  obs::info("fleetd listening", {{"address", endpoint->address().to_string()},
                                 {"port", static_cast<unsigned>(s.port)},
                                 {"workers", static_cast<std::uint64_t>(n)},
                                 {"dev", config.dev},
                                 {"version", FLEET_VERSION}});
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

void Server::request_stop() {
  asio::post(impl_->signal_io, [this] { impl_->signals.cancel(); });
}

int Server::wait_and_shutdown() {
  Impl& s = *impl_;
  int signal_number = 0;
  s.signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (!ec) signal_number = sig;
  });
  s.signal_io.run();
  obs::info("shutting down", {{"signal", signal_number}});

  // 1. Stop accepting and tell every WebSocket client to go elsewhere (1001).
  s.net_ctx->stopping.store(true);
  s.listener->stop();
  for (auto& w : s.workers) {
    net::Worker* worker = w.get();
    worker->post([worker] {
      // Copy: shutdown() may complete synchronously and erase from the set.
      std::vector<net::WsSession*> sessions(worker->sessions().begin(), worker->sessions().end());
      for (auto* session : sessions) session->shutdown();
    });
  }
  // 2. Give close handshakes and in-flight requests a moment to finish.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (s.net_ctx->ws_sessions.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // 3. Complete everything queued in the store (acknowledged data is already durable). When stop()
  // returns, the store thread has queued its last answers (final 202s, last telemetry) on the workers.
  s.store->stop();
  // Then the cluster thread hands its last batches to the workers.
  if (s.cluster.broker) s.cluster.broker->stop();
  if (s.fetcher) s.fetcher->stop();
  // 4. Each worker runs what is queued on it, so those answers reach their sockets, then stops.
  for (auto& w : s.workers) w->stop();
  obs::info("stopped", {});
  return 0;
}

}  // namespace fleet::app
