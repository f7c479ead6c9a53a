#include "session_harness.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>

#include "auth/dev_issuer.hpp"
#include "auth/jwt_authenticator.hpp"
#include "auth/secrets.hpp"
#include "net/http_session.hpp"
#include "obs/log.hpp"

namespace fleet::fuzz {
namespace {

constexpr std::int64_t kNowMs = 1'767'225'600'000;  // fixed: runs reproduce
// Far beyond a normal run (a few ms); a server that keeps a half-closed connection this long is hung.
constexpr std::chrono::seconds kRunLimit{5};

struct World {
  ManualClock clock{kNowMs};
  std::shared_ptr<const auth::DevIssuer> issuer;
  std::unique_ptr<auth::JwtAuthenticator> authenticator;
  std::string token;
};

// Built once: an RSA key takes a while to generate. Reachable for the whole process, so not a leak.
World& world() {
  static World* w = [] {
    obs::set_level(obs::Level::error);
    std::signal(SIGPIPE, SIG_IGN);
    auto* out = new World;
    auto issuer = auth::DevIssuer::create();
    if (!issuer) std::abort();
    out->issuer = *issuer;
    auto keys = out->issuer->key_source();
    if (!keys) std::abort();
    auth::JwtAuthenticatorConfig config;
    config.claims.issuer = out->issuer->config().issuer;
    config.claims.authorized_parties = {out->issuer->config().azp};
    out->authenticator = std::make_unique<auth::JwtAuthenticator>(*keys, config, out->clock);
    auto token = out->issuer->issue("user_fuzz", kTenant, "admin", 3600, kNowMs / 1000);
    if (!token) std::abort();
    out->token = *token;
    return out;
  }();
  return *w;
}

net::NetOptions options() {
  net::NetOptions o;
  o.access_log = false;
  o.handshake_timeout = std::chrono::milliseconds(2000);
  o.http_idle_timeout = std::chrono::milliseconds(2000);
  return o;
}

}  // namespace

const std::string& valid_token() { return world().token; }

Session::Session()
    : store_(world().clock),
      worker_(0),
      shares_(store_.share_key()),
      api_{store_,  broker_,       device_index_,       *world().authenticator,
           shares_, world().clock, api::IngestLimits{}, world().issuer.get(),
           nullptr},
      router_(api_),
      net_{options(), router_, *world().authenticator, store_, world().clock, nullptr, device_index_} {
  net_.shares = &shares_;
  broker_.add_shard([this](std::function<void()> task) { worker_.post(std::move(task)); }, worker_.hub());
  auto hash = auth::sha256_hex(kDeviceKey);
  if (!hash) std::abort();
  store_.create_device(TenantId(std::string(kTenant)), "fuzz truck", *hash, [](Result<Device> d) {
    if (!d) std::abort();
  });
}

Session::~Session() {
  // Handlers still queued (aborted waits, timers) own the last references to sessions: run them, then the
  // worker's io_context destroys whatever remains, while the hub and the store are still alive.
  poll_until_idle();
}

void Session::poll_until_idle() {
  for (int i = 0; i < 16 && worker_.io().poll() > 0; ++i) {
  }
}

void Session::ingest(int n) {
  api::Request req;
  req.method = "POST";
  req.path = "/api/v1/telemetry";
  req.authorization = "Bearer " + std::string(kDeviceKey);
  req.body = "[";
  for (int i = 0; i < n; ++i) {
    if (i > 0) req.body += ',';
    req.body += R"({"ts":)" + std::to_string(kNowMs - 1000 * (n - i)) +
                R"(,"lat":48.85,"lon":2.35,"speed_kph":)" + std::to_string(10 + i) +
                R"(,"attributes":{"door":"closed"}})";
  }
  req.body += "]";
  api::Responder done = [](api::Response res) {
    if (res.status != 202) std::abort();
  };
  if (!router_.handle(std::move(req), done)) std::abort();
  poll_until_idle();  // the broker's delivery to the worker's hub
}

void Session::run_client(std::string_view bytes, const std::function<void()>& on_reply) {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0) std::abort();
  const int client = fds[1];
  {
    boost::system::error_code ec;
    boost::asio::ip::tcp::socket server(worker_.io());
    server.assign(boost::asio::ip::tcp::v4(), fds[0], ec);
    if (ec) std::abort();
    // Counted like an accepted connection from loopback (net/listener).
    net::ConnectionSlot slot = net_.connections.try_acquire(boost::asio::ip::address_v4::loopback());
    if (!slot.held()) std::abort();  // one connection at a time: the caps are never reached
    std::make_shared<net::HttpSession>(std::move(server), worker_, net_, std::move(slot))->run();
  }
  const auto deadline = std::chrono::steady_clock::now() + kRunLimit;
  std::size_t written = 0;
  bool half_closed = false;
  bool replied = false;
  char sink[64 * 1024];
  for (;;) {
    bool progress = false;
    if (written < bytes.size()) {
      const ssize_t n = ::send(client, bytes.data() + written, bytes.size() - written, MSG_NOSIGNAL);
      if (n > 0) {
        written += static_cast<std::size_t>(n);
        progress = true;
      } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        written = bytes.size();  // the server hung up on us: the rest is never read
      }
    }
    if (written == bytes.size() && !half_closed) {
      ::shutdown(client, SHUT_WR);
      half_closed = true;
    }
    // A bounded number of handlers per turn: a session that spins (always ready, never done) still comes
    // back to the deadline below, which names the hang.
    for (int i = 0; i < 256 && worker_.io().poll_one() > 0; ++i) progress = true;
    const ssize_t r = ::recv(client, sink, sizeof sink, 0);
    if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) break;  // the server hung up
    if (r > 0) {
      progress = true;
      if (!replied && on_reply) on_reply();
      replied = true;
    }
    if (!progress) {
      // Nothing to do until the server writes or a timer (deadlines, the sweep) fires: wait a little.
      pollfd p{client, POLLIN, 0};
      ::poll(&p, 1, 1);
    }
    if (std::chrono::steady_clock::now() > deadline) {
      std::fprintf(stderr, "fuzz: the server kept a half-closed connection open for %lld s\n",
                   static_cast<long long>(kRunLimit.count()));
      std::abort();
    }
  }
  ::close(client);
  poll_until_idle();
}

}  // namespace fleet::fuzz
