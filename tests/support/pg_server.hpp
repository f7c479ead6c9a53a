#pragma once
// A throwaway PostgreSQL 15 for tests: a data dir in a temp dir (a copy of one initdb made once per
// machine and user, see template_dir()), a server on 127.0.0.1 and a free port (its
// unix socket inside the temp dir), stopped and removed with the object. One server per test binary
// (PgServer::shared()), a fresh database per test (create_database()), so tests stay independent and
// fast. Fault tests stop, kill, pause and restart it on the same data dir and port.
//
// Run as root (as our CI does), the server runs as the `postgres` user: initdb refuses root. Every local
// user is trusted except kPasswordUser, who must give kPassword (for the bad-credentials tests).
// fsync=off: a crash of the machine is not what these tests are about; a crash of the server is, and
// synchronous_commit stays on, so an acknowledged commit survives kill9().
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "eventually.hpp"
#include "loopback_port.hpp"
#include "store/pg_conn.hpp"

namespace fleet::testing {

class PgServer {
 public:
  static constexpr const char* kBin = "/usr/lib/postgresql/15/bin/";
  static constexpr const char* kPasswordUser = "fleet_pw";
  static constexpr const char* kPassword = "s3cret-Pa55word";

  // The test binary's server, started at first use; stopped and removed when the binary exits.
  static PgServer& shared() {
    static PgServer server;
    return server;
  }

  // A fresh data dir and a started server; throws std::runtime_error (with the logs) on failure.
  PgServer() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "fleet_pg_XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    data_ = dir_ / "data";
    if (::geteuid() == 0) {
      const passwd* pw = ::getpwnam("postgres");
      if (pw == nullptr) throw std::runtime_error("running as root, but there is no postgres user");
      as_user_ = "runuser -u postgres -- ";
      if (::chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) throw std::runtime_error("chown failed");
      uid_ = pw->pw_uid;
      gid_ = pw->pw_gid;
    }
    run("cp -a " + template_dir(as_user_) + " " + data_.string(), "copy the template data dir");
    {
      std::ofstream hba(data_ / "pg_hba.conf", std::ios::trunc);
      hba << "local all all trust\n"
          << "host all " << kPasswordUser << " 127.0.0.1/32 scram-sha-256\n"
          << "host all all 127.0.0.1/32 trust\n";
    }
    if (uid_ >= 0 &&
        ::chown((data_ / "pg_hba.conf").c_str(), static_cast<uid_t>(uid_), static_cast<gid_t>(gid_)) != 0) {
      throw std::runtime_error("chown failed");
    }
    const int fd = bind_loopback(port_);
    if (fd < 0) throw std::runtime_error("no free loopback port");
    ::close(fd);  // postgres binds it right away
    watch_this_process();
    start();
    admin("CREATE ROLE " + std::string(kPasswordUser) + " LOGIN PASSWORD '" + kPassword + "'");
  }

  ~PgServer() {
    stop_immediate();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  PgServer(const PgServer&) = delete;
  PgServer& operator=(const PgServer&) = delete;

  unsigned short port() const noexcept { return port_; }

  // postgresql://<user>@127.0.0.1:<port>/<db>
  std::string uri(const std::string& db = "postgres", const std::string& user = "postgres") const {
    return "postgresql://" + user + "@127.0.0.1:" + std::to_string(port_) + "/" + db;
  }

  // A new, empty database with a name no other test of this binary gets; returns the name.
  std::string create_database(const std::string& prefix = "t") {
    static std::atomic<int> next{0};
    const std::string name = prefix + "_" + std::to_string(::getpid()) + "_" + std::to_string(next++);
    // FILE_COPY: with fsync off, copying template1's files beats WAL-logging every page (~0.15 s vs 0.3 s).
    admin("CREATE DATABASE " + name + " STRATEGY FILE_COPY");
    return name;
  }

  // Runs `sql` in database `db` as the superuser; throws on failure.
  void admin(const std::string& sql, const std::string& db = "postgres") const {
    auto conn = store::PgConn::connect(uri(db));
    if (!conn) throw std::runtime_error(conn.error().message);
    if (auto r = (*conn)->exec(sql.c_str()); !r) throw std::runtime_error(sql + ": " + r.error().message);
  }

  // Starts the server (again) on the same data dir and port; waits until it accepts connections.
  void start() {
    run(std::string(kBin) + "pg_ctl -D " + data_.string() + " -l " + (dir_ / "server.log").string() +
            " -w -t 60 -o \"-p " + std::to_string(port_) + " -k " + dir_.string() +
            " -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=200\" "
            "start",
        "pg_ctl start");
  }

  // A clean, fast shutdown: sessions are told so and disconnected.
  void stop_fast() {
    run(std::string(kBin) + "pg_ctl -D " + data_.string() + " -m fast -w stop", "pg_ctl stop");
  }

  // SIGKILL to the postmaster and every backend, as a crash of the machine's database would; returns once
  // they are gone (start() then recovers from the WAL).
  void kill9() {
    const std::vector<pid_t> pids = server_pids();
    for (pid_t p : pids) ::kill(p, SIGKILL);
    for (pid_t p : pids) {
      if (!eventually([p] { return !alive(p); })) throw std::runtime_error("postgres survived SIGKILL");
    }
    // Stale now, but a killed postmaster that nobody reaps stays a zombie, and a zombie's pid (in the
    // data dir's and the socket's lock files) still looks alive to the next postmaster, which refuses.
    const std::string socket = ".s.PGSQL." + std::to_string(port_);
    for (const auto& lock : {data_ / "postmaster.pid", dir_ / (socket + ".lock"), dir_ / socket}) {
      std::error_code ec;
      std::filesystem::remove(lock, ec);
    }
  }

  // SIGSTOP / SIGCONT to the postmaster and every backend: a server that hangs with its connections open
  // (the kernel still accepts and acknowledges; nothing answers).
  void pause() {
    for (pid_t p : server_pids()) ::kill(p, SIGSTOP);
  }
  void resume() {
    for (pid_t p : server_pids()) ::kill(p, SIGCONT);
  }

 private:
  void run(const std::string& cmd, const char* what) const {
    const std::string full = as_user_ + cmd + " >>" + (dir_ / "tools.log").string() + " 2>&1";
    if (std::system(full.c_str()) != 0) {
      std::ifstream log(dir_ / "server.log");
      std::ifstream tools(dir_ / "tools.log");
      std::string text((std::istreambuf_iterator<char>(tools)), std::istreambuf_iterator<char>());
      text.append((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
      throw std::runtime_error(std::string(what) + " failed:\n" + text);
    }
  }

  // A test binary that dies without running destructors (an abort, a ctest timeout's SIGKILL) must not
  // leave its server running: a detached shell stops it and removes the dir once this process is gone.
  void watch_this_process() const {
    const std::string stop = as_user_ + kBin + "pg_ctl -D " + data_.string() + " -m immediate stop";
    const std::string cmd = "setsid sh -c 'while kill -0 " + std::to_string(::getpid()) +
                            " 2>/dev/null; do sleep 1; done; " + stop + "; rm -rf " + dir_.string() +
                            "' </dev/null >/dev/null 2>&1 &";
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("cannot start the server's watchdog");
  }

  // A data dir made by initdb once per machine and user (initdb takes ~0.5 s; a copy ~0.05 s), under a
  // lock so parallel test processes make it once. Nothing in it is per-server: pg_hba.conf and the
  // options are written and given after the copy.
  static std::string template_dir(const std::string& as_user) {
    const std::string base =
        (std::filesystem::temp_directory_path() / ("fleet_pg15_template_" + std::to_string(::geteuid())))
            .string();
    const std::string data = base + "/data";
    const int lock = ::open((base + ".lock").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
    if (lock < 0 || ::flock(lock, LOCK_EX) != 0) throw std::runtime_error("cannot lock " + base + ".lock");
    std::error_code ec;
    if (!std::filesystem::exists(data + "/PG_VERSION", ec)) {
      std::filesystem::remove_all(base, ec);
      std::filesystem::create_directories(base, ec);
      if (!as_user.empty()) {
        const passwd* pw = ::getpwnam("postgres");
        if (pw == nullptr || ::chown(base.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
          ::close(lock);
          throw std::runtime_error("cannot chown " + base);
        }
      }
      const std::string cmd = as_user + kBin + "initdb -D " + data +
                              ".tmp -A trust -U postgres --no-sync -E UTF8 --locale=C >/dev/null 2>&1";
      // Made under another name and renamed, so a killed initdb never leaves a template that looks done.
      if (std::system(cmd.c_str()) != 0 || std::rename((data + ".tmp").c_str(), data.c_str()) != 0) {
        ::close(lock);
        throw std::runtime_error("initdb failed (" + cmd + ")");
      }
    }
    ::close(lock);  // releases the lock
    return data;
  }

  void stop_immediate() {
    if (postmaster_pid() > 0) {
      const std::string cmd =
          as_user_ + kBin + "pg_ctl -D " + data_.string() + " -m immediate -w stop >/dev/null 2>&1";
      (void)std::system(cmd.c_str());
    }
  }

  // The postmaster and its children (backends and auxiliary processes), or nothing when it is not running.
  std::vector<pid_t> server_pids() const {
    const pid_t master = postmaster_pid();
    if (master <= 0) return {};
    std::vector<pid_t> pids{master};
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
      const std::string name = entry.path().filename().string();
      if (name.find_first_not_of("0123456789") != std::string::npos) continue;
      std::ifstream stat(entry.path() / "stat");
      std::string line;
      std::getline(stat, line);
      const auto close = line.rfind(')');
      if (close == std::string::npos) continue;
      char state = 0;
      int ppid = 0;
      if (std::sscanf(line.c_str() + close + 1, " %c %d", &state, &ppid) == 2 && ppid == master) {
        pids.push_back(static_cast<pid_t>(std::stoi(name)));
      }
    }
    return pids;
  }

  pid_t postmaster_pid() const {
    std::ifstream pidfile(data_ / "postmaster.pid");
    long pid = 0;
    if (!(pidfile >> pid) || pid <= 0 || !alive(static_cast<pid_t>(pid))) return 0;
    return static_cast<pid_t>(pid);
  }

  // Running, and not a zombie (in a container nobody may reap the orphaned postmaster).
  static bool alive(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) return false;
    const auto close = line.rfind(')');
    return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z';
  }

  std::filesystem::path dir_;
  std::filesystem::path data_;
  std::string as_user_;  // "runuser -u postgres -- " when root
  long uid_ = -1;
  long gid_ = -1;
  unsigned short port_ = 0;
};

}  // namespace fleet::testing
