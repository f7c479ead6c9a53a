#include "cluster/nats_bus.hpp"

#include <chrono>
#include <utility>

#include "cluster/cluster_metrics.hpp"
#include "obs/log.hpp"
#include "obs/thread_name.hpp"

namespace fleet::cluster {

// Lives on the heap until libnats says the subscription is closed and its handler has returned
// (natsSubscription_SetOnCompleteCB), so the delivery thread never touches freed memory.
struct NatsBus::Receiver {
  std::mutex mu;
  std::condition_variable done_cv;
  Handler handler;
  bool complete = false;
};

namespace {

void on_disconnected(natsConnection* /*nc*/, void* /*closure*/) {
  ClusterMetrics::get().bus_connected.set(0);
  obs::warn("bus disconnected; reconnecting");
}

void on_reconnected(natsConnection* /*nc*/, void* /*closure*/) {
  ClusterMetrics& m = ClusterMetrics::get();
  m.bus_connected.set(1);
  m.bus_reconnects.inc();
  obs::info("bus reconnected");
}

void on_closed(natsConnection* /*nc*/, void* /*closure*/) { ClusterMetrics::get().bus_connected.set(0); }

std::string nats_error(natsStatus s) { return natsStatus_GetText(s); }

}  // namespace

std::string redact_bus_url(std::string_view url) {
  std::string out;
  while (true) {
    const auto comma = url.find(',');
    std::string_view one = url.substr(0, comma);
    const auto scheme = one.find("://");
    const auto host_from = scheme == std::string_view::npos ? 0 : scheme + 3;
    const auto at = one.find('@', host_from);
    if (at != std::string_view::npos) {
      out.append(one.substr(0, host_from));
      out.append(one.substr(at + 1));
    } else {
      out.append(one);
    }
    if (comma == std::string_view::npos) return out;
    out += ',';
    url.remove_prefix(comma + 1);
  }
}

Result<std::unique_ptr<NatsBus>> NatsBus::connect(const std::string& url, const std::string& name,
                                                  NatsBusOptions options) {
  const std::string shown = redact_bus_url(url);
  auto fail = [&](const std::string& why) {
    return make_error(ErrorCode::unavailable, "cannot connect to the bus at " + shown + ": " + why);
  };
  if (url.rfind("nats://", 0) != 0 && url.rfind("tls://", 0) != 0)
    return fail("the URL must start with nats://");

  natsOptions* opts = nullptr;
  natsStatus s = natsOptions_Create(&opts);
  if (s == NATS_OK) s = natsOptions_SetServers(opts, nullptr, 0);
  if (s == NATS_OK) s = natsOptions_SetURL(opts, url.c_str());
  if (s == NATS_OK) s = natsOptions_SetName(opts, name.c_str());
  if (s == NATS_OK) s = natsOptions_SetTimeout(opts, options.connect_timeout_ms);
  if (s == NATS_OK) s = natsOptions_SetAllowReconnect(opts, true);
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts, -1);  // forever
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(opts, options.reconnect_wait_ms);
  if (s == NATS_OK) s = natsOptions_SetReconnectJitter(opts, 50, 50);
  if (s == NATS_OK) s = natsOptions_SetReconnectBufSize(opts, options.reconnect_buffer_bytes);
  if (s == NATS_OK) s = natsOptions_SetPingInterval(opts, options.ping_interval_ms);
  if (s == NATS_OK) s = natsOptions_SetMaxPingsOut(opts, options.max_pings_out);
  if (s == NATS_OK) s = natsOptions_SetNoEcho(opts, true);  // our own batches were offered locally
  if (s == NATS_OK) s = natsOptions_SetDisconnectedCB(opts, on_disconnected, nullptr);
  if (s == NATS_OK) s = natsOptions_SetReconnectedCB(opts, on_reconnected, nullptr);
  if (s == NATS_OK) s = natsOptions_SetClosedCB(opts, on_closed, nullptr);
  if (s != NATS_OK) {
    natsOptions_Destroy(opts);
    return fail(nats_error(s));  // a malformed URL is refused here
  }
  natsConnection* conn = nullptr;
  s = natsConnection_Connect(&conn, opts);
  if (s != NATS_OK) {
    natsConnection_Destroy(conn);
    natsOptions_Destroy(opts);
    return fail(nats_error(s));
  }
  ClusterMetrics::get().bus_connected.set(1);
  obs::info("bus connected", {{"url", shown}, {"name", name}});
  return std::unique_ptr<NatsBus>(new NatsBus(conn, opts, options));
}

NatsBus::NatsBus(natsConnection* conn, natsOptions* opts, NatsBusOptions options)
    : conn_(conn), opts_(opts), options_(options) {
  sender_ = std::thread([this] { send_loop(); });
}

NatsBus::~NatsBus() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  sender_.join();
  if (sub_) natsSubscription_Unsubscribe(sub_);  // an error (disconnected) is fine: Close ends it too
  natsConnection_Close(conn_);
  if (receiver_) {
    // Wait for the delivery thread to leave the handler for good; bounded, in case libnats never says so
    // (then the receiver is left allocated rather than freed under a running handler).
    std::unique_lock lock(receiver_->mu);
    if (receiver_->done_cv.wait_for(lock, std::chrono::seconds(10), [&] { return receiver_->complete; })) {
      lock.unlock();
      delete receiver_;
    } else {
      obs::error("bus subscription did not complete; its handler state is kept");
    }
  }
  if (sub_) natsSubscription_Destroy(sub_);
  natsConnection_Destroy(conn_);
  natsOptions_Destroy(opts_);
}

void NatsBus::publish(std::string_view subject, std::string_view payload) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || queue_.size() >= options_.max_send_queue ||
        queued_bytes_ + payload.size() > options_.max_send_bytes) {
      ++dropped_;
      ClusterMetrics::get().bus_publish_dropped.inc();
      return;
    }
    queued_bytes_ += payload.size();
    queue_.push_back(Message{std::string(subject), std::string(payload)});
  }
  wake_.notify_one();
}

void NatsBus::send_loop() {
  obs::set_thread_name("fleet-bus-send");
  std::deque<Message> sending;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      sending.swap(queue_);
      queued_bytes_ = 0;
    }
    for (const Message& m : sending) {
      const natsStatus s = natsConnection_Publish(conn_, m.subject.c_str(), m.payload.data(),
                                                  static_cast<int>(m.payload.size()));
      if (s != NATS_OK) {
        // Disconnected with the reconnect buffer full, payload over the server's max, closed: the probe
        // repairs it on every node.
        ClusterMetrics::get().bus_publish_dropped.inc();
        std::lock_guard lock(mu_);
        ++dropped_;
      }
    }
    sending.clear();
  }
}

void NatsBus::subscribe(Handler handler) {
  if (receiver_) return;
  auto* receiver = new Receiver{};
  receiver->handler = std::move(handler);
  auto on_message = [](natsConnection* /*nc*/, natsSubscription* /*sub*/, natsMsg* msg, void* closure) {
    auto* r = static_cast<Receiver*>(closure);
    r->handler(std::string_view(natsMsg_GetSubject(msg)),
               std::string_view(natsMsg_GetData(msg), static_cast<std::size_t>(natsMsg_GetDataLength(msg))));
    natsMsg_Destroy(msg);
  };
  natsStatus s = natsConnection_Subscribe(&sub_, conn_, "fleet.v1.>", on_message, receiver);
  if (s == NATS_OK) {
    s = natsSubscription_SetOnCompleteCB(
        sub_,
        [](void* closure) {
          auto* r = static_cast<Receiver*>(closure);
          std::lock_guard lock(r->mu);
          r->complete = true;
          r->done_cv.notify_all();  // under the lock: the destructor cannot free `r` before this returns
        },
        receiver);
  }
  // Beyond these, libnats drops (slow consumer): the probe repairs, so memory stays bounded.
  if (s == NATS_OK) s = natsSubscription_SetPendingLimits(sub_, 65536, 64 << 20);
  if (s != NATS_OK) {
    obs::error("bus subscribe failed", {{"error", nats_error(s)}});
    if (sub_) {
      natsSubscription_Destroy(sub_);
      sub_ = nullptr;
    }
    delete receiver;  // never registered with a live subscription
    return;
  }
  receiver_ = receiver;
  // Round trip to the server, so that the subscription is in place when subscribe() returns (while
  // connected: otherwise libnats sends it on reconnect).
  if (natsConnection_FlushTimeout(conn_, 2000) != NATS_OK) obs::warn("bus subscribe not confirmed yet");
}

bool NatsBus::connected() const { return natsConnection_Status(conn_) == NATS_CONN_STATUS_CONNECTED; }

std::uint64_t NatsBus::send_dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

}  // namespace fleet::cluster
