// The store's settings: its queue's byte bound, and the storage-fault hook that only tests may turn on.
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

TEST(StoreConfig, QueueIsBoundedInBytesByDefaultAndByFlag) {
  auto d = parse({"--dev"});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->store_queue_bytes, 64u << 20);
  auto c = parse({"--dev", "--store-queue-bytes", "8MiB"});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->store_queue_bytes, 8u << 20);
  auto e = parse({"--dev"}, {{"FLEET_STORE_QUEUE_BYTES", "16M"}});
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(e->store_queue_bytes, 16u << 20);
  EXPECT_FALSE(parse({"--dev", "--store-queue-bytes", "1024"}))
      << "below 1 MiB one ingest body would not fit";
  EXPECT_NE(usage().find("--store-queue-bytes"), std::string::npos);
}

TEST(StoreConfig, StorageFaultsAreOffUnlessTheTestOnlyVariableIsSet) {
  auto off = parse({"--dev"});
  ASSERT_TRUE(off);
  EXPECT_EQ(off->storage_fault_file, "");
  auto on = parse({"--dev"}, {{"FLEET_TEST_STORAGE_FAULTS", "/tmp/faults"}});
  ASSERT_TRUE(on);
  EXPECT_EQ(on->storage_fault_file, "/tmp/faults");
  // Not a flag, and not advertised.
  EXPECT_FALSE(parse({"--dev", "--storage-faults", "/tmp/faults"}));
  EXPECT_EQ(usage().find("FAULT"), std::string::npos);
}

}  // namespace
}  // namespace fleet::app
