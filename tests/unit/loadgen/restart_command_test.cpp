// The storm scenario's restart: the load generator runs run.sh's command, must learn the new server's pid
// from it, and must neither hang on a command that hangs nor wait for a server the command left running.
#include "restart_command.hpp"

#include <gtest/gtest.h>

namespace loadgen {
namespace {

using namespace std::chrono_literals;

TEST(RestartCommand, ReportsExitStatusAndStdout) {
  const CommandResult r = run_command("echo starting; echo 4242; exit 3", 10s);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.output, "starting\n4242\n");
  EXPECT_EQ(last_line_pid(r.output), 4242);
}

TEST(RestartCommand, ReturnsWhenTheCommandExitsEvenIfWhatItStartedKeepsItsStdout) {
  // A server started in the background inherits the command's stdout unless redirected; the restart is
  // over when the command says so, not when that server exits.
  const CommandResult r = run_command("sleep 5 & echo $!", 10s);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_LT(r.seconds, 3.0);
  const auto pid = last_line_pid(r.output);
  ASSERT_TRUE(pid);
  ::kill(*pid, SIGKILL);
}

TEST(RestartCommand, KillsACommandThatDoesNotFinishInTime) {
  const CommandResult r = run_command("exec sleep 30", 300ms);
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.exit_code, -1);
  EXPECT_LT(r.seconds, 5.0);
}

TEST(RestartCommand, PidIsTheLastNonEmptyLine) {
  EXPECT_EQ(last_line_pid("12\n"), 12);
  EXPECT_EQ(last_line_pid("log line\n977\n\n"), 977);
  EXPECT_FALSE(last_line_pid(""));
  EXPECT_FALSE(last_line_pid("977\nready\n"));
  EXPECT_FALSE(last_line_pid("0\n"));
  EXPECT_FALSE(last_line_pid("-5\n"));
  EXPECT_FALSE(last_line_pid("12 13\n"));
}

}  // namespace
}  // namespace loadgen
