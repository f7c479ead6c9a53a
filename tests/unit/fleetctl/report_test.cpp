// What fleetctl tells the user when something goes wrong: exit codes and the one stderr line.
#include <gtest/gtest.h>

#include <string>

#include "cli.hpp"

namespace fleetctl {
namespace {

fleet::http::Response response(unsigned status, std::string body, std::string retry_after = {}) {
  fleet::http::Response r;
  r.status = status;
  r.body = std::move(body);
  r.content_type = "application/json";
  r.retry_after = std::move(retry_after);
  return r;
}

std::string report(const fleet::http::Response& res, int& rc) {
  ::testing::internal::CaptureStderr();
  rc = report_http_error(res);
  return ::testing::internal::GetCapturedStderr();
}

TEST(ReportHttpError, NamesCodeMessageIndexAndField) {
  int rc = -1;
  const std::string err = report(
      response(
          400,
          R"({"error":{"code":"invalid_point","message":"lat must be in [-90, 90]","index":3,"field":"lat"}})"),
      rc);
  EXPECT_EQ(rc, kExitFailure);
  EXPECT_EQ(err,
            "fleetctl: server answered 400 invalid_point: lat must be in [-90, 90] (index 3) (field lat)\n");
}

TEST(ReportHttpError, OnlyThePartsThatArePresent) {
  int rc = -1;
  EXPECT_EQ(report(response(401, R"({"error":{"code":"unauthorized","message":"unknown device key"}})"), rc),
            "fleetctl: server answered 401 unauthorized: unknown device key\n");
  EXPECT_EQ(report(response(403, R"({"error":{}})"), rc), "fleetctl: server answered 403\n");
  EXPECT_EQ(rc, kExitFailure);
}

TEST(ReportHttpError, RetryAfterIsShown) {
  int rc = -1;
  EXPECT_EQ(
      report(response(503, R"({"error":{"code":"unavailable","message":"store queue full"}})", "2"), rc),
      "fleetctl: server answered 503 unavailable: store queue full (retry after 2 s)\n");
}

TEST(ReportHttpError, NonJsonBodyIsQuotedShortened) {
  int rc = -1;
  EXPECT_EQ(report(response(502, "Bad Gateway"), rc), "fleetctl: server answered 502: Bad Gateway\n");
  const std::string err = report(response(500, std::string(1000, 'x')), rc);
  EXPECT_EQ(err, "fleetctl: server answered 500: " + std::string(200, 'x') + "\n");
  EXPECT_EQ(report(response(500, ""), rc), "fleetctl: server answered 500\n");
  // JSON, but not the error shape: shown as text.
  EXPECT_EQ(report(response(500, R"({"error":"boom"})"), rc),
            "fleetctl: server answered 500: {\"error\":\"boom\"}\n");
}

TEST(ExitCodes, UsageAndFailureMessages) {
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(usage_error("token: --user is required"), kExitUsage);
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "fleetctl: token: --user is required (see --help)\n");
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(failure("connection refused"), kExitFailure);
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "fleetctl: connection refused\n");
  EXPECT_EQ(kExitOk, 0);
  EXPECT_EQ(kExitFailure, 1);
  EXPECT_EQ(kExitUsage, 2);
}

}  // namespace
}  // namespace fleetctl
