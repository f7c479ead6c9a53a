// fleetctl watch: subscribe to the live stream and print every message as one JSON line on stdout.
#include <atomic>
#include <chrono>
#include <iostream>
#include <mutex>
#include <thread>

#include "commands.hpp"
#include "dev_token.hpp"
#include "fleet/client.hpp"
#include "obs/log.hpp"
#include "stop_signal.hpp"
#include "view_args.hpp"

namespace fleetctl {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr FlagSpec kFlags[] = {
    {"token", "T", "user token (default $FLEET_TOKEN)"},
    {"count", "N", "exit after N telemetry events"},
    {"dev-user", "U",
     "fetch dev tokens for this user instead (fleetd --dev) and refresh them in-band before expiry"},
    {"dev-org", "O", "organization of the dev tokens"},
    {"dev-role", "ROLE", "role of the dev tokens (default admin)"},
    {"dev-ttl", "SECONDS", "lifetime of each dev token (default 300); refreshed at two thirds of it"},
    {"format", "json|compact",
     "how the server encodes telemetry (default json); compact is ~5x smaller, positions rounded to 1e-6 "
     "deg. "
     "The output is the same JSON lines either way"},
    {"flush-ms", "N", "let the server hold events up to N ms (0..1000) to send them together (default 0)"},
    {"coalesce", "",
     "let the server send only the newest event per device at each flush (gaps show as skipped)"},
    {"bbox", "W,S,E,N",
     "only devices inside this box (degrees; W > E crosses the antimeridian); repeatable, up to 16"},
    {"device", "ID", "always show this device wherever it is, every event (repeatable)"},
    {"group", "ID", "only devices of this group (repeatable, up to 16; inside --bbox when both are given)"},
    {"min-interval-ms", "N", "at most one event per device per N ms, the newest (0 = off, or 100..10000)"},
    {"ca-file", "PEM", "CA bundle for wss:// (default: the system store)"},
    {"verbose", "", "also print the client library's log lines"},
};

std::int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Shared between the client's I/O thread (callbacks) and the main loop.
struct WatchState {
  std::atomic<long long> events{0};
  long long limit = 0;  // 0 = unlimited
  std::atomic<bool> done{false};
  std::atomic<bool> token_refused{false};
  std::atomic<bool> hello_seen{false};  // a session opened since the main loop last looked
  std::mutex out_mu;
  std::uint16_t last_close_code = 0;  // of the connection that ended last, under out_mu
  std::string close_reason;           // of the last refusal (1008 followed by `closed`), under out_mu

  void line(const std::string& json) {
    std::lock_guard lock(out_mu);
    std::cout << json << '\n';
    std::cout.flush();
  }
};

// --format, --flush-ms, --coalesce: only the flags given are sent (none = the default stream).
fleet::Result<fleet::StreamOptions> stream_options(const Args& args) {
  fleet::StreamOptions o;
  if (auto format = args.get("format")) {
    if (*format == "json") {
      o.format = fleet::StreamFormat::json;
    } else if (*format == "compact") {
      o.format = fleet::StreamFormat::compact;
    } else {
      return fleet::make_error(fleet::ErrorCode::bad_request,
                               "--format must be json or compact, got \"" + *format + "\"");
    }
  }
  auto flush = args.integer("flush-ms");
  if (!flush) return flush.error();
  if (*flush) {
    if (**flush < 0 || **flush > fleet::kMaxFlushMs)
      return fleet::make_error(fleet::ErrorCode::bad_request, "--flush-ms must be in 0..1000");
    o.flush_ms = static_cast<std::uint32_t>(**flush);
  }
  if (args.has("coalesce")) o.coalesce = true;
  return o;
}

int run(const Args& args) {
  auto count = args.integer("count");
  if (!count) return usage_error(count.error().message);
  if (*count && **count < 1) return usage_error("--count must be at least 1");
  auto ttl = args.integer("dev-ttl");
  if (!ttl) return usage_error(ttl.error().message);
  auto stream = stream_options(args);
  if (!stream) return usage_error(stream.error().message);
  auto view = view_from_args(args);
  if (!view) return usage_error(view.error().message);

  const bool dev = args.has("dev-user");
  DevTokenRequest dev_req;
  std::string token;
  Clock::time_point refresh_at;  // dev mode: when to fetch the next token and hand it to the client
  const std::string server = server_url(args);
  if (dev) {
    dev_req.user = *args.get("dev-user");
    dev_req.org = args.get_or("dev-org", "");
    dev_req.role = args.get_or("dev-role", "admin");
    dev_req.ttl_s = ttl->value_or(300);
    if (dev_req.ttl_s < 1 || dev_req.ttl_s > 86400) return usage_error("--dev-ttl must be in 1..86400");
    auto t = fetch_dev_token(server, dev_req);
    if (!t) return failure(t.error().message);
    token = t->token;
    refresh_at = Clock::now() + refresh_delay(*t, now_s(), dev_req.ttl_s);
  } else {
    auto t = flag_or_env(args, "token", "FLEET_TOKEN");
    if (!t || t->empty()) return usage_error("watch: --token (or $FLEET_TOKEN, or --dev-user) is required");
    token = *t;
  }
  if (!args.has("verbose"))
    fleet::obs::set_level(fleet::obs::Level::error);  // state changes are printed below

  WatchState st;
  st.limit = count->value_or(0);
  fleet::Client::Options opts;
  opts.base_url = server;
  opts.ca_file = args.get_or("ca-file", "");
  opts.stream = *stream;
  auto& cb = opts.callbacks;
  // hello carries epoch, token_grace_s and, on a reconnect, recovered (true: no snapshot follows).
  cb.on_hello = [&st](const fleet::proto::Hello& h) {
    st.hello_seen = true;
    st.line(fleet::proto::encode_hello(h));
  };
  cb.on_auth_ok = [&st](std::int64_t token_exp) { st.line(fleet::proto::encode_auth_ok(token_exp)); };
  cb.on_snapshot = [&st](fleet::Seq seq, const std::vector<fleet::Device>& devices) {
    st.line(fleet::proto::encode_snapshot(seq, devices));
  };
  cb.on_telemetry = [&st](const std::vector<fleet::StoredPoint>& events) {
    for (const fleet::StoredPoint& p : events) {
      if (st.limit > 0 && st.events.load() >= st.limit) break;
      st.line(fleet::proto::encode_telemetry(std::span<const fleet::StoredPoint>(&p, 1)));
      if (++st.events == st.limit) st.done = true;
    }
  };
  // The scoped snapshot above answered view `id`; view changes as the server sent them.
  cb.on_view = [&st](std::uint64_t id, const std::vector<std::string>& unknown) {
    st.line(view_applied_line(id, unknown));
  };
  cb.on_view_change = [&st](const fleet::proto::ViewChangeMessage& m) { st.line(view_change_line(m)); };
  cb.on_close = [&st](std::uint16_t code, const std::string& reason) {
    std::cerr << "fleetctl: connection closed: " << code << ' ' << reason << '\n';
    std::lock_guard lock(st.out_mu);
    st.last_close_code = code;
    st.close_reason = reason;
  };
  // A refusal is a 1008 the client itself gave up on (it reconnects on its own after "Organization
  // changed" following a refresh, or "Authentication timeout"): on_close always comes before this.
  cb.on_state = [&st](fleet::Client::State s) {
    std::cerr << "fleetctl: " << fleet::to_string(s) << '\n';
    if (s != fleet::Client::State::closed) return;
    std::lock_guard lock(st.out_mu);
    if (st.last_close_code == 1008) st.token_refused = true;
  };

  std::unique_ptr<fleet::Client> client;
  try {
    client = std::make_unique<fleet::Client>(std::move(opts));
  } catch (const std::exception& e) {
    return failure(e.what());
  }
  install_stop_handlers();
  if (*view) client->set_view(std::move(**view));  // checked by view_from_args: cannot throw
  client->set_token(token);

  int rc = kExitOk;
  int refusals = 0;  // dev mode: tokens refused in a row, without a session in between
  while (!st.done && !stop_requested()) {
    std::this_thread::sleep_for(100ms);
    const bool refused = st.token_refused.exchange(false);
    auto reason = [&st] {
      std::lock_guard lock(st.out_mu);
      return st.close_reason;
    };
    if (dev && refused) {
      // An expired token had a session first. Tokens refused at once (e.g. "No organization") would be
      // refused again with every new one: give up after the second instead of fetching tokens in a loop.
      // (Two, as the refusal of the token just replaced may still arrive after set_token.)
      if (st.hello_seen.exchange(false)) refusals = 0;
      if (++refusals >= 2) {
        rc = failure("the server refused a new dev token (" + reason() + "); check --dev-org and --dev-role");
        break;
      }
    }
    if (dev && (refused || Clock::now() >= refresh_at)) {
      auto t = fetch_dev_token(server, dev_req);
      if (!t) {
        // Keep the current session; try again shortly (the server may be restarting).
        std::cerr << "fleetctl: token refresh failed: " << t.error().message << '\n';
        refresh_at = Clock::now() + kMinRefreshInterval;
        continue;
      }
      refresh_at = Clock::now() + refresh_delay(*t, now_s(), dev_req.ttl_s);
      // Same user and organization: the client sends it in-band on the open socket (answered by auth_ok);
      // after a refusal it reconnects with it, resuming where the stream stopped.
      client->set_token(t->token);
    } else if (!dev && refused) {
      rc = failure("the server refused the token (" + reason() + "); get a new one (fleetctl token ...)");
      break;
    }
  }
  client.reset();
  return rc;
}

}  // namespace

const Command kWatchCommand{
    "watch",
    "watch [--token T | --dev-user U --dev-org O [--dev-ttl S]] [--count N] [--format json|compact] "
    "[--flush-ms N] [--coalesce] [--bbox W,S,E,N]... [--device ID]... [--group ID]... [--min-interval-ms N]",
    "Print the live stream as JSON lines on stdout (one telemetry message per event).\n"
    "Prints hello (with epoch, and recovered after a reconnect), snapshot, then each event, and auth_ok for "
    "each\n"
    "in-band token refresh; connection state changes go to stderr. Authenticates in the first message; "
    "reconnects\n"
    "with backoff and resumes where the stream stopped; exits on SIGINT/SIGTERM or after --count.\n"
    "--format, --flush-ms and --coalesce shape the stream (docs/protocol.md, \"Stream options\"); the "
    "events\n"
    "are decoded and printed the same way whatever the format.\n"
    "--bbox, --device, --group and --min-interval-ms scope the stream to a view (docs/protocol.md, "
    "\"Views\"),\n"
    "sent after every hello: the view's snapshot is followed by {\"type\":\"view_applied\",\"view\":ID,"
    "\"unknown\":[...]}\n"
    "(ids that are not the tenant's), and devices crossing the view's edge print view_change lines.",
    kFlags, run};

}  // namespace fleetctl
