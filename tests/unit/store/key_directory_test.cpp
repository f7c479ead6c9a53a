// KeyDirectory, and the SQLite store rebuilding it from the devices table on open.
#include "store/key_directory.hpp"

#include <gtest/gtest.h>

#include "sqlite_test_util.hpp"
#include "store_test_util.hpp"

namespace fleet::store {
namespace {

using namespace fleet::store::testing;

const std::string kHexA = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

TEST(KeyDirectory, KnowsOnlyWellFormedHashesItWasGiven) {
  KeyDirectory d;
  EXPECT_FALSE(d.contains(kHexA));
  d.insert(kHexA);
  EXPECT_TRUE(d.contains(kHexA));
  EXPECT_TRUE(d.contains("00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF"));  // same digest
  EXPECT_FALSE(d.contains(kHexA.substr(0, 62) + "fe"));
  d.insert("not hex at all");
  d.insert(kHexA.substr(1));
  d.insert(kHexA.substr(0, 63) + "g");
  EXPECT_EQ(d.size(), 1u);
  EXPECT_FALSE(d.contains("not hex at all"));
  d.erase(kHexA);
  EXPECT_FALSE(d.contains(kHexA));
  EXPECT_EQ(d.size(), 0u);
}

TEST(KeyDirectory, SqliteStoreRebuildsItOnOpenWithoutRevokedKeys) {
  TempDir dir;
  const std::string path = dir.file("fleet.db");
  const std::string kept(64, 'c');
  const std::string revoked(64, 'd');
  {
    auto s = open_store(path);
    ASSERT_TRUE(s);
    ASSERT_TRUE(create(*s, "org_a", "kept", kept));
    auto gone = create(*s, "org_a", "gone", revoked);
    ASSERT_TRUE(gone);
    ASSERT_TRUE(call<Device>([&](auto cb) { s->revoke_device(TenantId("org_a"), gone->id, cb); }));
    s->stop();
  }
  auto s = open_store(path);
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->device_key_active(kept));
  EXPECT_FALSE(s->device_key_active(revoked));
  s->stop();
}

// Requests still ask after the store stopped (shutdown drains them): the answer must not touch the
// released repo.
TEST(KeyDirectory, SqliteStoreAnswersAfterStop) {
  TempDir dir;
  const std::string key(64, 'e');
  auto s = open_store(dir.file("fleet.db"));
  ASSERT_TRUE(s);
  ASSERT_TRUE(create(*s, "org_a", "truck", key));
  s->stop();
  EXPECT_TRUE(s->device_key_active(key));  // append, not this, refuses a stopped store
}

}  // namespace
}  // namespace fleet::store
