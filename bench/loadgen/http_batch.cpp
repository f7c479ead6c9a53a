#include "http_batch.hpp"

#include <memory>
#include <stdexcept>

#include "clock.hpp"
#include "event_loop.hpp"

namespace loadgen {

namespace {

class Batch final : public HttpConnection::Listener {
 public:
  Batch(const Endpoint& server, const std::vector<std::string>& requests, int connections)
      : requests_(requests), responses_(requests.size()), in_flight_(static_cast<std::size_t>(connections)) {
    const SourceAddresses sources(1);
    for (int i = 0; i < connections; ++i) {
      connections_.push_back(std::make_unique<HttpConnection>(loop_, server, sources.pick(0), *this,
                                                              static_cast<std::size_t>(i)));
    }
  }

  std::vector<HttpResponse> run(std::chrono::seconds timeout) {
    const std::int64_t deadline =
        mono_us() + std::chrono::duration_cast<std::chrono::microseconds>(timeout).count();
    for (auto& c : connections_) c->connect();
    while (answered_ < requests_.size()) {
      if (!error_.empty()) throw std::runtime_error(error_);
      if (mono_us() > deadline) throw std::runtime_error("set-up requests not answered in time");
      for (auto* c : reconnect_) c->connect();
      reconnect_.clear();
      loop_.poll(std::chrono::milliseconds(100));
    }
    return std::move(responses_);
  }

  void on_connected(HttpConnection& c) override { send_next(c); }

  void on_response(HttpConnection& c, const HttpResponse& r) override {
    responses_[in_flight_[c.id()]] = r;
    ++answered_;
    send_next(c);
  }

  void on_failure(HttpConnection& c, std::string_view why, bool request_lost) override {
    if (request_lost) {
      error_ = "set-up request failed: " + std::string(why);
      return;
    }
    // The server closed an idle keep-alive connection: open it again (after poll(), not from in here).
    if (next_ < requests_.size()) reconnect_.push_back(&c);
  }

 private:
  void send_next(HttpConnection& c) {
    if (next_ >= requests_.size()) return;
    in_flight_[c.id()] = next_;
    c.send(requests_[next_++]);
  }

  const std::vector<std::string>& requests_;
  std::vector<HttpResponse> responses_;
  std::vector<std::size_t> in_flight_;  // per connection: the index of its request
  EventLoop loop_;
  std::vector<std::unique_ptr<HttpConnection>> connections_;
  std::vector<HttpConnection*> reconnect_;
  std::size_t next_ = 0;
  std::size_t answered_ = 0;
  std::string error_;
};

}  // namespace

std::vector<HttpResponse> http_call_all(const Endpoint& server, const std::vector<std::string>& requests,
                                        int connections, std::chrono::seconds timeout) {
  if (requests.empty()) return {};
  Batch batch(server, requests, std::max(1, std::min<int>(connections, static_cast<int>(requests.size()))));
  return batch.run(timeout);
}

}  // namespace loadgen
