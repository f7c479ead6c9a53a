// A cluster of real fleetd processes on one PostgreSQL and one nats-server, all started by the test on
// loopback (docs/architecture.md, "Cluster"). fleet_store's PgConn reads PostgreSQL directly for the checks.
// The fault test drives 20 tenants through every failure the design must survive and checks what each viewer
// got against what PostgreSQL holds.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "fleetd_process.hpp"
#include "loopback_port.hpp"
#include "nats_server.hpp"
#include "pg_server.hpp"
#include "wire.hpp"

namespace fleet::testing {
namespace {

namespace json = boost::json;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

std::int64_t now_ms() {
  return std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string auth_message(const std::string& token) {
  return json::serialize(json::object{{"type", "auth"}, {"token", token}});
}

std::string resume_message(const std::string& token, std::int64_t since, const std::string& epoch) {
  return json::serialize(
      json::object{{"type", "auth"}, {"token", token}, {"since", since}, {"epoch", epoch}});
}

std::string point(double lat) {
  return json::serialize(json::object{{"ts", now_ms()}, {"lat", lat}, {"lon", 2.35}});
}

double metric_value(unsigned short port, const std::string& series) {
  const std::string v = metric(port, series);
  return v.empty() ? 0 : std::strtod(v.c_str(), nullptr);
}

// One tenant's viewer on one node: reads its stream on its own thread and records every event. When its
// connection ends (its node killed) or it is told to move, it resumes on `other` with epoch + seq, as a
// client behind a load balancer would. It stops once it has seen `target` (set at the end of the test).
class Viewer {
 public:
  Viewer(std::string tenant, std::string token, unsigned short port, unsigned short other)
      : tenant_(std::move(tenant)), token_(std::move(token)), port_(port), other_(other) {
    thread_ = std::thread([this] { run(); });
  }
  ~Viewer() {
    if (thread_.joinable()) thread_.join();
  }
  Viewer(const Viewer&) = delete;
  Viewer& operator=(const Viewer&) = delete;

  void move_to_other() { move_ = true; }
  void finish_at(std::int64_t seq) { target_ = seq; }
  void join() { thread_.join(); }

  struct Record {
    std::vector<std::int64_t> seqs;  // every telemetry event's seq, in arrival order
    std::vector<std::string> devices;
    std::int64_t first_position = -1;  // the snapshot's seq (the stream continues after it)
    std::uint64_t skipped = 0;
    int resumes = 0;
    int recovered = 0;
    std::vector<std::string> errors;
    std::vector<std::string> closes;  // "code reason" of every connection that ended under the viewer
  };
  Record record() const {
    const std::lock_guard lock(mu_);
    return rec_;
  }
  const std::string& tenant() const { return tenant_; }
  std::int64_t last() const { return last_.load(); }

 private:
  void fail(std::string what) {
    const std::lock_guard lock(mu_);
    rec_.errors.push_back(std::move(what));
  }

  void run() {
    unsigned short port = port_;
    std::string epoch;
    bool resuming = false;
    const auto give_up = Clock::now() + seconds(240);
    while (Clock::now() < give_up) {
      std::unique_ptr<WsClient> ws;
      try {
        ws = std::make_unique<WsClient>(port, "/ws");
        ws->send(resuming ? resume_message(token_, last_.load(), epoch) : auth_message(token_));
      } catch (const std::exception&) {
        std::this_thread::sleep_for(milliseconds(100));  // that node is gone: try the other
        port = port == port_ ? other_ : port_;
        continue;
      }
      bool moved = false;
      while (true) {
        auto text = ws->read(seconds(60));
        if (!text) break;  // closed or killed: resume on the other node
        json::object m;
        try {
          m = json::parse(*text).as_object();
        } catch (const std::exception&) {
          fail("unparsable message");
          continue;
        }
        const std::string_view type = m.at("type").as_string();
        if (type == "hello") {
          if (m.at("tenant").as_string() != tenant_) fail("hello of another tenant");
          if (resuming) {
            if (epoch != std::string(m.at("epoch").as_string())) fail("epoch changed across nodes");
            const bool recovered = m.contains("recovered") && m.at("recovered").as_bool();
            const std::lock_guard lock(mu_);
            ++rec_.resumes;
            rec_.recovered += recovered ? 1 : 0;
            if (!recovered) rec_.errors.push_back("resume not recovered");
          }
          epoch = std::string(m.at("epoch").as_string());
        } else if (type == "snapshot") {
          const std::lock_guard lock(mu_);
          if (rec_.first_position < 0) {
            rec_.first_position = m.at("seq").as_int64();
            last_ = rec_.first_position;
          } else {
            rec_.errors.push_back("a second snapshot");
          }
        } else if (type == "telemetry") {
          const std::lock_guard lock(mu_);
          if (m.contains("skipped")) rec_.skipped += m.at("skipped").to_number<std::uint64_t>();
          for (const auto& e : m.at("events").as_array()) {
            const std::int64_t seq = e.at("seq").as_int64();
            rec_.seqs.push_back(seq);
            rec_.devices.emplace_back(e.at("device").as_string());
            last_ = std::max(last_.load(), seq);
          }
        }
        if (target_ > 0 && last_ >= target_) return;
        if (move_.exchange(false)) {
          moved = true;
          break;
        }
      }
      if (!moved) {
        const std::lock_guard lock(mu_);
        rec_.closes.push_back(std::to_string(ws->close_code()) + " " + ws->close_reason() +
                              (ws->timed_out() ? " (timed out)" : "") + " at " +
                              std::to_string(now_ms() % 1000000) + " on " + std::to_string(port));
      }
      ws.reset();
      resuming = true;
      port = port == port_ ? other_ : port_;
      if (!moved) port = other_;  // a lost node: always the survivor
    }
    fail("did not reach its target in time");
  }

  const std::string tenant_;
  const std::string token_;
  const unsigned short port_;
  const unsigned short other_;
  std::atomic<bool> move_{false};
  std::atomic<std::int64_t> target_{0};
  std::atomic<std::int64_t> last_{0};
  mutable std::mutex mu_;
  Record rec_;
  std::thread thread_;
};

struct Tenant {
  std::string id;
  std::string token;
  std::vector<NewDevice> devices;
};

// What the ingest side saw: every 202 with its seq, and whether a 202 ever came for a request sent while
// PostgreSQL was known to be down.
struct Acked {
  std::string tenant;
  std::string device;
  std::int64_t seq = 0;
};

class ClusterTest : public ::testing::Test {
 protected:
  ClusterTest() : db_(pg_.create_database("cluster")) {}

  // A node of the cluster; `publish_delay_ms` > 0 widens its commit-to-publish window (test hook).
  std::unique_ptr<FleetdProcess> node(const std::string& id, int publish_delay_ms = 0) {
    if (publish_delay_ms > 0)
      ::setenv("FLEET_TEST_BUS_PUBLISH_DELAY_MS", std::to_string(publish_delay_ms).c_str(), 1);
    auto p = std::make_unique<FleetdProcess>(std::vector<std::string>{
        "--dev", "--database", pg_.uri(db_), "--bus", nats_.url(), "--node-id", id, "--access-log", "0"});
    ::unsetenv("FLEET_TEST_BUS_PUBLISH_DELAY_MS");
    return p;
  }

  PgServer& pg_ = PgServer::shared();
  std::string db_;
  NatsServer nats_;
};

TEST_F(ClusterTest, IngestOnOneNodeStreamsOnTheOtherInSeqOrderAndAViewerResumesOnTheOther) {
  auto a = node("a");
  auto b = node("b");
  const std::string token = dev_token(a->port(), "alice", "org_one", "admin", 3600);
  const NewDevice dev = create_device(b->port(), token, "van");  // created on b, keyed on a within 500 ms

  WsClient ws(a->port(), "/ws");
  ws.send(auth_message(token));
  const auto hello = ws.read_json();
  const std::string epoch(hello.at("epoch").as_string());
  ASSERT_EQ(ws.read_json().at("type").as_string(), "snapshot");
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(request(b->port(), "POST", "/api/v1/telemetry", point(48.0 + i), dev.key).status, 202);
  }
  ASSERT_TRUE(eventually(
      [&] { return request(a->port(), "POST", "/api/v1/telemetry", point(49), dev.key).status == 202; },
      seconds(10), milliseconds(50)))
      << "a device created on b is not accepted by a";
  auto events = read_events(ws, [](const auto& e) { return e.size() >= 6; });
  ASSERT_GE(events.size(), 6u);
  for (std::size_t i = 0; i < events.size(); ++i)
    EXPECT_EQ(events[i].at("seq").as_int64(), std::int64_t(i + 1));

  // Node a goes away; the viewer resumes on b from where it was, and b fills in what it missed.
  const std::int64_t last = events.back().at("seq").as_int64();
  ASSERT_EQ(a->stop(SIGKILL), SIGKILL);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(request(b->port(), "POST", "/api/v1/telemetry", point(50.0 + i), dev.key).status, 202);
  }
  WsClient again(b->port(), "/ws");
  again.send(resume_message(token, last, epoch));
  const auto resumed = again.read_json();
  EXPECT_EQ(resumed.at("epoch").as_string(), epoch) << "one epoch per tenant across the cluster";
  EXPECT_TRUE(resumed.at("recovered").as_bool());
  auto missed = read_events(again, [](const auto& e) { return e.size() >= 3; });
  ASSERT_EQ(missed.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(missed[i].at("seq").as_int64(), last + 1 + std::int64_t(i));
}

TEST_F(ClusterTest, ADrainingNodeClosesItsViewersWith1001AndTheyResumeOnTheOther) {
  auto a = node("a");
  auto b = node("b");
  const std::string token = dev_token(b->port(), "carol", "org_drain", "admin", 3600);
  const NewDevice dev = create_device(b->port(), token, "truck");
  WsClient ws(a->port(), "/ws");
  ws.send(auth_message(token));
  const std::string epoch(ws.read_json().at("epoch").as_string());
  ASSERT_EQ(ws.read_json().at("type").as_string(), "snapshot");
  ASSERT_EQ(request(b->port(), "POST", "/api/v1/telemetry", point(47), dev.key).status, 202);
  const auto first = read_events(ws, [](const auto& e) { return !e.empty(); });
  ASSERT_EQ(first.size(), 1u);

  std::thread drain([&] { a->stop(SIGTERM); });
  EXPECT_EQ(ws.wait_close(), 1001);
  EXPECT_EQ(ws.close_reason(), "Server shutting down");
  drain.join();
  ASSERT_EQ(request(b->port(), "POST", "/api/v1/telemetry", point(47.5), dev.key).status, 202);
  WsClient again(b->port(), "/ws");
  again.send(resume_message(token, first.front().at("seq").as_int64(), epoch));
  EXPECT_TRUE(again.read_json().at("recovered").as_bool());
  const auto missed = read_events(again, [](const auto& e) { return !e.empty(); });
  ASSERT_EQ(missed.size(), 1u);
  EXPECT_EQ(missed.front().at("seq").as_int64(), first.front().at("seq").as_int64() + 1);
}

// What an operator sees when the database is wrong: fleetd exits at start-up with a message naming the
// problem, and never prints the password of the URI it was given.
std::string startup_failure(const std::vector<std::string>& args) {
  try {
    FleetdProcess p(args);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "fleetd started";
}

TEST_F(ClusterTest, ABadDatabaseStopsStartUpWithAClearErrorAndNoPassword) {
  const std::string password = "wrong-Pa55-for-fleet";
  const std::string port =
      pg_.uri().substr(pg_.uri().rfind(':') + 1, pg_.uri().rfind('/') - pg_.uri().rfind(':') - 1);
  const std::string bad_credentials =
      startup_failure({"--dev", "--database",
                       "postgres://" + std::string(PgServer::kPasswordUser) + ":" + password +
                           "@127.0.0.1:" + port + "/" + db_});
  EXPECT_NE(bad_credentials.find("cannot connect to PostgreSQL at 127.0.0.1:" + port), std::string::npos)
      << bad_credentials;
  EXPECT_NE(bad_credentials.find("password authentication failed"), std::string::npos) << bad_credentials;
  EXPECT_EQ(bad_credentials.find(password), std::string::npos) << "the password is in the log";

  const RefusingPort closed;
  const std::string unreachable = startup_failure(
      {"--dev", "--database",
       "postgres://fleet:" + password + "@127.0.0.1:" + std::to_string(closed.port()) + "/fleet"});
  EXPECT_NE(unreachable.find("cannot connect to PostgreSQL at 127.0.0.1:" + std::to_string(closed.port())),
            std::string::npos)
      << unreachable;
  EXPECT_EQ(unreachable.find(password), std::string::npos) << "the password is in the log";

  // A schema newer than this binary knows refuses to start (and is left as it was).
  { auto a = node("a"); }
  pg_.admin("UPDATE meta SET value = '999' WHERE key = 'schema_version'", db_);
  const std::string newer = startup_failure({"--dev", "--database", pg_.uri(db_)});
  EXPECT_NE(newer.find("schema version 999 is newer than this fleetd"), std::string::npos) << newer;
}

TEST_F(ClusterTest, EachNodeExportsItsBusAndDatabaseMetrics) {
  auto a = node("a");
  for (const char* series :
       {"fleet_bus_connected", "fleet_bus_lag_seconds_max", "fleet_bus_gaps_repaired_total",
        "fleet_bus_repair_seconds_max", "fleet_bus_dropped_messages_total", "fleet_pg_connections_open",
        "fleet_pg_transaction_seconds_count", "fleet_pg_errors_total"}) {
    EXPECT_NE(metric(a->port(), series), "") << series;
  }
  EXPECT_TRUE(eventually([&] { return metric(a->port(), "fleet_bus_connected") == "1"; }, seconds(10)));
  nats_.stop();
  EXPECT_TRUE(eventually([&] { return metric(a->port(), "fleet_bus_connected") == "0"; }, seconds(10)));
}

// Publishes raw messages on the cluster's NATS as any client of it could (the NATS text protocol).
void nats_publish(unsigned short port, const std::vector<std::pair<std::string, std::string>>& messages) {
  namespace asio = boost::asio;
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  socket.connect({asio::ip::make_address("127.0.0.1"), port});
  std::string out = "CONNECT {\"verbose\":false,\"pedantic\":false}\r\n";
  for (const auto& [subject, payload] : messages) {
    out += "PUB " + subject + " " + std::to_string(payload.size()) + "\r\n" + payload + "\r\n";
  }
  out += "PING\r\n";
  asio::write(socket, asio::buffer(out));
  asio::streambuf in;
  asio::read_until(socket, in, "PONG");  // the server has taken every message before its PONG
}

TEST_F(ClusterTest, BusMessagesThatDoNotParseOrClaimAnotherTenantAreDroppedAndCounted) {
  auto a = node("a");
  const std::string token = dev_token(a->port(), "dave", "org_victim", "admin", 3600);
  const NewDevice dev = create_device(a->port(), token, "car");
  WsClient ws(a->port(), "/ws");
  ws.send(auth_message(token));
  ws.read_json();  // hello
  ws.read_json();  // snapshot
  const double dropped = metric_value(a->port(), "fleet_bus_dropped_messages_total");
  const std::string forged =
      R"({"type":"telemetry","tenant":"org_other","node":"x","sent_ms":1,"events":[{"seq":1,"device":")" +
      dev.id + R"(","ts":1796000000000,"lat":1,"lon":2}]})";
  nats_publish(nats_.port(),
               {{"fleet.v1.org_victim", "not json"},
                {"fleet.v1.org_victim", forged},  // claims org_other on org_victim's subject
                {"fleet.v1.org_victim", R"({"type":"telemetry","tenant":"org_victim","events":[]})"}});
  EXPECT_TRUE(
      eventually([&] { return metric_value(a->port(), "fleet_bus_dropped_messages_total") >= dropped + 3; },
                 seconds(10), milliseconds(50)));
  // Nothing of them reached the tenant's viewer: its next event is the next real point, seq 1.
  ASSERT_EQ(request(a->port(), "POST", "/api/v1/telemetry", point(3), dev.key).status, 202);
  const auto events = read_events(ws, [](const auto& e) { return !e.empty(); });
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events.front().at("seq").as_int64(), 1);
  EXPECT_EQ(events.front().at("lat").to_number<double>(), 3);
}

TEST_F(ClusterTest, TwentyTenantsThroughEveryFaultLoseNothingAcknowledgedAndKeepEachStreamContiguous) {
  auto a = node("a");
  auto b = node("b");
  const unsigned short pa = a->port();
  const unsigned short pb = b->port();

  std::vector<Tenant> tenants(20);
  for (std::size_t t = 0; t < tenants.size(); ++t) {
    tenants[t].id = "org_t" + std::to_string(t);
    tenants[t].token = dev_token(t % 2 ? pb : pa, "admin_" + std::to_string(t), tenants[t].id, "admin", 3600);
    for (int d = 0; d < 2; ++d) {
      tenants[t].devices.push_back(
          create_device(d ? pb : pa, tenants[t].token, "veh-" + std::to_string(t) + "-" + std::to_string(d)));
    }
  }
  // Keys made on one node are honoured by the other once its key directory has refreshed: a body that is
  // not telemetry then gets 400 (the key checked out, nothing stored), not 401.
  for (const Tenant& t : tenants) {
    for (const NewDevice& d : t.devices) {
      for (unsigned short port : {pa, pb}) {
        ASSERT_TRUE(
            eventually([&] { return request(port, "POST", "/api/v1/telemetry", "{}", d.key).status == 400; },
                       seconds(10), milliseconds(50)));
      }
    }
  }

  // Viewers: every tenant on both nodes; tenant 1's viewer on a will move to b in the middle.
  std::vector<std::unique_ptr<Viewer>> viewers;
  for (const Tenant& t : tenants) {
    viewers.push_back(std::make_unique<Viewer>(t.id, t.token, pa, pb));
    viewers.push_back(std::make_unique<Viewer>(t.id, t.token, pb, pa));
  }
  ASSERT_TRUE(eventually(
      [&] {
        for (auto& v : viewers) {
          if (v->record().first_position < 0) return false;
        }
        return true;
      },
      seconds(30), milliseconds(50)));

  // Ingest: tenants 1..19 to a random node; tenant 0 to both nodes at once, all the time.
  std::mutex acked_mu;
  std::vector<Acked> acked;
  std::atomic<bool> pg_down{false};
  std::atomic<int> acked_while_down{0};
  std::atomic<int> refused_503{0};
  std::atomic<int> refused_without_retry_after{0};
  std::atomic<int> unexpected_status{0};
  std::atomic<bool> stop_ingest{false};
  // Returns the status (0: no answer, a node being killed).
  auto post = [&](unsigned short port, const Tenant& t, const NewDevice& d, double lat) -> int {
    const bool down_before = pg_down.load();
    HttpResult r;
    try {
      r = request(port, "POST", "/api/v1/telemetry", point(lat), d.key);
    } catch (const std::exception&) {
      return 0;
    }
    if (r.status == 202) {
      if (down_before && pg_down.load()) ++acked_while_down;
      const std::lock_guard lock(acked_mu);
      acked.push_back({t.id, d.id, r.json().at("last_seq").as_int64()});
    } else if (r.status == 503) {
      ++refused_503;
      if (r.retry_after.empty()) ++refused_without_retry_after;
    } else {
      ++unexpected_status;
    }
    return r.status;
  };
  std::vector<std::thread> ingest;
  ingest.emplace_back([&] {
    std::mt19937 rng(7);
    for (int i = 0; !stop_ingest; ++i) {
      const Tenant& t = tenants[1 + rng() % 19];
      post(rng() % 2 ? pa : pb, t, t.devices[rng() % 2], 48 + (i % 100) * 0.001);
      std::this_thread::sleep_for(milliseconds(10));
    }
  });
  for (unsigned short port : {pa, pb}) {
    ingest.emplace_back([&, port] {
      for (int i = 0; !stop_ingest; ++i) {
        post(port, tenants[0], tenants[0].devices[port == pa ? 0 : 1], 45 + (i % 100) * 0.001);
        std::this_thread::sleep_for(milliseconds(15));
      }
    });
  }
  auto settle = [&] { std::this_thread::sleep_for(seconds(2)); };
  settle();

  // 1. A node killed between commit and publish: its 202s are committed, its bus messages never sent.
  {
    auto c = node("c", 10'000);
    const Tenant& t = tenants[3];
    int committed = 0;
    for (int i = 0; i < 5; ++i) committed += post(c->port(), t, t.devices[0], 40 + i * 0.01) == 202 ? 1 : 0;
    ASSERT_EQ(committed, 5) << "node c acknowledged them: committed, and not yet on the bus";
    ASSERT_EQ(c->stop(SIGKILL), SIGKILL);
  }
  settle();
  // 2. NATS frozen for 5 s, then 3. restarted.
  nats_.sigstop();
  std::this_thread::sleep_for(seconds(5));
  nats_.sigcont();
  settle();
  nats_.restart();
  settle();
  // 4. PostgreSQL restarted (fast shutdown): ingest answers 503 + Retry-After meanwhile, never 202.
  pg_.stop_fast();
  pg_down = true;
  EXPECT_TRUE(
      eventually([&] { return request(pa, "GET", "/readyz").status == 503; }, seconds(10), milliseconds(50)))
      << "ready while the database is down";
  std::this_thread::sleep_for(seconds(2));
  pg_down = false;
  pg_.start();
  ASSERT_TRUE(
      eventually([&] { return request(pa, "GET", "/readyz").status == 200; }, seconds(30), milliseconds(50)));
  settle();
  // 5. The postmaster killed with -9, and started again (recovering from its WAL).
  pg_.kill9();
  pg_down = true;
  std::this_thread::sleep_for(seconds(2));
  pg_down = false;
  pg_.start();
  ASSERT_TRUE(
      eventually([&] { return request(pb, "GET", "/readyz").status == 200; }, seconds(30), milliseconds(50)));
  settle();
  // 6. A viewer moves from a to b with resume (tenant 1's viewer on a).
  viewers[2]->move_to_other();
  settle();
  // 7. Node a killed: its viewers resume on b.
  ASSERT_EQ(a->stop(SIGKILL), SIGKILL);
  settle();

  stop_ingest = true;
  for (auto& th : ingest) th.join();

  // The end: every tenant's head in PostgreSQL, then one more point each, which every viewer must reach.
  auto conn = store::PgConn::connect(pg_.uri(db_));
  ASSERT_TRUE(conn) << conn.error().message;
  // (Ingest has stopped, so each tenant's last point is head + 1, set as the target before it is sent.)
  std::map<std::string, std::int64_t> target;
  {
    auto heads = (*conn)->query("SELECT tenant, seq FROM tenant_stream");
    ASSERT_TRUE(heads) << heads.error().message;
    for (int i = 0; i < heads->rows(); ++i) target[heads->text(i, 0)] = heads->int64(i, 1) + 1;
  }
  ASSERT_EQ(target.size(), tenants.size());
  for (auto& v : viewers) v->finish_at(target.at(v->tenant()));
  for (const Tenant& t : tenants) {
    auto r = request(pb, "POST", "/api/v1/telemetry", point(10), t.devices[1].key);
    ASSERT_EQ(r.status, 202);
    ASSERT_EQ(r.json().at("last_seq").as_int64(), target.at(t.id));
  }
  for (auto& v : viewers) v->join();

  // Every viewer: its tenant's seqs, contiguous from its snapshot to the head, each once, nothing else.
  std::map<std::string, std::set<std::string>> own;
  for (const Tenant& t : tenants) {
    for (const NewDevice& d : t.devices) own[t.id].insert(d.id);
  }
  int resumed = 0;
  for (auto& v : viewers) {
    const Viewer::Record r = v->record();
    SCOPED_TRACE(v->tenant());
    EXPECT_TRUE(r.errors.empty()) << r.errors.front();
    resumed += r.resumes;
    // The only connections that ended are those to the killed node: no fault of the bus or the database
    // closes a session, and none went silent.
    for (const std::string& c : r.closes) {
      EXPECT_TRUE(c.ends_with(" on " + std::to_string(pa)) && c.find("timed out") == std::string::npos) << c;
    }
    EXPECT_EQ(r.resumes, r.recovered);
    for (const std::string& d : r.devices)
      ASSERT_TRUE(own[v->tenant()].contains(d)) << "another tenant's event";
    std::int64_t expect = r.first_position + 1;
    std::uint64_t gaps = 0;
    for (const std::int64_t s : r.seqs) {
      ASSERT_GE(s, expect) << "a duplicate or out-of-order seq";
      gaps += static_cast<std::uint64_t>(s - expect);
      expect = s + 1;
    }
    EXPECT_EQ(gaps, r.skipped) << "a gap that was not reported as skipped is loss";
    EXPECT_EQ(r.skipped, 0u) << "at this rate nothing is coalesced, and no repair may give events up";
    EXPECT_GE(expect - 1, target.at(v->tenant()));
  }
  EXPECT_EQ(resumed, 20) << "the mover, then a's 19 other viewers when a was killed";

  // Every 202 is in PostgreSQL, with its device, at its seq.
  {
    const std::lock_guard lock(acked_mu);
    ASSERT_GT(acked.size(), 1000u);
    std::set<std::pair<std::string, std::int64_t>> seen;
    for (const Acked& ack : acked) {
      EXPECT_TRUE(seen.emplace(ack.tenant, ack.seq).second) << "two 202s with one seq";
      store::PgParams params;
      params.add(ack.tenant).add(ack.seq);
      auto row = (*conn)->query("SELECT device_id FROM telemetry WHERE tenant = $1 AND seq = $2", params);
      ASSERT_TRUE(row) << row.error().message;
      ASSERT_EQ(row->rows(), 1) << ack.tenant << " seq " << ack.seq << " got a 202 and is not stored";
      EXPECT_EQ(row->text(0, 0), ack.device);
    }
  }
  EXPECT_EQ(acked_while_down.load(), 0) << "a 202 while PostgreSQL was down";
  EXPECT_GT(refused_503.load(), 0) << "ingest during the outages was refused";
  EXPECT_EQ(refused_without_retry_after.load(), 0);
  EXPECT_EQ(unexpected_status.load(), 0);

  // The probe repaired what the bus lost (the killed node's batches, the frozen and restarted NATS), and
  // no repair took 2 s or more.
  EXPECT_GT(metric_value(pb, "fleet_bus_gaps_repaired_total"), 0);
  EXPECT_LT(metric_value(pb, "fleet_bus_repair_seconds_max"), 2.0);
}

}  // namespace
}  // namespace fleet::testing
