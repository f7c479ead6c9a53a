// The keys file of `fleetctl simulate` holds device keys the server shows only once: these tests pin that
// nothing ever overwrites one it could not read, and that the keys are never readable by others.
#include "sim_keys.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace fleetctl {
namespace {

namespace fs = std::filesystem;

class SimKeys : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/fleetctl-keys-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  static std::string read(const std::string& p) {
    std::ifstream in(p);
    return {std::istreambuf_iterator<char>(in), {}};
  }
  static unsigned mode(const std::string& p) {
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0);
    return st.st_mode & 0777;
  }
  fs::path dir_;
};

TEST_F(SimKeys, AMissingFileIsAnEmptyList) {
  auto keys = load_sim_keys(path("absent.json"));
  ASSERT_TRUE(keys) << keys.error().message;
  EXPECT_TRUE(keys->empty());
}

TEST_F(SimKeys, RoundTripsWithOwnerOnlyPermissions) {
  const std::vector<SimDevice> devices{{"dev_1", "sim-1", "fk_one"}, {"", "", "fk_two"}};
  ASSERT_TRUE(save_sim_keys(path("keys.json"), devices));
  EXPECT_EQ(mode(path("keys.json")), 0600u);
  EXPECT_FALSE(fs::exists(path("keys.json.tmp")));
  auto back = load_sim_keys(path("keys.json"));
  ASSERT_TRUE(back) << back.error().message;
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ((*back)[0].id, "dev_1");
  EXPECT_EQ((*back)[0].name, "sim-1");
  EXPECT_EQ((*back)[0].key, "fk_one");
  EXPECT_EQ((*back)[1].key, "fk_two");
}

TEST_F(SimKeys, ALeftoverWorldReadableTemporaryFileDoesNotLeakTheKeys) {
  { std::ofstream(path("keys.json.tmp")) << "old"; }
  ASSERT_EQ(::chmod(path("keys.json.tmp").c_str(), 0644), 0);
  ASSERT_TRUE(save_sim_keys(path("keys.json"), {{"d", "n", "fk_secret"}}));
  EXPECT_EQ(mode(path("keys.json")), 0600u);
}

TEST_F(SimKeys, AFileThatCannotBeReadIsAnErrorNotAnEmptyList) {
  // Root reads anything, so unreadable means a path stat itself fails on: a symlink loop (ELOOP).
  ASSERT_EQ(::symlink("loop.json", path("loop.json").c_str()), 0);
  auto keys = load_sim_keys(path("loop.json"));
  ASSERT_FALSE(keys);
  EXPECT_NE(keys.error().message.find("cannot read"), std::string::npos) << keys.error().message;
}

TEST_F(SimKeys, RefusesWhatIsNotAKeyList) {
  for (const char* text : {"", "{}", "[1]", R"([{"id":"d"}])", R"([{"key":""}])", R"([{"key":7}])", "[{"}) {
    { std::ofstream(path("bad.json")) << text; }
    auto keys = load_sim_keys(path("bad.json"));
    ASSERT_FALSE(keys) << text;
    EXPECT_NE(keys.error().message.find("expected [{"), std::string::npos) << keys.error().message;
    EXPECT_EQ(read(path("bad.json")), text) << "a refused file is left as it was";
  }
}

TEST_F(SimKeys, SavingIntoAMissingDirectoryFailsAndSaysWhere) {
  auto saved = save_sim_keys(path("no/such/dir/keys.json"), {{"d", "n", "k"}});
  ASSERT_FALSE(saved);
  EXPECT_NE(saved.error().message.find("keys.json.tmp"), std::string::npos) << saved.error().message;
}

}  // namespace
}  // namespace fleetctl
