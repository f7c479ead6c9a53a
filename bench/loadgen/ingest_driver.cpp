#include "ingest_driver.hpp"

#include <cmath>
#include <deque>
#include <mutex>
#include <stdexcept>

#include <sys/prctl.h>

#include "clock.hpp"
#include "event_loop.hpp"
#include "http.hpp"
#include "telemetry_wire.hpp"

namespace loadgen {

IngestTotals IngestTotals::since(const IngestTotals& earlier) const {
  IngestTotals d;
  d.requests_ok = requests_ok - earlier.requests_ok;
  d.points_ok = points_ok - earlier.points_ok;
  d.requests_failed = requests_failed - earlier.requests_failed;
  d.connection_failures = connection_failures - earlier.connection_failures;
  d.batches_dropped = batches_dropped - earlier.batches_dropped;
  d.points_per_tenant.resize(points_per_tenant.size());
  for (std::size_t t = 0; t < points_per_tenant.size(); ++t) {
    d.points_per_tenant[t] =
        points_per_tenant[t] - (t < earlier.points_per_tenant.size() ? earlier.points_per_tenant[t] : 0);
  }
  d.points_per_device.resize(points_per_device.size());
  for (std::size_t i = 0; i < points_per_device.size(); ++i) {
    d.points_per_device[i] =
        points_per_device[i] - (i < earlier.points_per_device.size() ? earlier.points_per_device[i] : 0);
  }
  d.ack_latency = ack_latency.since(earlier.ack_latency);
  return d;
}

class IngestDriver::Loop final : public HttpConnection::Listener {
 public:
  Loop(std::vector<Endpoint> servers, const SourceAddresses& sources, std::vector<DeviceKey> devices,
       int tenants, int connections, int batch)
      : servers_(std::move(servers)),
        devices_(interleave(std::move(devices), tenants)),
        batch_(batch),
        points_per_tenant_(static_cast<std::size_t>(tenants)),
        points_per_device_(devices_.size()) {
    if (devices_.empty()) throw std::invalid_argument("the ingest driver needs at least one device");
    if (servers_.empty()) throw std::invalid_argument("the ingest driver needs at least one server");
    for (int i = 0; i < connections; ++i) {
      const auto id = static_cast<std::size_t>(i);
      connections_.push_back(
          std::make_unique<HttpConnection>(loop_, server_of(id), sources.pick(id), *this, id));
    }
    in_flight_.resize(connections_.size());
    was_connected_.resize(connections_.size());
  }

  void run() {
    // Batches are due at exact times and each carries its due time as t0: the default 50 us of timer
    // slack would add up to that much to every measured latency.
    prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    for (auto& c : connections_) c->connect();
    std::int64_t origin_ns = 0;
    double rate = 0;
    std::uint64_t next = 0, generation = 0;
    while (!stop_) {
      // Taken out first: connect() may fail at once and put the connection back into broken_.
      const std::int64_t now_us = mono_us();
      due_.clear();
      std::erase_if(broken_, [&](const Broken& b) {
        if (b.retry_at_us > now_us) return false;
        due_.push_back(b.connection);
        return true;
      });
      for (auto* c : due_) c->connect();

      const std::int64_t now = mono_ns();
      if (auto g = rate_generation_.load(); g != generation) {
        if (rate > 0) {
          // Batches more than a millisecond overdue were never sent: the connections were all busy.
          const std::uint64_t overdue = due(now - 1'000'000, origin_ns, rate);
          batches_dropped_.add(overdue - std::min(next, overdue));
        }
        generation = g;
        rate = rate_.load();
        origin_ns = now;
        next = 0;
      }
      std::chrono::nanoseconds timeout = std::chrono::milliseconds(2);
      if (closed_loop_) {
        while (!idle_.empty()) send_batch(mono_us());
      } else if (rate > 0) {
        const double batch_interval_ns = batch_ * 1e9 / rate;
        const std::uint64_t due_now = due(now, origin_ns, rate);
        while (next < due_now && !idle_.empty()) {
          auto scheduled_ns =
              origin_ns + static_cast<std::int64_t>(static_cast<double>(next + 1) * batch_interval_ns);
          send_batch(scheduled_ns / 1000);
          ++next;
        }
        if (next >= due_now) {
          auto next_ns =
              origin_ns + static_cast<std::int64_t>(static_cast<double>(next + 1) * batch_interval_ns);
          timeout = std::chrono::nanoseconds(std::max<std::int64_t>(0, next_ns - mono_ns()));
        }
        // else: batches are due but every connection is busy; wait for a response.
      }
      loop_.poll(std::min<std::chrono::nanoseconds>(timeout, std::chrono::milliseconds(2)));
    }
    connections_.clear();
  }

  // Listener
  void on_connected(HttpConnection& c) override {
    idle_.push_back(&c);
    was_connected_[c.id()] = 1;
    connected_.fetch_add(1);
  }

  void on_response(HttpConnection& c, const HttpResponse& r) override {
    const InFlight& f = in_flight_[c.id()];
    ack_.record(static_cast<std::uint64_t>(mono_us() - f.sent_us));
    if (r.status == 202) {
      requests_ok_.add();
      points_ok_.add(f.points);
      points_per_tenant_[static_cast<std::size_t>(f.tenant_index)].add(f.points);
      points_per_device_[f.device].add(f.points);
    } else {
      requests_failed_.add();
      std::lock_guard lock(error_mu_);
      last_error_ = "HTTP " + std::to_string(r.status) + " " + r.body;
    }
    idle_.push_back(&c);
  }

  void on_failure(HttpConnection& c, std::string_view why, bool request_lost) override {
    if (request_lost) {
      connection_failures_.add();
      std::lock_guard lock(error_mu_);
      last_error_ = "connection: " + std::string(why);
    }
    std::erase(idle_, &c);
    // A connection the server closed is opened again at once; a connect that failed (the server is down,
    // e.g. restarting in the storm scenario) is retried after a pause instead of in a busy loop that
    // would take a CPU from the server that is starting.
    const bool refused = !was_connected_[c.id()];
    was_connected_[c.id()] = 0;
    broken_.push_back({&c, refused ? mono_us() + kConnectRetryUs : 0});
  }

  IngestTotals totals() const {
    IngestTotals t;
    t.requests_ok = requests_ok_.get();
    t.points_ok = points_ok_.get();
    t.requests_failed = requests_failed_.get();
    t.connection_failures = connection_failures_.get();
    t.batches_dropped = batches_dropped_.get();
    for (const auto& c : points_per_tenant_) t.points_per_tenant.push_back(c.get());
    t.points_per_device.reserve(points_per_device_.size());
    for (const auto& c : points_per_device_) t.points_per_device.push_back(c.get());
    ack_.snapshot_into(t.ack_latency);
    return t;
  }

  const std::vector<DeviceKey>& devices() const { return devices_; }

  std::string last_error() const {
    std::lock_guard lock(error_mu_);
    return last_error_;
  }

  std::atomic<bool> stop_{false};
  std::atomic<bool> closed_loop_{false};
  std::atomic<double> rate_{0};
  std::atomic<std::uint64_t> rate_generation_{0};
  std::atomic<std::size_t> connected_{0};
  std::size_t connection_count() const { return connections_.size(); }

 private:
  // A failed connect is retried this much later.
  static constexpr std::int64_t kConnectRetryUs = 20'000;

  struct Broken {
    HttpConnection* connection;
    std::int64_t retry_at_us;
  };

  struct InFlight {
    std::int64_t sent_us = 0;
    int tenant_index = 0;
    std::uint64_t points = 0;
    std::size_t device = 0;  // index in devices_
  };

  static std::vector<DeviceKey> interleave(std::vector<DeviceKey> devices, int tenants) {
    std::vector<std::vector<DeviceKey>> by_tenant(static_cast<std::size_t>(tenants));
    for (auto& d : devices) by_tenant.at(static_cast<std::size_t>(d.tenant_index)).push_back(std::move(d));
    std::vector<DeviceKey> out;
    for (std::size_t round = 0; out.size() < devices.size(); ++round) {
      for (auto& group : by_tenant) {
        if (round < group.size()) out.push_back(std::move(group[round]));
      }
    }
    return out;
  }

  // How many batches are due by now: batch k (from 0) is due at origin + (k + 1) * batch / rate.
  std::uint64_t due(std::int64_t now_ns, std::int64_t origin_ns, double rate) const {
    if (now_ns <= origin_ns) return 0;
    return static_cast<std::uint64_t>(
        std::floor(static_cast<double>(now_ns - origin_ns) * rate / batch_ / 1e9));
  }

  void send_batch(std::int64_t t0_us) {
    HttpConnection* c = idle_.front();
    idle_.pop_front();
    const std::size_t index = device_cursor_ % devices_.size();
    const DeviceKey& device = devices_[index];
    const std::string body = build_ingest_body(static_cast<std::size_t>(batch_), t0_us, device.tenant_index,
                                               device_cursor_, device.home ? &*device.home : nullptr);
    ++device_cursor_;
    in_flight_[c->id()] = {mono_us(), device.tenant_index, static_cast<std::uint64_t>(batch_), index};
    c->send(build_http_request("POST", "/api/v1/telemetry", server_of(c->id()), device.key, body));
  }

  const Endpoint& server_of(std::size_t connection) const { return servers_[connection % servers_.size()]; }

  const std::vector<Endpoint> servers_;  // fixed before any connection refers to one of them
  std::vector<DeviceKey> devices_;
  int batch_;
  EventLoop loop_;
  std::vector<std::unique_ptr<HttpConnection>> connections_;
  std::vector<InFlight> in_flight_;
  std::deque<HttpConnection*> idle_;  // FIFO: every connection stays in use
  std::vector<Broken> broken_;
  std::vector<HttpConnection*> due_;  // scratch: broken connections due for another connect
  std::vector<char> was_connected_;   // per connection: connected since its last failure
  std::uint64_t device_cursor_ = 0;

  Counter requests_ok_, points_ok_, requests_failed_, connection_failures_, batches_dropped_;
  std::vector<Counter> points_per_tenant_;
  std::vector<Counter> points_per_device_;
  LatencyRecorder ack_;
  mutable std::mutex error_mu_;
  std::string last_error_;
};

IngestDriver::IngestDriver(const Endpoint& server, const SourceAddresses& sources,
                           std::vector<DeviceKey> devices, int tenants, int connections, int batch)
    : IngestDriver(std::vector<Endpoint>{server}, sources, std::move(devices), tenants, connections, batch) {}

IngestDriver::IngestDriver(std::vector<Endpoint> servers, const SourceAddresses& sources,
                           std::vector<DeviceKey> devices, int tenants, int connections, int batch)
    : loop_(std::make_unique<Loop>(std::move(servers), sources, std::move(devices), tenants, connections,
                                   batch)) {}

IngestDriver::~IngestDriver() {
  loop_->stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void IngestDriver::start() {
  thread_ = std::thread([this] { loop_->run(); });
  const std::int64_t deadline = mono_us() + 10'000'000;
  while (loop_->connected_.load() < loop_->connection_count()) {
    if (mono_us() > deadline)
      throw std::runtime_error("ingest connections did not connect: " + loop_->last_error());
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

void IngestDriver::set_rate(double points_per_second) {
  loop_->closed_loop_ = false;
  loop_->rate_ = points_per_second;
  loop_->rate_generation_.fetch_add(1);
}

void IngestDriver::run_closed_loop(bool on) {
  set_rate(0);
  loop_->closed_loop_ = on;
}

IngestTotals IngestDriver::totals() const { return loop_->totals(); }
const std::vector<DeviceKey>& IngestDriver::devices() const { return loop_->devices(); }
std::string IngestDriver::last_error() const { return loop_->last_error(); }

}  // namespace loadgen
