// Where fleetctl sends requests and where secrets come from: flag > environment > default.
#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "cli.hpp"

namespace fleetctl {
namespace {

// Sets (or, with nullptr, unsets) one environment variable for a test and restores it afterwards, so a
// developer's own FLEET_SERVER neither leaks into the test nor gets lost.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

constexpr FlagSpec kSpecs[] = {{"token", "T", "a secret"}};

Args parse(std::vector<std::string> words) {
  std::vector<char*> argv;
  for (std::string& s : words) argv.push_back(s.data());
  auto a = Args::parse(kSpecs, argv);
  EXPECT_TRUE(a.has_value()) << a.error().message;
  return a.has_value() ? *a : Args{};
}

TEST(ServerUrl, FlagWinsOverEnvironment) {
  ScopedEnv env("FLEET_SERVER", "http://from-env:1");
  EXPECT_EQ(server_url(parse({"--server", "http://from-flag:2"})), "http://from-flag:2");
  EXPECT_EQ(server_url(parse({"--server=https://inline:3"})), "https://inline:3");
}

TEST(ServerUrl, EnvironmentWinsOverDefault) {
  ScopedEnv env("FLEET_SERVER", "http://from-env:1");
  EXPECT_EQ(server_url(parse({})), "http://from-env:1");
}

TEST(ServerUrl, DefaultWhenUnsetOrEmpty) {
  {
    ScopedEnv env("FLEET_SERVER", nullptr);
    EXPECT_EQ(server_url(parse({})), "http://127.0.0.1:3000");
  }
  ScopedEnv env("FLEET_SERVER", "");
  EXPECT_EQ(server_url(parse({})), "http://127.0.0.1:3000");
}

TEST(FlagOrEnv, FlagWinsOverEnvironment) {
  ScopedEnv env("FLEETCTL_TEST_SECRET", "from-env");
  EXPECT_EQ(flag_or_env(parse({"--token", "from-flag"}), "token", "FLEETCTL_TEST_SECRET"), "from-flag");
}

TEST(FlagOrEnv, EnvironmentWhenTheFlagIsAbsent) {
  ScopedEnv env("FLEETCTL_TEST_SECRET", "from-env");
  EXPECT_EQ(flag_or_env(parse({}), "token", "FLEETCTL_TEST_SECRET"), "from-env");
}

TEST(FlagOrEnv, NothingWhenNeitherIsSet) {
  {
    ScopedEnv env("FLEETCTL_TEST_SECRET", nullptr);
    EXPECT_EQ(flag_or_env(parse({}), "token", "FLEETCTL_TEST_SECRET"), std::nullopt);
  }
  ScopedEnv env("FLEETCTL_TEST_SECRET", "");  // `export FLEET_TOKEN=` means unset, not an empty token
  EXPECT_EQ(flag_or_env(parse({}), "token", "FLEETCTL_TEST_SECRET"), std::nullopt);
}

}  // namespace
}  // namespace fleetctl
