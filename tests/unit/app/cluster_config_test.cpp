// Cluster-mode settings: --database, --bus, --node-id and the test-only publish delay.
#include <gtest/gtest.h>

#include <map>

#include "app/config.hpp"

namespace fleet::app {
namespace {

Result<Config> parse(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
  return parse_config(args, [&](const std::string& k) -> std::optional<std::string> {
    auto it = env.find(k);
    return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
  });
}

TEST(ClusterConfig, SqliteIsTheDefaultAndNoBusIsNeeded) {
  auto c = parse({"--dev"});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->database, "");
  EXPECT_EQ(c->bus, "");
  EXPECT_EQ(c->test_bus_publish_delay_ms, 0);
}

TEST(ClusterConfig, DatabaseBusAndNodeIdFromFlagsOrEnvironment) {
  auto c = parse({"--dev", "--database", "postgres://fleet:pw@127.0.0.1:5432/fleet", "--bus",
                  "nats://127.0.0.1:4222", "--node-id", "node-a_1"});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->database, "postgres://fleet:pw@127.0.0.1:5432/fleet");
  EXPECT_EQ(c->bus, "nats://127.0.0.1:4222");
  EXPECT_EQ(c->node_id, "node-a_1");
  auto e = parse({"--dev"}, {{"FLEET_DATABASE", "postgresql:///fleet?host=/run/pg"}, {"FLEET_NODE_ID", "b"}});
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(e->database, "postgresql:///fleet?host=/run/pg");
  EXPECT_EQ(e->node_id, "b");
}

TEST(ClusterConfig, BadValuesNameTheFlagAndNeverEchoTheDatabaseUri) {
  auto db = parse({"--dev", "--database", "mysql://root:hunter2@db/fleet"});
  ASSERT_FALSE(db);
  EXPECT_NE(db.error().message.find("--database"), std::string::npos);
  EXPECT_EQ(db.error().message.find("hunter2"), std::string::npos) << "the URI holds a password";
  auto bus = parse({"--dev", "--database", "postgres:///f", "--bus", "redis://x"});
  ASSERT_FALSE(bus);
  EXPECT_NE(bus.error().message.find("--bus"), std::string::npos);
  auto lone = parse({"--dev", "--bus", "nats://127.0.0.1:4222"});
  ASSERT_FALSE(lone);
  EXPECT_NE(lone.error().message.find("needs --database"), std::string::npos);
  for (const char* id : {"a.b", "a b", "x>", "" /* allowed */}) {
    const bool ok = std::string(id).empty();
    EXPECT_EQ(static_cast<bool>(parse({"--dev", "--node-id", id})), ok) << id;
  }
  EXPECT_FALSE(parse({"--dev", "--node-id", std::string(65, 'n')}));
}

TEST(ClusterConfig, ThePublishDelayIsTestOnlyAndBounded) {
  auto on = parse({"--dev"}, {{"FLEET_TEST_BUS_PUBLISH_DELAY_MS", "1500"}});
  ASSERT_TRUE(on);
  EXPECT_EQ(on->test_bus_publish_delay_ms, 1500);
  EXPECT_FALSE(parse({"--dev"}, {{"FLEET_TEST_BUS_PUBLISH_DELAY_MS", "-1"}}));
  EXPECT_FALSE(parse({"--dev"}, {{"FLEET_TEST_BUS_PUBLISH_DELAY_MS", "soon"}}));
  EXPECT_EQ(usage().find("PUBLISH_DELAY"), std::string::npos);
  EXPECT_NE(usage().find("--database"), std::string::npos);
}

}  // namespace
}  // namespace fleet::app
