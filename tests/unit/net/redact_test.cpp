#include "net/redact.hpp"

#include <gtest/gtest.h>

namespace fleet::net {
namespace {

TEST(RedactTarget, ReplacesEveryTokenValue) {
  EXPECT_EQ(redact_target("/ws?token=eyJ.abc.def"), "/ws?token=REDACTED");
  EXPECT_EQ(redact_target("/ws?a=1&token=x&b=2"), "/ws?a=1&token=REDACTED&b=2");
  EXPECT_EQ(redact_target("/ws?TOKEN=x&Token=y"), "/ws?TOKEN=REDACTED&Token=REDACTED");
  EXPECT_EQ(redact_target("/ws?%74oken=secret"), "/ws?%74oken=REDACTED");
  EXPECT_EQ(redact_target("/ws?token"), "/ws?token=REDACTED");
}

TEST(RedactTarget, ReplacesShareTokensInThePath) {
  const std::string token = "fsh_00112233445566778899aabbccddeeffBi52f9novAhqPuP6muyPgA";
  EXPECT_EQ(redact_target("/share/" + token), "/share/REDACTED");
  EXPECT_EQ(redact_target("/share/" + token + "?x=1&token=" + token), "/share/REDACTED?x=1&token=REDACTED");
  EXPECT_EQ(redact_target("/share/not-a-token/x"), "/share/REDACTED/x");
  EXPECT_EQ(redact_target("/other/" + token + "/"), "/other/REDACTED/");
  EXPECT_EQ(redact_target("/share/"), "/share/");
  EXPECT_EQ(redact_target("/share"), "/share");
}

TEST(RedactTarget, LeavesOtherTargetsAlone) {
  EXPECT_EQ(redact_target("/"), "/");
  EXPECT_EQ(redact_target("/assets/app.js"), "/assets/app.js");
  EXPECT_EQ(redact_target("/a/share/b"), "/a/share/b");
  EXPECT_EQ(redact_target("/api/v1/shares/shr_0123"), "/api/v1/shares/shr_0123");
  EXPECT_EQ(redact_target("/api/v1/devices"), "/api/v1/devices");
  EXPECT_EQ(redact_target("/x?tokens=1&mytoken=2"), "/x?tokens=1&mytoken=2");
}

}  // namespace
}  // namespace fleet::net
