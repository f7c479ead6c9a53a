#include "app/config.hpp"

#include <gtest/gtest.h>

#include <map>

namespace fleet::app {
namespace {

Result<Config> parse(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
  return parse_config(args, [&](const std::string& k) -> std::optional<std::string> {
    auto it = env.find(k);
    return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
  });
}

TEST(Config, NeedsAKeySourceOutsideDevMode) {
  auto c = parse({});
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("no key source"), std::string::npos);
  EXPECT_TRUE(parse({"--dev"}));
  EXPECT_TRUE(parse({"--jwks-url", "https://clerk.example.com/.well-known/jwks.json"}));
}

TEST(Config, DevOnANonLoopbackAddressNeedsAnExtraFlag) {
  EXPECT_FALSE(parse({"--dev", "--listen", "0.0.0.0:3000"}));
  EXPECT_TRUE(parse({"--dev", "--listen", "0.0.0.0:3000", "--dev-allow-remote"}));
  EXPECT_TRUE(parse({"--dev", "--listen", "127.0.0.2:3000"}));
  EXPECT_TRUE(parse({"--dev", "--listen", "[::1]:3000"}));
}

TEST(Config, EnvironmentTwinsAndFlagsWin) {
  auto c = parse({"--listen", "127.0.0.1:4000"},
                 {{"FLEET_LISTEN", "127.0.0.1:5000"},
                  {"CLERK_JWT_KEY", "-----BEGIN PUBLIC KEY-----"},
                  {"FLEET_AUTHORIZED_PARTIES", "https://a.example,https://b.example"},
                  {"FLEET_CLOCK_SKEW", "7"}});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->listen, "127.0.0.1:4000");
  EXPECT_EQ(c->jwt_key, "-----BEGIN PUBLIC KEY-----");
  EXPECT_EQ(c->authorized_parties, (std::vector<std::string>{"https://a.example", "https://b.example"}));
  EXPECT_EQ(c->clock_skew_s, 7);
}

TEST(Config, RepeatedAuthorizedPartiesReplaceTheEnvironmentList) {
  auto c = parse({"--dev", "--authorized-party", "https://x", "--authorized-party=https://y"},
                 {{"FLEET_AUTHORIZED_PARTIES", "https://env"}});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->authorized_parties, (std::vector<std::string>{"https://x", "https://y"}));
}

TEST(Config, AllowedOriginsAreOriginsAndFlagsReplaceTheEnvironmentList) {
  auto none = parse({"--dev"}, {});
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->allowed_origins.empty());
  auto env = parse({"--dev"}, {{"FLEET_ALLOWED_ORIGINS", "https://a.example,http://localhost:5173"}});
  ASSERT_TRUE(env);
  EXPECT_EQ(env->allowed_origins, (std::vector<std::string>{"https://a.example", "http://localhost:5173"}));
  auto flags =
      parse({"--dev", "--allowed-origin", "https://x", "--allowed-origin=https://y:8443",
             "--authorized-party", "https://p"},
            {{"FLEET_ALLOWED_ORIGINS", "https://env"}, {"FLEET_AUTHORIZED_PARTIES", "https://envp"}});
  ASSERT_TRUE(flags);
  EXPECT_EQ(flags->allowed_origins, (std::vector<std::string>{"https://x", "https://y:8443"}));
  EXPECT_EQ(flags->authorized_parties, (std::vector<std::string>{"https://p"}));
  for (const char* bad : {"fleet.example", "https://", "https://a/", "https://a/path", "ftp://a", "*"}) {
    EXPECT_FALSE(parse({"--dev", "--allowed-origin", bad})) << bad;
  }
}

TEST(Config, SessionAndResumeBounds) {
  auto d = parse({"--dev"}, {});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->token_grace_s, 15);
  EXPECT_EQ(d->ws_max_message, 16u * 1024);
  EXPECT_EQ(d->resume_ring_bytes, 1u << 20);
  EXPECT_EQ(d->resume_ring_age_ms, 120'000);
  EXPECT_EQ(d->resume_max_events, 10'000u);
  auto c = parse({"--dev", "--token-grace", "2", "--resume-ring-bytes", "64K", "--resume-max-events", "5"},
                 {{"FLEET_RESUME_RING_AGE_MS", "1000"}});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->token_grace_s, 2);
  EXPECT_EQ(c->resume_ring_bytes, 64u * 1024);
  EXPECT_EQ(c->resume_ring_age_ms, 1000);
  EXPECT_EQ(c->resume_max_events, 5u);
  EXPECT_FALSE(parse({"--dev", "--token-grace", "-1"}));
  EXPECT_FALSE(parse({"--dev", "--token-grace", "3601"}));
}

TEST(Config, RejectsUnknownFlagsAndBadValues) {
  EXPECT_FALSE(parse({"--dev", "--nope"}));
  EXPECT_FALSE(parse({"--dev", "--workers"}));
  EXPECT_FALSE(parse({"--dev", "--workers", "two"}));
  EXPECT_FALSE(parse({"--dev", "--clock-skew", "-1"}));
  EXPECT_FALSE(parse({"--dev", "--sync", "sometimes"}));
  EXPECT_FALSE(parse({"--dev", "--listen", "nowhere"}));
  EXPECT_FALSE(parse({"--dev", "--outbox-soft-limit", "2M", "--outbox-hard-limit", "1M"}));
  EXPECT_FALSE(parse({"--jwks-file", "a", "--jwt-key", "b"}));
  EXPECT_FALSE(parse({"--dev", "--dev=1"}));
}

TEST(Config, SizesTakeBinarySuffixes) {
  auto c = parse({"--dev", "--http-max-body", "2M", "--ws-max-message", "8K"});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->http_max_body, 2u << 20);
  EXPECT_EQ(c->ws_max_message, 8192u);
}

TEST(Config, MapTilesMustBeAnHttpUrlTemplateWithZXY) {
  auto c = parse({"--dev", "--map-tiles", "https://{s}.tile.example.org/{z}/{x}/{y}.png", "--map-attribution",
                  "(c) OpenStreetMap contributors"});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->map_tiles, "https://{s}.tile.example.org/{z}/{x}/{y}.png");
  EXPECT_EQ(c->map_attribution, "(c) OpenStreetMap contributors");
  EXPECT_TRUE(parse({"--dev"}, {{"FLEET_MAP_TILES", "http://127.0.0.1:8080/tiles?z={z}&x={x}&y={y}"}}));
  EXPECT_TRUE(parse({"--dev"})->map_tiles.empty());
  for (const std::string bad :
       {"https://tile.example.org/{z}/{x}.png", "ftp://tile.example.org/{z}/{x}/{y}.png",
        "javascript:alert(1)//{z}/{x}/{y}", "https:///{z}/{x}/{y}.png", "https://{z}{x}{y}",
        "https://tile.example.org/{z}/{x}/{y}.png onerror", "tile.example.org/{z}/{x}/{y}.png"}) {
    auto r = parse({"--dev", "--map-tiles", bad});
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().message.find("--map-tiles"), std::string::npos) << r.error().message;
  }
}

TEST(Config, SourceMapsAreOffUnlessAsked) {
  EXPECT_FALSE(parse({"--dev"})->serve_source_maps);
  EXPECT_TRUE(parse({"--dev", "--serve-source-maps"})->serve_source_maps);
  EXPECT_TRUE(parse({"--dev"}, {{"FLEET_SERVE_SOURCE_MAPS", "1"}})->serve_source_maps);
}

TEST(Config, HelpListsEveryFlagWithItsEnvironmentVariable) {
  const std::string u = usage();
  for (const char* s :
       {"--listen", "FLEET_LISTEN", "--jwks-url", "FLEET_JWKS_URL", "--jwt-key", "CLERK_JWT_KEY", "--issuer",
        "--authorized-party", "--tenant-claim", "--clock-skew", "--data-dir", "--dev"}) {
    EXPECT_NE(u.find(s), std::string::npos) << s;
  }
}

}  // namespace
}  // namespace fleet::app
