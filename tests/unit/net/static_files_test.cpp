#include "net/static_files.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace fleet::net {
namespace {

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() / ("fleet-static-" + std::to_string(::getpid()));
    std::filesystem::create_directories(root_ / "assets");
    std::ofstream(root_ / "index.html") << "<html>app</html>";
    std::ofstream(root_ / "assets" / "index-abc123.js") << "console.log(1)";
    std::ofstream(root_ / "favicon.svg") << "<svg/>";
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  std::filesystem::path root_;
};

TEST_F(StaticFilesTest, ServesFilesWithTypesAndCaching) {
  auto files = StaticFiles::load(root_.string());
  ASSERT_TRUE(files) << files.error().message;
  const StaticFile* js = files->find("/assets/index-abc123.js");
  ASSERT_NE(js, nullptr);
  EXPECT_EQ(js->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(js->cache_control, "public, max-age=31536000, immutable");
  const StaticFile* index = files->find("/");
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(index->body, "<html>app</html>");
  EXPECT_EQ(index->cache_control, "no-cache");
  EXPECT_EQ(files->find("/favicon.svg")->content_type, "image/svg+xml");
}

TEST_F(StaticFilesTest, ClientRoutesFallBackToIndexButMissingAssetsDoNot) {
  auto files = StaticFiles::load(root_.string());
  ASSERT_TRUE(files);
  EXPECT_EQ(files->find("/live/org_a")->body, "<html>app</html>");
  EXPECT_EQ(files->find("/assets/missing.js"), nullptr);
  // Only loaded files can ever be served: traversal attempts get the app shell or nothing.
  EXPECT_EQ(files->find("/../etc/passwd")->body, "<html>app</html>");
  EXPECT_EQ(files->find("/../../etc/hosts.txt"), nullptr);
}

TEST_F(StaticFilesTest, RefusesARootWithoutIndex) {
  std::filesystem::remove(root_ / "index.html");
  EXPECT_FALSE(StaticFiles::load(root_.string()));
  EXPECT_FALSE(StaticFiles::load((root_ / "nope").string()));
}

}  // namespace
}  // namespace fleet::net
