// What the client does after each close of docs/protocol.md's table.
#include "fleet/reconnect_policy.hpp"

#include <gtest/gtest.h>

namespace fleet {
namespace {

TEST(ReconnectPolicy, EverythingButA1008Reconnects) {
  for (std::uint16_t code : {1000, 1001, 1002, 1003, 1006, 1007, 1009, 1011, 1013}) {
    EXPECT_EQ(after_close(code, "whatever", false), AfterClose::reconnect) << code;
    EXPECT_EQ(after_close(code, "Organization changed", true), AfterClose::reconnect) << code;
  }
}

TEST(ReconnectPolicy, A1008WaitsForANewToken) {
  for (const char* reason : {"Missing token", "Invalid token", "No organization", "Session pending",
                             "Token expired", "Too many auth messages", "Protocol violation", ""}) {
    EXPECT_EQ(after_close(1008, reason, false), AfterClose::wait_for_token) << reason;
    EXPECT_EQ(after_close(1008, reason, true), AfterClose::wait_for_token) << reason;
  }
}

TEST(ReconnectPolicy, AnotherPrincipalAfterAnInBandRefreshReconnectsAtOnce) {
  EXPECT_EQ(after_close(1008, "Organization changed", true), AfterClose::reconnect_now_with_token);
  EXPECT_EQ(after_close(1008, "Token mismatch", true), AfterClose::reconnect_now_with_token);
  // Without a refresh of ours these answer nothing we did: a refusal like any other 1008.
  EXPECT_EQ(after_close(1008, "Organization changed", false), AfterClose::wait_for_token);
  EXPECT_EQ(after_close(1008, "Token mismatch", false), AfterClose::wait_for_token);
}

TEST(ReconnectPolicy, ARefusedResumeReconnectsWithoutIt) {
  EXPECT_EQ(after_close(1008, "Invalid resume", false), AfterClose::reconnect_fresh);
}

TEST(ReconnectPolicy, AnAuthenticationTimeoutIsNoVerdictOnTheToken) {
  EXPECT_EQ(after_close(1008, "Authentication timeout", false), AfterClose::reconnect);
}

}  // namespace
}  // namespace fleet
