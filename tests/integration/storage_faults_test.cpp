// A disk that refuses writes, end to end: a real fleetd whose storage fails on demand (the test-only
// FLEET_TEST_STORAGE_FAULTS control file, store/fault_vfs.hpp) answers ingest 503, keeps answering reads,
// reports itself not ready, and comes back by itself - whatever --sync is.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/json.hpp>
#include <fstream>
#include <memory>
#include <string>

#include "fleetd_process.hpp"
#include "wire.hpp"

namespace fleet::testing {
namespace {

std::string point(int i) {
  return R"({"ts":)" + std::to_string(1'795'000'000'000 + i) + R"(,"lat":48.85,"lon":2.35})";
}

class StorageFaults : public ::testing::TestWithParam<const char*> {
 protected:
  // The variable is read when fleetd starts; posix_spawn hands it our environment.
  std::unique_ptr<FleetdProcess> start(const std::string& data_dir, bool faults) {
    if (faults) ::setenv("FLEET_TEST_STORAGE_FAULTS", control_file().c_str(), 1);
    auto p =
        std::make_unique<FleetdProcess>(std::vector<std::string>{"--dev", "--sync", GetParam()}, data_dir);
    ::unsetenv("FLEET_TEST_STORAGE_FAULTS");
    return p;
  }
  std::string control_file() const { return dir_.path() + "/faults"; }
  void set_fault(const std::string& plan) { std::ofstream(control_file(), std::ios::trunc) << plan; }

  TempDir dir_;
};

TEST_P(StorageFaults, DiskFullRefusesIngestKeepsReadsAndRecoversByItself) {
  TempDir data;
  std::string id;
  {
    auto server = start(data.path(), true);
    const unsigned short port = server->port();
    const std::string admin = dev_token(port, "alice", "org_a");
    const NewDevice truck = create_device(port, admin, "Truck 1");
    id = truck.id;
    for (int i = 0; i < 3; ++i)
      ASSERT_EQ(request(port, "POST", "/api/v1/telemetry", point(i), truck.key).status, 202);
    ASSERT_EQ(request(port, "GET", "/readyz").status, 200);

    set_fault("write enospc");
    auto refused = request(port, "POST", "/api/v1/telemetry", point(10), truck.key);
    EXPECT_EQ(refused.status, 503) << refused.body;
    EXPECT_EQ(refused.json().at("error").at("code").as_string(), "storage_unavailable") << refused.body;

    auto devices = request(port, "GET", "/api/v1/devices", {}, admin);
    ASSERT_EQ(devices.status, 200) << devices.body;
    EXPECT_EQ(devices.json().at("devices").at(0).at("last").at("seq").as_int64(), 3);
    auto history = request(port, "GET", "/api/v1/devices/" + id + "/telemetry", {}, admin);
    ASSERT_EQ(history.status, 200) << history.body;
    EXPECT_EQ(history.json().at("points").as_array().size(), 3u);

    auto ready = request(port, "GET", "/readyz");
    EXPECT_EQ(ready.status, 503) << ready.body;
    EXPECT_NE(ready.body.find("storage"), std::string::npos) << ready.body;

    set_fault("");  // space is back: nobody restarts anything, and no client needs to write first
    EXPECT_TRUE(eventually([&] { return request(port, "GET", "/readyz").status == 200; }));
    auto stored = request(port, "POST", "/api/v1/telemetry", point(20), truck.key);
    ASSERT_EQ(stored.status, 202) << stored.body;
    EXPECT_EQ(stored.json().at("last_seq").as_int64(), 4) << "the refused batch took seqs";
    EXPECT_EQ(server->stop(), 0);
  }
  // Only what was acknowledged is there after a restart.
  auto server = start(data.path(), false);
  const std::string admin = dev_token(server->port(), "alice", "org_a");
  auto history = request(server->port(), "GET", "/api/v1/devices/" + id + "/telemetry", {}, admin);
  ASSERT_EQ(history.status, 200) << history.body;
  EXPECT_EQ(history.json().at("points").as_array().size(), 4u);
}

INSTANTIATE_TEST_SUITE_P(Sync, StorageFaults, ::testing::Values("full", "normal"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           return std::string(info.param);
                         });

}  // namespace
}  // namespace fleet::testing
