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

TEST_F(StaticFilesTest, PrecompressedVariantsJoinTheirOriginalAndAreNeverServedByName) {
  const std::string js(4000, 'a');
  std::ofstream(root_ / "assets" / "app.js") << js;
  std::ofstream(root_ / "assets" / "app.js.br") << "BR";
  std::ofstream(root_ / "assets" / "app.js.gz") << "GZIP";
  std::ofstream(root_ / "assets" / "tiny.css") << "a{}";
  std::ofstream(root_ / "assets" / "tiny.css.gz") << "a bigger gzip than the file";  // no gain: dropped
  std::ofstream(root_ / "assets" / "orphan.json.gz") << "x";
  auto files = StaticFiles::load(root_.string());
  ASSERT_TRUE(files) << files.error().message;
  const StaticFile* app = files->find("/assets/app.js");
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(app->body, js);
  EXPECT_TRUE(app->has_variants());
  EXPECT_EQ(app->body_for(ContentCoding::br), "BR");
  EXPECT_EQ(app->body_for(ContentCoding::gzip), "GZIP");
  EXPECT_EQ(app->body_for(ContentCoding::identity), js);
  EXPECT_EQ(app->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(files->find("/assets/app.js.br"), nullptr);
  EXPECT_EQ(files->find("/assets/app.js.gz"), nullptr);
  EXPECT_EQ(files->find("/assets/orphan.json.gz"), nullptr);
  EXPECT_EQ(files->find("/assets/orphan.json"), nullptr);
  EXPECT_FALSE(files->find("/assets/tiny.css")->has_variants());
  EXPECT_FALSE(files->find("/favicon.svg")->has_variants());
}

TEST_F(StaticFilesTest, SourceMapsAreNotLoadedUnlessAsked) {
  std::ofstream(root_ / "assets" / "index-abc123.js.map") << R"({"version":3})";
  std::ofstream(root_ / "assets" / "index-abc123.js.map.gz") << "z";
  auto hidden = StaticFiles::load(root_.string());
  ASSERT_TRUE(hidden);
  EXPECT_EQ(hidden->find("/assets/index-abc123.js.map"), nullptr);
  EXPECT_NE(hidden->find("/assets/index-abc123.js"), nullptr);
  auto served = StaticFiles::load(root_.string(), {.serve_source_maps = true});
  ASSERT_TRUE(served);
  ASSERT_NE(served->find("/assets/index-abc123.js.map"), nullptr);
  EXPECT_EQ(served->find("/assets/index-abc123.js.map")->content_type, "application/json");
}

TEST_F(StaticFilesTest, TheSizeLimitCountsEveryVariant) {
  std::ofstream(root_ / "assets" / "big.js") << std::string(1000, 'a');
  std::ofstream(root_ / "assets" / "big.js.gz") << std::string(900, 'g');
  const std::size_t without_gz = 1000 + 16 + 14 + 6;  // big.js, index.html, index-abc123.js, favicon.svg
  EXPECT_TRUE(StaticFiles::load(root_.string(), {.max_total_bytes = without_gz + 900}));
  EXPECT_FALSE(StaticFiles::load(root_.string(), {.max_total_bytes = without_gz + 899}));
}

}  // namespace
}  // namespace fleet::net
