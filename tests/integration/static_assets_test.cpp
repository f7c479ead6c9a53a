// The web app as fleetd serves it (--web-root): precompressed variants picked by Accept-Encoding, never
// served by their own names; source maps only with --serve-source-maps; and GET /api/v1/app-config from
// --map-tiles and --map-attribution.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "fleetd_process.hpp"

namespace fleet::testing {
namespace {

struct RawResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names; a repeated one is joined with ", "
  std::string body;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// One request on a fresh connection (`Connection: close`), read until the server closes. `extra` holds
// more header lines, each ending in \r\n.
RawResponse send_request(unsigned short port, const std::string& method, const std::string& target,
                         const std::string& extra = {}) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    throw std::runtime_error("connect");
  timeval tv{20, 0};  // a hang guard: reads return as soon as the server closes
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  const std::string req =
      method + " " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + extra + "\r\n";
  ::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
  std::string raw;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) raw.append(buf, static_cast<std::size_t>(n));
  ::close(fd);

  RawResponse out;
  const auto head_end = raw.find("\r\n\r\n");
  if (raw.size() < 12 || head_end == std::string::npos) throw std::runtime_error("no response: " + raw);
  out.status = std::stoi(raw.substr(9, 3));
  std::size_t pos = raw.find("\r\n") + 2;
  while (pos < head_end) {
    const auto eol = raw.find("\r\n", pos);
    const std::string line = raw.substr(pos, eol - pos);
    const auto colon = line.find(':');
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    auto& slot = out.headers[name];
    slot = slot.empty() ? value : slot + ", " + value;
    pos = eol + 2;
  }
  out.body = raw.substr(head_end + 4);
  return out;
}

void write(const std::filesystem::path& path, const std::string& bytes) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

class StaticAssets : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new TempDir();
    const std::filesystem::path root = root_->path();
    write(root / "index.html", "<!doctype html><title>app</title>");
    write(root / "assets" / "x.js", std::string(2000, 'x'));
    write(root / "assets" / "x.js.gz", "GZIP-BYTES");
    write(root / "assets" / "x.js.br", "BR-BYTES");
    write(root / "assets" / "app.js.map", R"({"version":3,"sources":["secret.ts"]})");
    server_ = new FleetdProcess({"--dev", "--web-root", root_->path()});
  }
  static void TearDownTestSuite() {
    delete server_;
    delete root_;
  }
  static unsigned short port() { return server_->port(); }
  static TempDir* root_;
  static FleetdProcess* server_;
};
TempDir* StaticAssets::root_ = nullptr;
FleetdProcess* StaticAssets::server_ = nullptr;

TEST_F(StaticAssets, BrotliThenGzipThenIdentityByAcceptEncoding) {
  const auto br = send_request(port(), "GET", "/assets/x.js", "Accept-Encoding: gzip, deflate, br, zstd\r\n");
  EXPECT_EQ(br.status, 200);
  EXPECT_EQ(br.header("content-encoding"), "br");
  EXPECT_EQ(br.body, "BR-BYTES");
  EXPECT_EQ(br.header("content-length"), "8");
  EXPECT_EQ(br.header("content-type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(br.header("vary"), "Accept-Encoding");
  EXPECT_EQ(br.header("cache-control"), "public, max-age=31536000, immutable");

  const auto gz = send_request(port(), "GET", "/assets/x.js", "Accept-Encoding: gzip\r\n");
  EXPECT_EQ(gz.header("content-encoding"), "gzip");
  EXPECT_EQ(gz.body, "GZIP-BYTES");
  EXPECT_EQ(gz.header("content-length"), "10");
  EXPECT_EQ(gz.header("vary"), "Accept-Encoding");

  for (const std::string& extra : {std::string(), std::string("Accept-Encoding: identity\r\n"),
                                   std::string("Accept-Encoding: deflate\r\n")}) {
    const auto plain = send_request(port(), "GET", "/assets/x.js", extra);
    EXPECT_EQ(plain.status, 200) << extra;
    EXPECT_EQ(plain.header("content-encoding"), "") << extra;
    EXPECT_EQ(plain.body, std::string(2000, 'x')) << extra;
    EXPECT_EQ(plain.header("content-length"), "2000") << extra;
    EXPECT_EQ(plain.header("vary"), "Accept-Encoding") << "identity answers vary too: " << extra;
  }
}

TEST_F(StaticAssets, QZeroRefusesACodingAndSplitFieldsAreOneList) {
  const auto no_br = send_request(port(), "GET", "/assets/x.js", "Accept-Encoding: br;q=0, gzip;q=0.5\r\n");
  EXPECT_EQ(no_br.header("content-encoding"), "gzip");
  const auto none = send_request(port(), "GET", "/assets/x.js", "Accept-Encoding: br;q=0, gzip;q=0\r\n");
  EXPECT_EQ(none.header("content-encoding"), "");
  EXPECT_EQ(none.body.size(), 2000u);
  const auto heavier =
      send_request(port(), "GET", "/assets/x.js", "Accept-Encoding: br;q=0.2, gzip;q=0.9\r\n");
  EXPECT_EQ(heavier.header("content-encoding"), "gzip");
  const auto split =
      send_request(port(), "GET", "/assets/x.js", "Accept-Encoding: gzip;q=0.1\r\nAccept-Encoding: br\r\n");
  EXPECT_EQ(split.header("content-encoding"), "br");
}

TEST_F(StaticAssets, HeadDescribesTheChosenVariantWithoutABody) {
  const auto head = send_request(port(), "HEAD", "/assets/x.js", "Accept-Encoding: br\r\n");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.header("content-encoding"), "br");
  EXPECT_EQ(head.header("content-length"), "8");
  EXPECT_EQ(head.header("vary"), "Accept-Encoding");
  EXPECT_EQ(head.body, "");
  const auto plain = send_request(port(), "HEAD", "/assets/x.js");
  EXPECT_EQ(plain.header("content-length"), "2000");
  EXPECT_EQ(plain.body, "");
}

TEST_F(StaticAssets, VariantsAreNeverServedByTheirOwnNames) {
  for (const char* name : {"/assets/x.js.gz", "/assets/x.js.br"}) {
    const auto r = send_request(port(), "GET", name, "Accept-Encoding: gzip, br\r\n");
    EXPECT_EQ(r.status, 404) << name;
    EXPECT_EQ(r.body.find("BYTES"), std::string::npos) << name;
  }
  // A file without variants has no Vary.
  const auto index = send_request(port(), "GET", "/", "Accept-Encoding: gzip, br\r\n");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.header("vary"), "");
  EXPECT_EQ(index.header("content-encoding"), "");
}

TEST_F(StaticAssets, EveryRepresentationHasItsOwnTagAndARevalidationGets304) {
  const auto br = send_request(port(), "GET", "/assets/x.js", "Accept-Encoding: br\r\n");
  const auto gz = send_request(port(), "GET", "/assets/x.js", "Accept-Encoding: gzip\r\n");
  const auto plain = send_request(port(), "GET", "/assets/x.js");
  const std::string tags[] = {br.header("etag"), gz.header("etag"), plain.header("etag")};
  for (const auto& tag : tags) EXPECT_EQ(tag.front(), '"') << tag;
  EXPECT_NE(tags[0], tags[1]);
  EXPECT_NE(tags[0], tags[2]);
  EXPECT_NE(tags[1], tags[2]);

  // The browser revalidates what it holds: 304, no bytes, the tag and Vary again, no content type.
  const auto same = send_request(port(), "GET", "/assets/x.js",
                                 "Accept-Encoding: br\r\nIf-None-Match: \"nope\", " + tags[0] + "\r\n");
  EXPECT_EQ(same.status, 304);
  EXPECT_EQ(same.body, "");
  EXPECT_EQ(same.header("etag"), tags[0]);
  EXPECT_EQ(same.header("vary"), "Accept-Encoding");
  EXPECT_EQ(same.header("content-type"), "");
  EXPECT_EQ(same.header("content-encoding"), "");
  EXPECT_EQ(same.header("content-length"), "");  // not "0": that would claim an empty file

  // It holds the brotli bytes but now takes only gzip: those are other bytes, sent in full.
  const auto other = send_request(port(), "GET", "/assets/x.js",
                                  "Accept-Encoding: gzip\r\nIf-None-Match: " + tags[0] + "\r\n");
  EXPECT_EQ(other.status, 200);
  EXPECT_EQ(other.body, "GZIP-BYTES");

  // index.html (revalidated on every load, no variants) too.
  const auto index = send_request(port(), "GET", "/");
  ASSERT_FALSE(index.header("etag").empty());
  const auto again = send_request(port(), "GET", "/", "If-None-Match: " + index.header("etag") + "\r\n");
  EXPECT_EQ(again.status, 304);
  EXPECT_EQ(again.body, "");
  const auto head = send_request(port(), "HEAD", "/", "If-None-Match: " + index.header("etag") + "\r\n");
  EXPECT_EQ(head.status, 304);
  EXPECT_EQ(head.header("content-length"), "");
}

TEST_F(StaticAssets, SourceMapsAre404UnlessFleetdIsAskedToServeThem) {
  const auto hidden = send_request(port(), "GET", "/assets/app.js.map");
  EXPECT_EQ(hidden.status, 404);
  EXPECT_EQ(hidden.body.find("secret.ts"), std::string::npos);
  FleetdProcess serving({"--dev", "--web-root", root_->path(), "--serve-source-maps"});
  const auto shown = send_request(serving.port(), "GET", "/assets/app.js.map");
  EXPECT_EQ(shown.status, 200);
  EXPECT_NE(shown.body.find("secret.ts"), std::string::npos);
}

TEST_F(StaticAssets, AppConfigIsPublicAndEmptyWithoutFlags) {
  const auto r = send_request(port(), "GET", "/api/v1/app-config");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("cache-control"), "no-cache");
  EXPECT_EQ(boost::json::parse(r.body), boost::json::parse(R"({"map":{"tile_url":"","attribution":""}})"));
}

TEST(AppConfig, CarriesTheMapFlags) {
  FleetdProcess server({"--dev", "--map-tiles", "https://tile.example.org/{z}/{x}/{y}.png",
                        "--map-attribution", "\xc2\xa9 OpenStreetMap contributors"});
  const auto r = send_request(server.port(), "GET", "/api/v1/app-config");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("cache-control"), "no-cache");
  EXPECT_EQ(boost::json::parse(r.body),
            boost::json::parse(R"({"map":{"tile_url":"https://tile.example.org/{z}/{x}/{y}.png",)"
                               "\"attribution\":\"\xc2\xa9 OpenStreetMap contributors\"}}"));
}

TEST(AppConfig, AMapTilesValueThatIsNoTileTemplateStopsStartUp) {
  for (const std::string bad :
       {"https://tile.example.org/{z}/{x}.png", "file:///etc/{z}/{x}/{y}", "not a url"}) {
    try {
      FleetdProcess server({"--dev", "--map-tiles", bad});
      ADD_FAILURE() << "fleetd started with --map-tiles " << bad;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("--map-tiles: expected an http(s) URL"), std::string::npos)
          << e.what();
    }
  }
}

}  // namespace
}  // namespace fleet::testing
