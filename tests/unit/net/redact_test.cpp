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

TEST(RedactTarget, LeavesOtherTargetsAlone) {
  EXPECT_EQ(redact_target("/api/v1/devices"), "/api/v1/devices");
  EXPECT_EQ(redact_target("/x?tokens=1&mytoken=2"), "/x?tokens=1&mytoken=2");
}

}  // namespace
}  // namespace fleet::net
