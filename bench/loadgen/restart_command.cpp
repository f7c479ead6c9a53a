#include "restart_command.hpp"

#include <cerrno>
#include <charconv>
#include <csignal>
#include <system_error>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.hpp"

extern char** environ;

namespace loadgen {

namespace {

struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// Reads what the pipe holds now (non-blocking); false at end of file.
bool drain(int fd, std::string& out) {
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    return n < 0 && (errno == EAGAIN || errno == EINTR);
  }
}

}  // namespace

CommandResult run_command(const std::string& command, std::chrono::milliseconds timeout) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK) != 0)
    throw std::system_error(errno, std::generic_category(), "pipe2");
  Fd out_read(pipe_fds[0]);
  Fd out_write(pipe_fds[1]);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_write.fd, STDOUT_FILENO);  // dup2 clears O_CLOEXEC on fd 1
  const char* argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};
  pid_t child = 0;
  const std::int64_t started = mono_us();
  // posix_spawn's argv is char* const[] for C's sake; sh does not write to it.
  const int err = posix_spawn(&child, "/bin/sh", &actions, nullptr, const_cast<char* const*>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (err != 0) throw std::system_error(err, std::generic_category(), "posix_spawn /bin/sh");
  ::close(out_write.fd);
  out_write.fd = -1;

  // A pidfd turns "the command exited" into something poll() waits on, beside its stdout.
  Fd exited(static_cast<int>(::syscall(SYS_pidfd_open, child, 0)));
  if (exited.fd < 0) {
    const int e = errno;
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    throw std::system_error(e, std::generic_category(), "pidfd_open");
  }

  CommandResult r;
  const std::int64_t deadline =
      started + std::chrono::duration_cast<std::chrono::microseconds>(timeout).count();
  bool stdout_open = true;
  for (;;) {
    const std::int64_t left_us = deadline - mono_us();
    if (left_us <= 0) {
      r.timed_out = true;
      ::kill(child, SIGKILL);
      break;
    }
    pollfd fds[2] = {{exited.fd, POLLIN, 0}, {out_read.fd, POLLIN, 0}};
    const int n =
        ::poll(fds, stdout_open ? 2 : 1, static_cast<int>(std::min<std::int64_t>(left_us / 1000 + 1, 1000)));
    if (n < 0 && errno != EINTR) throw std::system_error(errno, std::generic_category(), "poll");
    if (stdout_open && (fds[1].revents & (POLLIN | POLLHUP))) stdout_open = drain(out_read.fd, r.output);
    if (fds[0].revents & POLLIN) break;  // exited
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  if (stdout_open) drain(out_read.fd, r.output);  // what it wrote just before exiting
  r.seconds = static_cast<double>(mono_us() - started) / 1e6;
  if (!r.timed_out && WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  return r;
}

std::optional<pid_t> last_line_pid(std::string_view output) {
  while (!output.empty() && (output.back() == '\n' || output.back() == '\r' || output.back() == ' ')) {
    output.remove_suffix(1);
  }
  const std::size_t start = output.find_last_of('\n');
  const std::string_view line = start == std::string_view::npos ? output : output.substr(start + 1);
  pid_t pid = 0;
  const auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), pid);
  if (ec != std::errc{} || end != line.data() + line.size() || pid <= 0) return std::nullopt;
  return pid;
}

}  // namespace loadgen
