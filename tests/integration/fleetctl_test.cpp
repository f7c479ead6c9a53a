// fleetctl as a user runs it (README "Using the API"): the real binary against a real fleetd --dev, judged
// by its exit code (0 ok, 1 server or network failure, 2 usage), stdout and stderr.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <fstream>
#include <memory>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "fleetd_process.hpp"
#include "loopback_port.hpp"
#include "wire.hpp"

extern char** environ;

namespace fleet::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// One fleetctl process with stdout and stderr captured. Its environment is the test's own without any
// FLEET_* variable (a developer's FLEET_SERVER must not redirect the test), plus `env` ("NAME=value").
class Fleetctl {
 public:
  explicit Fleetctl(std::vector<std::string> args, std::vector<std::string> env = {},
                    const std::string& stdin_path = "/dev/null") {
    args.insert(args.begin(), FLEETCTL_PATH);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> environment;
    for (char** e = environ; *e; ++e) {
      if (!std::string_view(*e).starts_with("FLEET_")) environment.emplace_back(*e);
    }
    environment.insert(environment.end(), env.begin(), env.end());
    std::vector<char*> envp;
    for (auto& e : environment) envp.push_back(e.data());
    envp.push_back(nullptr);

    int out[2], err[2];
    if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0)
      throw std::runtime_error("pipe2 failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, stdin_path.c_str(), O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
    const int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    ::close(err[1]);
    if (rc != 0) {
      ::close(out[0]);
      ::close(err[0]);
      throw std::runtime_error("cannot spawn " + args[0]);
    }
    fds_[0] = out[0];
    fds_[1] = err[0];
  }
  ~Fleetctl() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    for (int fd : fds_) {
      if (fd >= 0) ::close(fd);
    }
  }
  Fleetctl(const Fleetctl&) = delete;
  Fleetctl& operator=(const Fleetctl&) = delete;

  // Reads output until stdout (stderr) contains `text` `times` times; false when the output ended or
  // `timeout` passed first.
  bool wait_for_stdout(std::string_view text, int times = 1, std::chrono::milliseconds timeout = 20s) {
    return wait_for(out_, text, times, timeout);
  }
  bool wait_for_stderr(std::string_view text, int times = 1, std::chrono::milliseconds timeout = 20s) {
    return wait_for(err_, text, times, timeout);
  }

  void signal(int sig) { ::kill(pid_, sig); }

  // Waits for the exit and returns its code (128 + signal when killed by one); after `timeout` the process
  // is killed and the result is -1.
  int wait(std::chrono::milliseconds timeout = 30s) {
    const auto deadline = Clock::now() + timeout;
    while (read_some(deadline)) {
    }
    const bool timed_out = fds_[0] >= 0 || fds_[1] >= 0;  // both pipes close when the process exits
    if (timed_out) ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    while (read_some(Clock::now() + 5s)) {
    }
    if (timed_out) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  const std::string& out() const noexcept { return out_; }
  const std::string& err() const noexcept { return err_; }

 private:
  bool wait_for(const std::string& stream, std::string_view text, int times,
                std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    auto count = [&] {
      int n = 0;
      for (auto at = stream.find(text); at != std::string::npos; at = stream.find(text, at + text.size()))
        ++n;
      return n;
    };
    while (count() < times) {
      if (!read_some(deadline)) return false;
    }
    return true;
  }

  // Reads what one poll() reports; false once both pipes are closed or the deadline passed.
  bool read_some(Clock::time_point deadline) {
    pollfd p[2] = {{fds_[0], POLLIN, 0}, {fds_[1], POLLIN, 0}};
    if (p[0].fd < 0 && p[1].fd < 0) return false;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    if (::poll(p, 2, static_cast<int>(left)) < 0) return errno == EINTR;
    for (int i = 0; i < 2; ++i) {
      if (p[i].fd < 0 || p[i].revents == 0) continue;
      char buf[4096];
      const ssize_t n = ::read(p[i].fd, buf, sizeof buf);
      if (n > 0) {
        (i == 0 ? out_ : err_).append(buf, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fds_[i]);
        fds_[i] = -1;
      }
    }
    return true;
  }

  pid_t pid_ = -1;
  int fds_[2] = {-1, -1};  // stdout, stderr
  std::string out_, err_;
};

struct Outcome {
  int code = -1;
  std::string out, err;
};

std::ostream& operator<<(std::ostream& os, const Outcome& r) {
  return os << "\nexit " << r.code << "\n--- stdout\n" << r.out << "--- stderr\n" << r.err;
}

Outcome run(std::vector<std::string> args, std::vector<std::string> env = {},
            const std::string& stdin_path = "/dev/null") {
  Fleetctl p(std::move(args), std::move(env), stdin_path);
  Outcome r;
  r.code = p.wait();
  r.out = p.out();
  r.err = p.err();
  return r;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class FleetctlCli : public ::testing::Test {
 protected:
  FleetdProcess server;
  unsigned short port() const { return server.port(); }
  // fleetctl --server <this fleetd> args...
  Outcome ctl(std::vector<std::string> args, std::vector<std::string> env = {},
              const std::string& stdin_path = "/dev/null") {
    args.insert(args.begin(), {"--server", server.base_url()});
    return run(std::move(args), std::move(env), stdin_path);
  }
  std::string token(const std::string& user, const std::string& org, const std::string& role = "admin") {
    return dev_token(port(), user, org, role);
  }
  boost::json::array devices(const std::string& token) {
    auto r = request(port(), "GET", "/api/v1/devices", {}, token);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? r.json().at("devices").as_array() : boost::json::array{};
  }
};

TEST_F(FleetctlCli, TokenPrintsOnlyAUsableToken) {
  const Outcome r =
      ctl({"token", "--user", "alice", "--org", "org_a", "--role", "org:member", "--ttl", "3600"});
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.err, "");
  // Only the token and a newline, for TOKEN=$(fleetctl token ...).
  ASSERT_EQ(lines(r.out).size(), 1u) << r;
  const std::string token = lines(r.out)[0];
  EXPECT_EQ(r.out, token + "\n");
  auto me = request(port(), "GET", "/api/v1/me", {}, token);
  ASSERT_EQ(me.status, 200) << me.body;
  const auto j = me.json().as_object();
  EXPECT_EQ(j.at("tenant").as_string(), "org_a");
  EXPECT_EQ(j.at("user").as_string(), "alice");
  EXPECT_EQ(j.at("role").as_string(), "org:member");
  // --ttl reached the server: the default lifetime is 60 s.
  EXPECT_GT(j.at("token_exp").as_int64(), now_ms() / 1000 + 600);
}

TEST_F(FleetctlCli, ServerComesFromTheEnvironmentOrTheCommand) {
  const Outcome env =
      run({"token", "--user", "alice", "--org", "org_a"}, {"FLEET_SERVER=" + server.base_url()});
  EXPECT_EQ(env.code, 0) << env;
  // A --server after the command wins over the global one (here: a port that refuses connections).
  RefusingPort nobody;
  const Outcome both =
      run({"--server", nobody.url(), "token", "--server", server.base_url(), "--user", "alice"});
  EXPECT_EQ(both.code, 0) << both;
  const Outcome global =
      run({"--server=" + server.base_url(), "token", "--user", "alice"}, {"FLEET_SERVER=" + nobody.url()});
  EXPECT_EQ(global.code, 0) << global;
}

TEST_F(FleetctlCli, DevicesAddListRemove) {
  const std::string admin = token("alice", "org_a");
  const Outcome added = ctl({"devices", "add", "Truck 7", "--token", admin});
  ASSERT_EQ(added.code, 0) << added;
  const auto created = boost::json::parse(added.out).as_object();
  const std::string id(created.at("device").at("id").as_string());
  EXPECT_EQ(created.at("device").at("name").as_string(), "Truck 7");
  EXPECT_TRUE(created.at("key").as_string().starts_with("fk_")) << added;

  // The token may come from $FLEET_TOKEN instead of the command line.
  const Outcome listed = ctl({"devices", "list"}, {"FLEET_TOKEN=" + admin});
  ASSERT_EQ(listed.code, 0) << listed;
  const auto list = boost::json::parse(listed.out).at("devices").as_array();
  ASSERT_EQ(list.size(), 1u) << listed;
  EXPECT_EQ(list[0].at("id").as_string(), id);
  EXPECT_EQ(list[0].at("name").as_string(), "Truck 7");

  const Outcome removed = ctl({"devices", "remove", id, "--token", admin});
  ASSERT_EQ(removed.code, 0) << removed;
  EXPECT_TRUE(boost::json::parse(removed.out).at("device").as_object().contains("revoked_ms")) << removed;
  EXPECT_TRUE(devices(admin).empty());
  // The revoked key no longer publishes.
  const Outcome late =
      ctl({"publish", "--key", std::string(created.at("key").as_string()), "--lat", "1", "--lon", "2"});
  EXPECT_EQ(late.code, 1) << late;
}

TEST_F(FleetctlCli, PublishedPointsAreStored) {
  const std::string admin = token("alice", "org_a");
  const NewDevice truck = create_device(port(), admin, "Truck 1");
  const std::int64_t ts = now_ms() - 60'000;
  const Outcome first = ctl({"publish", "--key", truck.key, "--lat", "-33.8688", "--lon", "151.2093", "--ts",
                             std::to_string(ts), "--speed", "42.5", "--heading", "90", "--altitude", "12",
                             "--accuracy", "4", "--battery", "81"});
  ASSERT_EQ(first.code, 0) << first;
  const auto answer = boost::json::parse(first.out).as_object();
  EXPECT_EQ(answer.at("accepted").as_int64(), 1);
  EXPECT_EQ(answer.at("last_seq").as_int64(), 1);
  // RFC 3339 time, key from the environment.
  const Outcome second =
      ctl({"publish", "--lat", "48.8566", "--lon", "2.3522", "--ts", "2025-01-01T00:00:00Z"},
          {"FLEET_DEVICE_KEY=" + truck.key});
  ASSERT_EQ(second.code, 0) << second;

  auto history = request(port(), "GET", "/api/v1/devices/" + truck.id + "/telemetry", {}, admin);
  ASSERT_EQ(history.status, 200) << history.body;
  const auto points = history.json().at("points").as_array();
  ASSERT_EQ(points.size(), 2u) << history.body;
  // Ascending device time: the 2025 point first.
  EXPECT_EQ(points[0].at("ts").as_int64(), 1735689600000);
  EXPECT_DOUBLE_EQ(points[0].at("lat").as_double(), 48.8566);
  const auto& p = points[1].as_object();
  EXPECT_EQ(p.at("ts").as_int64(), ts);
  EXPECT_DOUBLE_EQ(p.at("lat").as_double(), -33.8688);
  EXPECT_DOUBLE_EQ(p.at("lon").as_double(), 151.2093);
  EXPECT_DOUBLE_EQ(p.at("speed_kph").as_double(), 42.5);
  EXPECT_DOUBLE_EQ(p.at("heading_deg").to_number<double>(), 90);
  EXPECT_DOUBLE_EQ(p.at("altitude_m").to_number<double>(), 12);
  EXPECT_DOUBLE_EQ(p.at("accuracy_m").to_number<double>(), 4);
  EXPECT_DOUBLE_EQ(p.at("battery_pct").to_number<double>(), 81);
}

TEST_F(FleetctlCli, PublishFileFromStdin) {
  const NewDevice truck = create_device(port(), token("alice", "org_a"), "Truck 1");
  TempDir dir;
  const std::string path = dir.path() + "/points.json";
  const std::int64_t ts = now_ms();
  std::ofstream(path) << R"([{"ts":)" << ts << R"(,"lat":48.1,"lon":2.1},{"ts":)" << ts + 1
                      << R"(,"lat":48.2,"lon":2.2,"attributes":{"door":"open"}}])";
  const Outcome r = ctl({"publish", "--key", truck.key, "--file", "-"}, {}, path);
  ASSERT_EQ(r.code, 0) << r;
  EXPECT_EQ(boost::json::parse(r.out).at("accepted").as_int64(), 2) << r;
  const Outcome from_path = ctl({"publish", "--key", truck.key, "--file", path});
  ASSERT_EQ(from_path.code, 0) << from_path;
  EXPECT_EQ(boost::json::parse(from_path.out).at("last_seq").as_int64(), 4) << from_path;
}

TEST_F(FleetctlCli, WatchPrintsTheStreamAndStopsAfterCount) {
  const std::string admin = token("alice", "org_a");
  const NewDevice truck = create_device(port(), admin, "Truck 1");
  Fleetctl watch({"--server", server.base_url(), "watch", "--token", admin, "--count", "2"});
  ASSERT_TRUE(watch.wait_for_stdout(R"("type":"snapshot")")) << watch.out() << watch.err();
  // Three events in one batch: --count 2 prints two of them and exits.
  const std::int64_t ts = now_ms();
  const std::string batch = "[" + std::string(R"({"lat":48.1,"lon":2.1,"ts":)") + std::to_string(ts) + "}," +
                            R"({"lat":48.2,"lon":2.2,"ts":)" + std::to_string(ts + 1) + "}," +
                            R"({"lat":48.3,"lon":2.3,"ts":)" + std::to_string(ts + 2) + "}]";
  ASSERT_EQ(request(port(), "POST", "/api/v1/telemetry", batch, truck.key).status, 202);
  ASSERT_EQ(watch.wait(), 0) << watch.out() << watch.err();

  const auto out = lines(watch.out());
  ASSERT_EQ(out.size(), 4u) << watch.out();
  const auto hello = boost::json::parse(out[0]).as_object();
  EXPECT_EQ(hello.at("type").as_string(), "hello");
  EXPECT_EQ(hello.at("tenant").as_string(), "org_a");
  const auto snapshot = boost::json::parse(out[1]).as_object();
  ASSERT_EQ(snapshot.at("devices").as_array().size(), 1u);
  EXPECT_EQ(snapshot.at("devices").as_array()[0].at("id").as_string(), truck.id);
  for (int i = 0; i < 2; ++i) {
    // One event per line.
    const auto t = boost::json::parse(out[2 + i]).as_object();
    EXPECT_EQ(t.at("type").as_string(), "telemetry");
    ASSERT_EQ(t.at("events").as_array().size(), 1u);
    const auto& e = t.at("events").as_array()[0];
    EXPECT_EQ(e.at("seq").as_int64(), i + 1);
    EXPECT_EQ(e.at("device").as_string(), truck.id);
    EXPECT_DOUBLE_EQ(e.at("lat").as_double(), 48.1 + 0.1 * i);
  }
}

// The event objects of a watch's telemetry lines, in order.
std::vector<boost::json::object> watched_events(const std::string& out) {
  std::vector<boost::json::object> events;
  for (const std::string& line : lines(out)) {
    const auto msg = boost::json::parse(line).as_object();
    if (msg.at("type").as_string() != "telemetry") continue;
    for (const auto& e : msg.at("events").as_array()) events.push_back(e.as_object());
  }
  return events;
}

TEST_F(FleetctlCli, WatchPrintsTheSameLinesWithTheCompactFormat) {
  const std::string admin = token("alice", "org_a");
  const NewDevice truck = create_device(port(), admin, "Truck 1");
  constexpr int kEvents = 6;
  Fleetctl json(
      {"--server", server.base_url(), "watch", "--token", admin, "--count", std::to_string(kEvents)});
  Fleetctl compact({"--server", server.base_url(), "watch", "--token", admin, "--count",
                    std::to_string(kEvents), "--format", "compact", "--flush-ms", "20"});
  ASSERT_TRUE(json.wait_for_stdout(R"("type":"snapshot")")) << json.out() << json.err();
  ASSERT_TRUE(compact.wait_for_stdout(R"("type":"snapshot")")) << compact.out() << compact.err();

  // Positions with seven decimals, optional fields and attributes, a negative dt inside the batch.
  const std::int64_t ts = now_ms();
  const std::string batch =
      "[" + std::string(R"({"lat":48.1234567,"lon":-2.1234567,"ts":)") + std::to_string(ts) + "}," +
      R"({"lat":-33.8688197,"lon":151.2092955,"speed_kph":42.5,"battery_pct":81,"attributes":{"door_open":false},"ts":)" +
      std::to_string(ts - 500) + "}," + R"({"lat":48.3,"lon":2.3,"altitude_m":-12.25,"ts":)" +
      std::to_string(ts + 2) + "}]";
  ASSERT_EQ(request(port(), "POST", "/api/v1/telemetry", batch, truck.key).status, 202);
  // A device created while both watch.
  const NewDevice van = create_device(port(), admin, "Van 2");
  for (int k = 0; k < 3; ++k) {
    const NewDevice& from = k == 1 ? truck : van;
    const std::string point = R"({"lat":52.5200066,"lon":13.404954,"heading_deg":)" + std::to_string(90 * k) +
                              R"(,"ts":)" + std::to_string(ts + 10 + k) + "}";
    ASSERT_EQ(request(port(), "POST", "/api/v1/telemetry", point, from.key).status, 202);
  }
  ASSERT_EQ(json.wait(), 0) << json.out() << json.err();
  ASSERT_EQ(compact.wait(), 0) << compact.out() << compact.err();

  // hello and snapshot lines are the same (the snapshot shows no index), and so are the events but for
  // positions rounded to 1e-6 degrees.
  const auto json_lines = lines(json.out());
  const auto compact_lines = lines(compact.out());
  ASSERT_EQ(compact_lines.size(), json_lines.size()) << compact.out();
  EXPECT_EQ(compact_lines[1], json_lines[1]);
  const auto want = watched_events(json.out());
  const auto got = watched_events(compact.out());
  ASSERT_EQ(want.size(), static_cast<std::size_t>(kEvents)) << json.out();
  ASSERT_EQ(got.size(), want.size()) << compact.out();
  for (std::size_t k = 0; k < want.size(); ++k) {
    SCOPED_TRACE(k);
    boost::json::object g = got[k];
    boost::json::object w = want[k];
    EXPECT_NEAR(g.at("lat").to_number<double>(), w.at("lat").to_number<double>(), 1e-6);
    EXPECT_NEAR(g.at("lon").to_number<double>(), w.at("lon").to_number<double>(), 1e-6);
    g.erase("lat");
    g.erase("lon");
    w.erase("lat");
    w.erase("lon");
    EXPECT_EQ(g, w);  // seq, device, ts, optional fields, attributes
  }
  EXPECT_EQ(want[3].at("device").as_string(), van.id);
  // Really compact: the seventh decimal is gone from the compact watcher's lines.
  EXPECT_EQ(compact.out().find("48.1234567"), std::string::npos) << compact.out();
  EXPECT_NE(json.out().find("48.1234567"), std::string::npos) << json.out();
}

TEST_F(FleetctlCli, WatchRefusesMalformedStreamOptions) {
  const std::string admin = token("alice", "org_a");
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--format", "xml"}, {"--flush-ms", "1001"}, {"--flush-ms", "-1"}, {"--flush-ms", "soon"}}) {
    std::vector<std::string> cmd = {"watch", "--token", admin};
    cmd.insert(cmd.end(), args.begin(), args.end());
    const Outcome r = ctl(cmd);
    EXPECT_EQ(r.code, 2) << r;
    EXPECT_NE(r.err.find(args[0]), std::string::npos) << r;
  }
  const Outcome help = ctl({"watch", "--help"});
  EXPECT_EQ(help.code, 0) << help;
  for (const char* flag : {"--format json|compact", "--flush-ms N", "--coalesce"})
    EXPECT_NE(help.out.find(flag), std::string::npos) << flag << help;
}

// A point of `device` at (lat, lon), now.
void publish_at(unsigned short port, const NewDevice& device, double lat, double lon) {
  const std::string point = R"({"lat":)" + std::to_string(lat) + R"(,"lon":)" + std::to_string(lon) +
                            R"(,"ts":)" + std::to_string(now_ms()) + "}";
  ASSERT_EQ(request(port, "POST", "/api/v1/telemetry", point, device.key).status, 202);
}

// The devices named by a line's `key` array ("devices" of a snapshot: their ids).
std::vector<std::string> ids_in(const boost::json::object& line, std::string_view key) {
  std::vector<std::string> out;
  for (const auto& v : line.at(key).as_array()) {
    out.emplace_back(v.is_object() ? v.at("id").as_string() : v.as_string());
  }
  return out;
}

TEST_F(FleetctlCli, WatchWithAViewPrintsOnlyWhatIsInView) {
  const std::string admin = token("alice", "org_a");
  const NewDevice inside = create_device(port(), admin, "Inside");
  const NewDevice outside = create_device(port(), admin, "Outside");
  const NewDevice followed = create_device(port(), admin, "Followed");
  publish_at(port(), inside, 48.85, 2.35);     // Paris, in the box
  publish_at(port(), outside, 52.52, 13.40);   // Berlin
  publish_at(port(), followed, 52.52, 13.41);  // Berlin too, but named
  Fleetctl watch({"--server", server.base_url(), "watch", "--token", admin, "--bbox", "2.25,48.81,2.42,48.90",
                  "--device", followed.id, "--count", "3"});
  ASSERT_TRUE(watch.wait_for_stdout(R"("type":"view_applied")")) << watch.out() << watch.err();

  publish_at(port(), outside, 52.53, 13.40);   // not printed
  publish_at(port(), inside, 48.86, 2.36);     // 1: in the box
  publish_at(port(), followed, 40.41, -3.70);  // 2: followed to Madrid
  ASSERT_TRUE(watch.wait_for_stdout(R"(-3.7)")) << watch.out() << watch.err();
  publish_at(port(), inside, 45.76, 4.83);  // leaves for Lyon: a view_change, no event
  ASSERT_TRUE(watch.wait_for_stdout(R"("left")")) << watch.out() << watch.err();
  publish_at(port(), outside, 48.87, 2.30);  // 3: enters the box
  ASSERT_EQ(watch.wait(), 0) << watch.out() << watch.err();

  // hello, the view's snapshot (the tenant's, which came first, is not printed), view_applied, then
  // the events in view and the view's changes.
  std::vector<boost::json::object> out;
  for (const std::string& line : lines(watch.out())) out.push_back(boost::json::parse(line).as_object());
  ASSERT_GE(out.size(), 3u) << watch.out();
  EXPECT_EQ(out[0].at("type").as_string(), "hello");
  ASSERT_EQ(out[1].at("type").as_string(), "snapshot") << watch.out();
  auto snapshot = ids_in(out[1], "devices");
  std::sort(snapshot.begin(), snapshot.end());
  std::vector<std::string> want{inside.id, followed.id};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(snapshot, want) << watch.out();
  EXPECT_EQ(out[2].at("type").as_string(), "view_applied") << watch.out();
  EXPECT_TRUE(out[2].at("unknown").as_array().empty()) << watch.out();

  std::vector<std::string> events, left, entered;
  for (std::size_t i = 3; i < out.size(); ++i) {
    const auto type = out[i].at("type").as_string();
    if (type == "telemetry") {
      for (const auto& e : out[i].at("events").as_array()) events.emplace_back(e.at("device").as_string());
    } else if (type == "view_change") {
      for (const auto& id : ids_in(out[i], "left")) left.push_back(id);
      for (const auto& id : ids_in(out[i], "entered")) entered.push_back(id);
    } else {
      ADD_FAILURE() << "unexpected line " << type << watch.out();
    }
  }
  EXPECT_EQ(events, (std::vector<std::string>{inside.id, followed.id, outside.id})) << watch.out();
  EXPECT_EQ(left, std::vector<std::string>{inside.id}) << watch.out();
  EXPECT_EQ(entered, std::vector<std::string>{outside.id}) << watch.out();
  EXPECT_EQ(watch.out().find("45.76"), std::string::npos) << "a position outside the view was printed";
  EXPECT_EQ(watch.out().find("52.53"), std::string::npos) << "a device outside the view was printed";
}

TEST_F(FleetctlCli, WatchRefusesMalformedViews) {
  const std::string admin = token("alice", "org_a");
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"--bbox", "2.25,48.81,2.42"},
                                             {"--bbox", "2.25,48.91,2.42,48.90"},
                                             {"--bbox", "200,0,1,1"},
                                             {"--device", "truck-7"},
                                             {"--group", "grp_1"},
                                             {"--min-interval-ms", "50"},
                                             {"--min-interval-ms", "often"}}) {
    std::vector<std::string> cmd = {"watch", "--token", admin};
    cmd.insert(cmd.end(), args.begin(), args.end());
    const Outcome r = ctl(cmd);
    EXPECT_EQ(r.code, 2) << r;
    EXPECT_NE(r.err.find(args[0]), std::string::npos) << r;
    EXPECT_EQ(r.out, "") << r;
  }
  const Outcome help = ctl({"watch", "--help"});
  EXPECT_EQ(help.code, 0) << help;
  for (const char* flag : {"--bbox W,S,E,N", "--device ID", "--group ID", "--min-interval-ms N"})
    EXPECT_NE(help.out.find(flag), std::string::npos) << flag << help;
}

TEST_F(FleetctlCli, WatchWithDevUserMintsItsOwnTokens) {
  const NewDevice truck = create_device(port(), token("admin", "org_w"), "Van");
  Fleetctl watch({"--server", server.base_url(), "watch", "--dev-user", "bob", "--dev-org", "org_w",
                  "--dev-role", "org:member", "--count", "1"});
  ASSERT_TRUE(watch.wait_for_stdout(R"("type":"snapshot")")) << watch.out() << watch.err();
  ASSERT_EQ(request(port(), "POST", "/api/v1/telemetry",
                    R"({"lat":1.5,"lon":2.5,"ts":)" + std::to_string(now_ms()) + "}", truck.key)
                .status,
            202);
  ASSERT_EQ(watch.wait(), 0) << watch.out() << watch.err();
  const auto out = lines(watch.out());
  ASSERT_EQ(out.size(), 3u) << watch.out();
  const auto hello = boost::json::parse(out[0]).as_object();
  EXPECT_EQ(hello.at("user").as_string(), "bob");
  EXPECT_EQ(hello.at("tenant").as_string(), "org_w");
  EXPECT_EQ(hello.at("role").as_string(), "org:member");
}

int occurrences(const std::string& text, std::string_view what) {
  int n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

TEST_F(FleetctlCli, WatchRefreshesDevTokensInBandBeforeTheyExpire) {
  const NewDevice truck = create_device(port(), token("admin", "org_w"), "Van");
  // Tokens of 3 s are refreshed every 2 s on the same socket: auth_ok lines, one hello, one snapshot.
  Fleetctl watch({"--server", server.base_url(), "watch", "--dev-user", "bob", "--dev-org", "org_w",
                  "--dev-ttl", "3", "--count", "1"});
  ASSERT_TRUE(watch.wait_for_stdout(R"("type":"auth_ok")", 3)) << watch.out() << watch.err();
  const std::string point = R"({"lat":1.5,"lon":2.5,"ts":)" + std::to_string(now_ms()) + "}";
  ASSERT_EQ(request(port(), "POST", "/api/v1/telemetry", point, truck.key).status, 202);
  ASSERT_EQ(watch.wait(), 0) << watch.out() << watch.err();
  EXPECT_EQ(occurrences(watch.out(), R"("type":"hello")"), 1) << watch.out();
  EXPECT_EQ(occurrences(watch.out(), R"("type":"snapshot")"), 1) << watch.out();
  EXPECT_EQ(occurrences(watch.out(), R"("type":"telemetry")"), 1) << watch.out();
  for (const std::string& line : lines(watch.out())) {
    const auto j = boost::json::parse(line).as_object();
    if (j.at("type").as_string() == "auth_ok")
      EXPECT_GT(j.at("token_exp").as_int64(), now_ms() / 1000 - 10) << line;
  }
  EXPECT_EQ(watch.err().find("connection closed"), std::string::npos) << watch.err();
}

TEST(FleetctlRestart, WatchResumesAfterTheServerRestarts) {
  TempDir dir;
  const std::string data_dir = dir.path() + "/data";
  auto server = std::make_unique<FleetdProcess>(std::vector<std::string>{"--dev"}, data_dir);
  const unsigned short port = server->port();
  const NewDevice truck = create_device(port, dev_token(port, "admin", "org_w"), "Van");
  auto publish = [&](double lat) {
    const std::string point =
        R"({"lon":2.5,"lat":)" + std::to_string(lat) + R"(,"ts":)" + std::to_string(now_ms()) + "}";
    return request(port, "POST", "/api/v1/telemetry", point, truck.key).status;
  };
  Fleetctl watch(
      {"--server", server->base_url(), "watch", "--dev-user", "bob", "--dev-org", "org_w", "--count", "2"});
  ASSERT_TRUE(watch.wait_for_stdout(R"("type":"snapshot")")) << watch.out() << watch.err();
  ASSERT_EQ(publish(1.5), 202);
  ASSERT_TRUE(watch.wait_for_stdout(R"("type":"telemetry")")) << watch.out() << watch.err();

  server->stop(SIGTERM);
  ASSERT_TRUE(watch.wait_for_stderr("connection closed: 1001")) << watch.out() << watch.err();
  server = std::make_unique<FleetdProcess>(
      std::vector<std::string>{"--dev", "--listen", "127.0.0.1:" + std::to_string(port)}, data_dir);
  ASSERT_EQ(publish(1.6), 202);  // replayed by the resume or streamed after it: either way exactly once
  ASSERT_EQ(watch.wait(), 0) << watch.out() << watch.err();

  const auto out = lines(watch.out());
  ASSERT_EQ(out.size(), 5u) << watch.out();
  const auto first = boost::json::parse(out[0]).as_object();
  EXPECT_EQ(first.at("type").as_string(), "hello");
  EXPECT_FALSE(first.contains("recovered"));
  const auto resumed = boost::json::parse(out[3]).as_object();
  EXPECT_EQ(resumed.at("type").as_string(), "hello") << watch.out();
  EXPECT_EQ(resumed.at("recovered"), boost::json::value(true)) << watch.out();
  EXPECT_EQ(resumed.at("epoch"), first.at("epoch")) << watch.out();
  EXPECT_EQ(resumed.at("seq").as_int64(), 1) << watch.out();
  const auto last = boost::json::parse(out[4]).as_object();
  EXPECT_EQ(last.at("type").as_string(), "telemetry");
  EXPECT_EQ(last.at("events").as_array()[0].at("seq").as_int64(), 2);
  EXPECT_EQ(occurrences(watch.out(), R"("type":"snapshot")"), 1) << watch.out();
}

TEST_F(FleetctlCli, LongRunningCommandsStopOnSigterm) {
  const std::string admin = token("alice", "org_a");
  Fleetctl watch({"--server", server.base_url(), "watch", "--token", admin});
  ASSERT_TRUE(watch.wait_for_stdout(R"("type":"snapshot")")) << watch.out() << watch.err();
  watch.signal(SIGTERM);
  EXPECT_EQ(watch.wait(), 0) << watch.out() << watch.err();

  Fleetctl simulate(
      {"--server", server.base_url(), "simulate", "--token", admin, "--vehicles", "1", "--rate", "10"});
  ASSERT_TRUE(simulate.wait_for_stderr("simulating 1 vehicle(s)")) << simulate.out() << simulate.err();
  simulate.signal(SIGTERM);
  EXPECT_EQ(simulate.wait(), 0) << simulate.out() << simulate.err();
  EXPECT_TRUE(simulate.out().starts_with("done ") || simulate.out().find("\ndone ") != std::string::npos)
      << simulate.out();
}

TEST_F(FleetctlCli, WatchFailsWhenTheServerRefusesTheToken) {
  const Outcome r = ctl({"watch", "--token", "not.a.jwt"});
  EXPECT_EQ(r.code, 1) << r;
  EXPECT_NE(r.err.find("fleetctl: the server refused the token (Invalid token)"), std::string::npos) << r;
}

TEST_F(FleetctlCli, WatchWithDevUserButNoOrganizationFails) {
  // A fresh dev token cannot fix "No organization": fleetctl must say so, not reconnect forever.
  const Outcome r = ctl({"watch", "--dev-user", "alice"});
  EXPECT_EQ(r.code, 1) << r;
  EXPECT_NE(r.err.find("fleetctl: the server refused a new dev token (No organization)"), std::string::npos)
      << r;
}

TEST_F(FleetctlCli, SimulateDrivesVehiclesAndReusesTheirKeys) {
  const std::string admin = token("alice", "org_a");
  TempDir dir;
  const std::string keys = dir.path() + "/keys.json";
  const Outcome r = ctl({"simulate", "--token", admin, "--vehicles", "2", "--rate", "5", "--duration", "2",
                         "--seed", "7", "--keys-file", keys, "--name-prefix", "t-", "--city", "sydney"});
  ASSERT_EQ(r.code, 0) << r;
  ASSERT_FALSE(lines(r.out).empty()) << r;
  EXPECT_TRUE(lines(r.out).back().starts_with("done ")) << r;
  EXPECT_NE(r.out.find(" errors=0 "), std::string::npos) << r;

  // Device keys are secrets: owner-only.
  struct stat st;
  ASSERT_EQ(::stat(keys.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::ifstream in(keys);
  std::stringstream text;
  text << in.rdbuf();
  const auto saved = boost::json::parse(text.str()).as_array();
  ASSERT_EQ(saved.size(), 2u) << text.str();

  auto list = devices(admin);
  ASSERT_EQ(list.size(), 2u);
  for (const auto& d : list) {
    const std::string name(d.at("name").as_string());
    EXPECT_TRUE(name == "t-1" || name == "t-2") << name;
    ASSERT_TRUE(d.at("last").is_object()) << name << " sent nothing";
    // Around Sydney's centre (-33.8688, 151.2093), within a few km.
    EXPECT_NEAR(d.at("last").at("lat").as_double(), -33.8688, 0.05) << name;
    EXPECT_NEAR(d.at("last").at("lon").as_double(), 151.2093, 0.05) << name;
  }

  // A second run reuses the saved keys: no token needed, no new device.
  const Outcome again =
      ctl({"simulate", "--vehicles", "2", "--rate", "5", "--duration", "1", "--keys-file", keys});
  ASSERT_EQ(again.code, 0) << again;
  EXPECT_EQ(devices(admin).size(), 2u);
}

TEST_F(FleetctlCli, ServerErrorsExit1WithTheServersMessage) {
  const Outcome bad_key = ctl({"publish", "--key", "fk_bogus", "--lat", "1", "--lon", "2"});
  EXPECT_EQ(bad_key.code, 1) << bad_key;
  EXPECT_TRUE(bad_key.err.starts_with("fleetctl: server answered 401 unauthorized")) << bad_key;
  EXPECT_EQ(bad_key.out, "");

  const NewDevice truck = create_device(port(), token("alice", "org_a"), "Truck 1");
  const Outcome bad_point = ctl({"publish", "--key", truck.key, "--lat", "95", "--lon", "2"});
  EXPECT_EQ(bad_point.code, 1) << bad_point;
  EXPECT_NE(bad_point.err.find("server answered 400 invalid_point"), std::string::npos) << bad_point;
  EXPECT_NE(bad_point.err.find("(field lat)"), std::string::npos) << bad_point;

  const Outcome member = ctl({"devices", "add", "Truck 2", "--token", token("bob", "org_a", "org:member")});
  EXPECT_EQ(member.code, 1) << member;
  EXPECT_NE(member.err.find("server answered 403 forbidden"), std::string::npos) << member;
}

TEST(FleetctlOffline, UnreachableServerExits1) {
  RefusingPort nobody;
  const Outcome r = run({"--server", nobody.url(), "token", "--user", "alice"});
  EXPECT_EQ(r.code, 1) << r;
  EXPECT_TRUE(r.err.starts_with("fleetctl: ")) << r;
  EXPECT_EQ(r.out, "");
  const Outcome list = run({"--server", nobody.url(), "devices", "list", "--token", "t"});
  EXPECT_EQ(list.code, 1) << list;
  EXPECT_NE(list.err.find(nobody.url()), std::string::npos) << list;
}

TEST(FleetctlOffline, UsageErrorsExit2WithAMessage) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const Case cases[] = {
      {{"frobnicate"}, "fleetctl: unknown command frobnicate"},
      {{"--verbose", "token"}, "fleetctl: unknown global flag --verbose"},
      {{"--server"}, "fleetctl: --server needs a value"},
      {{"--server", "--help", "token"}, "fleetctl: --server needs a value"},
      {{"token"}, "fleetctl: token: --user is required"},
      {{"token", "--user"}, "fleetctl: token: --user needs a value"},
      {{"token", "--user", "--org", "org_a"}, "fleetctl: token: --user needs a value"},
      {{"token", "--user", "alice", "org_a"}, "fleetctl: token: unexpected argument org_a"},
      {{"token", "--user", "alice", "--ttl", "0"}, "fleetctl: --ttl must be in 1..86400"},
      {{"token", "--user", "alice", "--nope"}, "fleetctl: token: unknown flag --nope"},
      {{"devices", "list"}, "fleetctl: devices: --token (or $FLEET_TOKEN) is required"},
      {{"devices", "rename", "--token", "t"}, "fleetctl: devices: expected list, add NAME or remove ID"},
      {{"devices", "list", "extra", "--token", "t"},
       "fleetctl: devices: expected list, add NAME or remove ID"},
      {{"publish", "--lat", "1", "--lon", "2"},
       "fleetctl: publish: --key (or $FLEET_DEVICE_KEY) is required"},
      {{"publish", "--key", "k", "--lat", "1", "--lon", "2", "3"},
       "fleetctl: publish: unexpected argument 3"},
      {{"publish", "--key", "k", "--lat", "abc", "--lon", "2"},
       "fleetctl: --lat must be a number, got \"abc\""},
      {{"publish", "--key", "k", "--lat", "1"},
       "fleetctl: publish: --lat and --lon (or --file) are required"},
      {{"watch", "--token", "t", "--count", "0"}, "fleetctl: --count must be at least 1"},
      {{"watch"}, "fleetctl: watch: --token (or $FLEET_TOKEN, or --dev-user) is required"},
      {{"watch", "--token", "t", "now"}, "fleetctl: watch: unexpected argument now"},
      {{"simulate", "berlin"}, "fleetctl: simulate: unexpected argument berlin"},
      {{"simulate", "--vehicles", "many"}, "fleetctl: --vehicles must be an integer, got \"many\""},
      {{"simulate", "--city", "atlantis"}, "fleetctl: unknown --city atlantis"},
      {{"simulate", "--rate", "0"}, "fleetctl: --rate must be in (0, 100]"},
      {{"simulate", "--connections", "0"}, "fleetctl: --connections must be at least 1"},
      {{"simulate", "--duration", "-1"}, "fleetctl: --duration must not be negative (0: until a signal)"},
      {{"devices", "list", "--token="}, "fleetctl: devices: --token (or $FLEET_TOKEN) is required"},
      {{"publish", "--key=", "--lat", "1", "--lon", "2"},
       "fleetctl: publish: --key (or $FLEET_DEVICE_KEY) is required"},
      {{"publish", "--key", "k", "--file", "-", "--lat", "1"},
       "fleetctl: publish: --lat cannot be combined with --file"},
      {{"simulate", "--vehicles", "1", "--token="},
       "fleetctl: simulate: --token (admin) is required to create 1 device(s)"},
  };
  RefusingPort nobody;  // nothing may be sent anywhere, but if it were, it fails fast
  for (const Case& c : cases) {
    std::vector<std::string> args = c.args;
    const Outcome r = run(args, {"FLEET_SERVER=" + nobody.url()});
    std::string command_line;
    for (const std::string& a : args) command_line += " " + a;
    EXPECT_EQ(r.code, 2) << "fleetctl" << command_line << r;
    EXPECT_TRUE(r.err.starts_with(c.message)) << "fleetctl" << command_line << "\nwant: " << c.message << r;
    EXPECT_EQ(lines(r.err).size(), 1u) << r;
  }
}

TEST(FleetctlOffline, Help) {
  const Outcome top = run({"--help"});
  EXPECT_EQ(top.code, 0) << top;
  for (const char* cmd : {"token", "watch", "devices", "publish", "simulate"}) {
    EXPECT_NE(top.out.find(std::string("\n  ") + cmd + " "), std::string::npos) << cmd << top;
  }
  const Outcome publish = run({"publish", "--help"});
  EXPECT_EQ(publish.code, 0) << publish;
  EXPECT_TRUE(publish.out.starts_with("usage: fleetctl [--server URL] publish")) << publish;
  EXPECT_NE(publish.out.find("--key K"), std::string::npos) << publish;
  EXPECT_NE(publish.out.find("--server URL"), std::string::npos) << publish;
  // No command at all: the help, but as a usage error.
  const Outcome none = run({});
  EXPECT_EQ(none.code, 2) << none;
  EXPECT_NE(none.out.find("commands:"), std::string::npos) << none;
}

}  // namespace
}  // namespace fleet::testing
