// PgStore beyond the shared contract: two nodes on one database, schema versions, connection errors,
// other nodes' devices, and a database restart.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.hpp"
#include "eventually.hpp"
#include "loopback_port.hpp"
#include "obs/metrics.hpp"
#include "pg_server.hpp"
#include "store/pg_store.hpp"
#include "store_test_util.hpp"

namespace fleet::store {
namespace {

using namespace fleet::store::testing;
using fleet::testing::eventually;
using fleet::testing::PgServer;

constexpr std::int64_t kT = 1'700'000'000'000;

std::unique_ptr<PgStore> open_store(const std::string& uri, const Clock& clock,
                                    std::chrono::milliseconds query_timeout = PgConn::kDefaultTimeout) {
  PgOptions o;
  o.uri = uri;
  o.clock = &clock;
  o.query_timeout = query_timeout;
  auto s = PgStore::open(o);
  EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().message);
  return s ? std::move(*s) : nullptr;
}

std::string open_error(const std::string& uri) {
  PgOptions o;
  o.uri = uri;
  auto s = PgStore::open(o);
  EXPECT_FALSE(s.has_value());
  return s ? std::string() : s.error().message;
}

// Two nodes append for one tenant at once: the seqs they hand out are 1..N exactly once, each node
// acknowledges in increasing seq order (its commit order), and the database holds each point under the
// seq its node acknowledged.
TEST(PgStore, TwoNodesAppendingForOneTenantGetContiguousSeqsInCommitOrder) {
  auto& server = PgServer::shared();
  const std::string uri = server.uri(server.create_database());
  ManualClock clock{kT};
  auto node_a = open_store(uri, clock);
  auto node_b = open_store(uri, clock);
  ASSERT_TRUE(node_a && node_b);
  ASSERT_TRUE(create(*node_a, "org_a", "a", "key_a"));
  ASSERT_TRUE(create(*node_b, "org_a", "b", "key_b"));

  constexpr int kThreadsPerNode = 2;
  constexpr int kAppends = 80;
  constexpr std::size_t kPoints = 2;
  struct Acks {
    std::mutex mu;
    std::vector<Seq> in_callback_order;
    std::map<Seq, std::string> device_of;
  };
  Acks acks_a;
  Acks acks_b;
  std::atomic<int> failures{0};
  auto writer = [&](PgStore& node, const std::string& key, Acks& acks) {
    std::vector<std::future<void>> done;
    for (int i = 0; i < kAppends; ++i) {
      auto promise = std::make_shared<std::promise<void>>();
      done.push_back(promise->get_future());
      node.append(AppendRequest{key, {point(kT + i), point(kT + i)}, kT},
                  [&, promise](Result<AppendResult> r) {
                    if (!r) {
                      ++failures;
                    } else {
                      std::lock_guard lock(acks.mu);
                      for (const auto& p : r->points) {
                        acks.in_callback_order.push_back(p.seq);
                        acks.device_of[p.seq] = r->device.str();
                      }
                    }
                    promise->set_value();
                  });
    }
    for (auto& f : done) f.get();
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreadsPerNode; ++t) {
    threads.emplace_back(writer, std::ref(*node_a), "key_a", std::ref(acks_a));
    threads.emplace_back(writer, std::ref(*node_b), "key_b", std::ref(acks_b));
  }
  for (auto& th : threads) th.join();
  ASSERT_EQ(failures.load(), 0);

  // Each node's acknowledgements come in commit order: strictly increasing seqs.
  for (const Acks* acks : {&acks_a, &acks_b}) {
    EXPECT_TRUE(std::is_sorted(acks->in_callback_order.begin(), acks->in_callback_order.end()));
    EXPECT_EQ(std::adjacent_find(acks->in_callback_order.begin(), acks->in_callback_order.end()),
              acks->in_callback_order.end());
  }
  // Together: 1..N, each once.
  std::vector<Seq> all = acks_a.in_callback_order;
  all.insert(all.end(), acks_b.in_callback_order.begin(), acks_b.in_callback_order.end());
  std::sort(all.begin(), all.end());
  const std::size_t total = 2 * kThreadsPerNode * kAppends * kPoints;
  ASSERT_EQ(all.size(), total);
  for (std::size_t i = 0; i < total; ++i) ASSERT_EQ(all[i], i + 1) << "at " << i;

  // Either node reads back every point under the seq and device that were acknowledged.
  auto stored = events_after(*node_b, "org_a", 0, total);
  ASSERT_TRUE(stored.has_value());
  ASSERT_TRUE(stored->complete);
  EXPECT_EQ(stored->seq, total);
  ASSERT_EQ(stored->points.size(), total);
  std::map<Seq, std::string> acknowledged = acks_a.device_of;
  acknowledged.insert(acks_b.device_of.begin(), acks_b.device_of.end());
  for (const StoredPoint& p : stored->points) EXPECT_EQ(p.device.str(), acknowledged.at(p.seq)) << p.seq;
  auto snap = snapshot(*node_a, "org_a");
  ASSERT_TRUE(snap.has_value());
  EXPECT_EQ(snap->seq, total);
  node_a->stop();
  node_b->stop();
}

TEST(PgStore, ADatabaseWithANewerSchemaIsRefused) {
  auto& server = PgServer::shared();
  const std::string db = server.create_database();
  ManualClock clock{kT};
  auto first = open_store(server.uri(db), clock);
  ASSERT_TRUE(first);
  first->stop();
  server.admin("UPDATE meta SET value = '99' WHERE key = 'schema_version'", db);
  const std::string error = open_error(server.uri(db));
  EXPECT_NE(error.find("database schema version 99 is newer than this fleetd (1)"), std::string::npos)
      << error;
}

TEST(PgStore, WrongCredentialsAreNamedWithoutThePassword) {
  auto& server = PgServer::shared();
  const std::string db = server.create_database();
  server.admin("ALTER DATABASE " + db + " OWNER TO " + PgServer::kPasswordUser);
  const std::string where = "127.0.0.1:" + std::to_string(server.port());
  const std::string wrong = "Wr0ng-pa55word-x";
  const std::string error = open_error("postgresql://" + std::string(PgServer::kPasswordUser) + ":" + wrong +
                                       "@" + where + "/" + db);
  EXPECT_NE(error.find("cannot connect to PostgreSQL at " + where +
                       ": password authentication failed for user \"fleet_pw\""),
            std::string::npos)
      << error;
  EXPECT_EQ(error.find(wrong), std::string::npos) << error;
  // The right password opens the same database: the refusal was about the password.
  ManualClock clock{kT};
  auto right = open_store("postgresql://" + std::string(PgServer::kPasswordUser) + ":" + PgServer::kPassword +
                              "@" + where + "/" + db,
                          clock);
  EXPECT_TRUE(right);
}

TEST(PgStore, AnUnreachableServerAndAMissingDatabaseAreNamed) {
  fleet::testing::RefusingPort closed;
  const std::string where = "127.0.0.1:" + std::to_string(closed.port());
  const std::string refused = open_error("postgresql://fleet:Secret-In-Uri-1@" + where + "/fleet");
  EXPECT_NE(refused.find("cannot connect to PostgreSQL at " + where + ": "), std::string::npos) << refused;
  EXPECT_NE(refused.find("refused"), std::string::npos) << refused;
  EXPECT_EQ(refused.find("Secret-In-Uri-1"), std::string::npos) << refused;

  auto& server = PgServer::shared();
  const std::string missing = open_error(server.uri("no_such_db"));
  EXPECT_NE(missing.find("database \"no_such_db\" does not exist"), std::string::npos) << missing;
}

// The transport asks device_key_active before reading an ingest body: a device registered or revoked
// through another node must count here too, without a restart.
TEST(PgStore, DevicesCreatedAndRevokedOnAnotherNodeReachTheKeyDirectory) {
  auto& server = PgServer::shared();
  const std::string uri = server.uri(server.create_database());
  ManualClock clock{kT};
  auto node_a = open_store(uri, clock);
  auto node_b = open_store(uri, clock);
  ASSERT_TRUE(node_a && node_b);
  const std::string key(64, 'c');
  EXPECT_FALSE(node_b->device_key_active(key));
  auto d = create(*node_a, "org_a", "truck", key);
  ASSERT_TRUE(d.has_value());
  EXPECT_TRUE(node_a->device_key_active(key));  // its own change: at once
  EXPECT_TRUE(eventually([&] { return node_b->device_key_active(key); }));
  EXPECT_TRUE(append(*node_b, key, {point(kT)}).has_value());

  ASSERT_TRUE(call<Device>([&](auto cb) { node_a->revoke_device(TenantId("org_a"), d->id, cb); }));
  EXPECT_FALSE(node_a->device_key_active(key));
  EXPECT_TRUE(eventually([&] { return !node_b->device_key_active(key); }));
  auto refused = append(*node_b, key, {point(kT)});
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::unauthorized);

  // A third node opened later loads the directory as it stands.
  auto node_c = open_store(uri, clock);
  ASSERT_TRUE(node_c);
  EXPECT_FALSE(node_c->device_key_active(key));
}

// PostgreSQL restarted under a running store, after a clean fast shutdown or a SIGKILL of every server
// process: while it is down the failure shows without traffic, appends fail storage_unavailable (never a
// false success) and write_failure() says why; after, both recover by themselves, and every append that
// was acknowledged is stored.
struct Outage {
  const char* name;
  void (*take_down)(PgServer&);
};

class PgStoreOutage : public ::testing::TestWithParam<Outage> {};

INSTANTIATE_TEST_SUITE_P(Modes, PgStoreOutage,
                         ::testing::Values(Outage{"StopFast", [](PgServer& s) { s.stop_fast(); }},
                                           Outage{"Kill9", [](PgServer& s) { s.kill9(); }}),
                         [](const ::testing::TestParamInfo<Outage>& p) { return std::string(p.param.name); });

TEST_P(PgStoreOutage, ARestartedDatabaseFailsWritesWhileDownAndRecovers) {
  PgServer server;  // its own, so the tests that share one never see it stopped
  const std::string uri = server.uri(server.create_database());
  ManualClock clock{kT};
  auto store = open_store(uri, clock);
  ASSERT_TRUE(store);
  ASSERT_TRUE(create(*store, "org_a", "a", "key_a"));
  std::vector<Seq> acknowledged;
  for (int i = 0; i < 5; ++i) {
    auto r = append(*store, "key_a", {point(kT + i)});
    ASSERT_TRUE(r.has_value()) << r.error().message;
    acknowledged.push_back(r->last_seq);
  }
  EXPECT_EQ(store->write_failure(), "");

  GetParam().take_down(server);
  // Readiness drops without traffic: the idle writer notices the database is gone.
  EXPECT_TRUE(eventually([&] { return !store->write_failure().empty(); }));
  for (int i = 0; i < 5; ++i) {
    auto r = append(*store, "key_a", {point(kT + 100 + i)});
    ASSERT_FALSE(r.has_value()) << "acknowledged while the database was down: seq " << r->last_seq;
    EXPECT_EQ(r.error().code, ErrorCode::storage_unavailable) << r.error().message;
  }
  EXPECT_NE(store->write_failure(), "");
  const std::string metrics = obs::Registry::global().render();
  for (const char* name : {"fleet_pg_errors_total", "fleet_pg_connections_open",
                           "fleet_pg_transaction_seconds_sum", "fleet_pg_transaction_seconds_count"}) {
    EXPECT_NE(metrics.find(name), std::string::npos) << name;
  }

  server.start();
  // The idle writer's probe brings readiness back without traffic.
  EXPECT_TRUE(eventually([&] { return store->write_failure().empty(); }));
  for (int i = 0; i < 5; ++i) {
    auto r = append(*store, "key_a", {point(kT + 200 + i)});
    ASSERT_TRUE(r.has_value()) << r.error().message;
    acknowledged.push_back(r->last_seq);
  }
  // Reads reconnect too, and find every acknowledged append.
  std::optional<Result<Recovery>> stored;
  ASSERT_TRUE(eventually([&] {
    stored = events_after(*store, "org_a", 0, 1000);
    return stored->has_value();
  }));
  ASSERT_TRUE((*stored)->complete);
  std::vector<Seq> seqs;
  for (const StoredPoint& p : (*stored)->points) seqs.push_back(p.seq);
  for (Seq s : acknowledged) EXPECT_NE(std::find(seqs.begin(), seqs.end(), s), seqs.end()) << s;
  EXPECT_EQ((*stored)->seq, acknowledged.back());
  store->stop();
}

// A server that hangs with its connections open (SIGSTOP: the kernel still accepts, nothing answers):
// appends fail storage_unavailable within the query timeout instead of stalling the writer, readiness
// says so, and both recover once the server answers again.
TEST(PgStore, AHungDatabaseFailsWritesWithinTheTimeoutAndRecovers) {
  PgServer server;  // its own: paused, it would hang every other test
  const std::string uri = server.uri(server.create_database()) + "?connect_timeout=2";
  ManualClock clock{kT};
  auto store = open_store(uri, clock, std::chrono::milliseconds(300));
  ASSERT_TRUE(store);
  ASSERT_TRUE(create(*store, "org_a", "a", "key_a"));
  auto before = append(*store, "key_a", {point(kT)});
  ASSERT_TRUE(before.has_value()) << before.error().message;

  server.pause();
  // Shared with the callback, which may outlive this scope if the test fails.
  auto answer = std::make_shared<std::promise<Result<AppendResult>>>();
  auto answered = answer->get_future();
  store->append(AppendRequest{"key_a", {point(kT + 1)}, kT},
                [answer](Result<AppendResult> r) { answer->set_value(std::move(r)); });
  // The bound only guards against a hang (the writer waiting on the server forever).
  const bool in_time = answered.wait_for(std::chrono::seconds(20)) == std::future_status::ready;
  server.resume();  // before any assertion, so a failure cannot leave it stopped
  ASSERT_TRUE(in_time) << "the append waited on a hung server instead of failing";
  auto hung = answered.get();
  ASSERT_FALSE(hung.has_value()) << "acknowledged by a stopped server: seq " << hung->last_seq;
  EXPECT_EQ(hung.error().code, ErrorCode::storage_unavailable) << hung.error().message;
  EXPECT_NE(store->write_failure(), "");

  EXPECT_TRUE(eventually([&] { return store->write_failure().empty(); }));
  auto after = append(*store, "key_a", {point(kT + 2)});
  ASSERT_TRUE(after.has_value()) << after.error().message;
  EXPECT_GT(after->last_seq, before->last_seq);
  store->stop();
}

}  // namespace
}  // namespace fleet::store
