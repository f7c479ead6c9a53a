// The viewer speaking protocol 2 against a scripted server on loopback: the token travels in the first
// message (never in the URL), a resume asks with since + epoch, `recovered:true` is live without a snapshot,
// a snapshot's body is dropped as it arrives (10,000 viewers catching up must not hold 10,000 snapshots),
// and an in-band refresh is answered by auth_ok.
#include "websocket_viewer.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "event_loop.hpp"
#include "net.hpp"

namespace loadgen {
namespace {

using namespace std::chrono_literals;

// One WebSocket connection, server side, over blocking sockets: just enough of RFC 6455 to script a session.
class ScriptedServer {
 public:
  ScriptedServer() : listener_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listener_, 4) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      throw std::runtime_error("cannot listen on loopback");
    }
    endpoint_ = parse_endpoint("127.0.0.1:" + std::to_string(ntohs(addr.sin_port)));
  }
  ~ScriptedServer() {
    if (conn_ >= 0) ::close(conn_);
    ::close(listener_);
  }

  const Endpoint& endpoint() const { return endpoint_; }

  // Accepts, reads the upgrade request (returned) and answers 101.
  std::string accept_upgrade() {
    conn_ = ::accept(listener_, nullptr, nullptr);
    if (conn_ < 0) throw std::runtime_error("accept failed");
    timeval timeout{10, 0};
    setsockopt(conn_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    std::string request;
    while (request.find("\r\n\r\n") == std::string::npos) request += read_some();
    const std::string key_header = "Sec-WebSocket-Key: ";
    const auto at = request.find(key_header) + key_header.size();
    const std::string key =
        request.substr(at, request.find("\r\n", at) - at) + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    EVP_Digest(key.data(), key.size(), digest, &digest_len, EVP_sha1(), nullptr);
    unsigned char accept[64] = {};
    EVP_EncodeBlock(accept, digest, static_cast<int>(digest_len));
    send_all(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: "
        "Upgrade\r\nSec-WebSocket-Accept: " +
        std::string(reinterpret_cast<char*>(accept)) + "\r\n\r\n");
    return request.substr(0, request.find("\r\n\r\n"));
  }

  // The payload of the client's next (masked) frame.
  std::string read_frame() {
    std::string head = read_exactly(2);
    std::uint64_t len = static_cast<unsigned char>(head[1]) & 0x7F;
    if (len == 126) {
      const std::string ext = read_exactly(2);
      len = std::uint64_t{static_cast<unsigned char>(ext[0])} << 8 | static_cast<unsigned char>(ext[1]);
    } else if (len == 127) {
      const std::string ext = read_exactly(8);
      len = 0;
      for (char c : ext) len = len << 8 | static_cast<unsigned char>(c);
    }
    const std::string mask = read_exactly(4);
    std::string payload = read_exactly(static_cast<std::size_t>(len));
    for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(payload[i] ^ mask[i % 4]);
    return payload;
  }

  void send_text(std::string_view payload) {
    std::string frame(1, '\x81');
    if (payload.size() < 126) {
      frame += static_cast<char>(payload.size());
    } else if (payload.size() <= 0xFFFF) {
      frame += static_cast<char>(126);
      frame += static_cast<char>(payload.size() >> 8);
      frame += static_cast<char>(payload.size() & 0xFF);
    } else {
      frame += static_cast<char>(127);
      for (int shift = 56; shift >= 0; shift -= 8)
        frame += static_cast<char>(std::uint64_t{payload.size()} >> shift & 0xFF);
    }
    frame.append(payload);
    send_all(frame);
  }

 private:
  std::string read_some() {
    char buf[4096];
    const ssize_t n = ::recv(conn_, buf, sizeof buf, 0);
    if (n <= 0) throw std::runtime_error("the viewer hung up or sent nothing");
    return std::string(buf, static_cast<std::size_t>(n));
  }
  std::string read_exactly(std::size_t n) {
    std::string out(n, '\0');
    for (std::size_t got = 0; got < n;) {
      const ssize_t k = ::recv(conn_, out.data() + got, n - got, 0);
      if (k <= 0) throw std::runtime_error("the viewer hung up mid-frame");
      got += static_cast<std::size_t>(k);
    }
    return out;
  }
  void send_all(std::string_view bytes) {
    for (std::size_t sent = 0; sent < bytes.size();) {
      const ssize_t n = ::send(conn_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("send failed");
      sent += static_cast<std::size_t>(n);
    }
  }

  int listener_;
  int conn_ = -1;
  Endpoint endpoint_;
};

struct Recorder final : ViewerObserver {
  int ready = 0, live = 0, auth_ok = 0, closed = 0;
  std::size_t max_buffered = 0;
  void on_ready(WebSocketViewer&) override { ++ready; }
  void on_live(WebSocketViewer&) override { ++live; }
  void on_auth_ok(WebSocketViewer&) override { ++auth_ok; }
  void on_closed(WebSocketViewer&) override { ++closed; }
};

// Runs the loop until `done` holds (or the viewer closed), noting how much the viewer buffers meanwhile.
bool poll_until(EventLoop& loop, WebSocketViewer& v, Recorder& r, const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!done() && r.closed == 0 && std::chrono::steady_clock::now() < deadline) {
    loop.poll(10ms);
    r.max_buffered = std::max(r.max_buffered, v.buffered_bytes());
  }
  return done();
}

// Runs the server's script on its own thread; a failure there is reported by the test, not thrown.
class Script {
 public:
  explicit Script(std::function<void()> body)
      : thread_([this, body = std::move(body)] {
          try {
            body();
          } catch (const std::exception& e) {
            error_ = e.what();
          }
        }) {}
  std::string finish() {
    thread_.join();
    return error_;
  }

 private:
  std::string error_;
  std::thread thread_;
};

constexpr std::string_view kHelloRecovered =
    R"({"type":"hello","protocol":2,"tenant":"org_1","user":"user_1","role":"member","token_exp":1795000000,)"
    R"("server":"fleetd/0.1.0","seq":41,"epoch":"5f0c2a9e1b7d4c36","token_grace_s":15,"recovered":true})";

TEST(Protocol2Viewer, SendsTheTokenInTheFirstMessageAndAResumeIsLiveWithoutASnapshot) {
  ScriptedServer server;
  std::string request, first;
  Script script([&] {
    request = server.accept_upgrade();
    first = server.read_frame();
    server.send_text(kHelloRecovered);
  });
  EventLoop loop;
  Recorder r;
  WebSocketViewer v(loop, server.endpoint(), r);
  SessionOptions session;
  session.token_in_first_message = true;
  session.resume = ResumePoint{41, "5f0c2a9e1b7d4c36"};
  v.start("eyJ.tok.sig", 0, SourceAddresses(1).pick(0), nullptr, {}, session);
  EXPECT_TRUE(poll_until(loop, v, r, [&] { return r.live == 1; }));
  ASSERT_EQ(script.finish(), "");
  EXPECT_TRUE(request.starts_with("GET /ws HTTP/1.1\r\n")) << request;
  EXPECT_EQ(request.find("eyJ"), std::string::npos);  // the token never appears in the request
  EXPECT_EQ(first, R"({"type":"auth","token":"eyJ.tok.sig","since":41,"epoch":"5f0c2a9e1b7d4c36"})");
  EXPECT_EQ(v.recovered(), true);
  EXPECT_EQ(v.last_seq(), 41u);
  EXPECT_EQ(v.epoch(), "5f0c2a9e1b7d4c36");
  EXPECT_EQ(v.state(), WebSocketViewer::State::open);
}

TEST(Protocol2Viewer, DropsASnapshotsBodyAsItArrivesAndIsLiveAtItsEnd) {
  ScriptedServer server;
  std::string snapshot = R"({"type":"snapshot","seq":7,"devices":[)";
  while (snapshot.size() < 400'000)
    snapshot += R"({"id":"dev_0123456789abcdef","name":"Truck 7","last":null},)";
  snapshot += R"({"id":"dev_last","name":"Van","last":null}]})";
  Script script([&] {
    server.accept_upgrade();
    server.read_frame();
    server.send_text(R"({"type":"hello","protocol":2,"seq":7,"epoch":"e1"})");
    server.send_text(snapshot);
    server.send_text(
        R"({"type":"telemetry","events":[{"seq":8,"device":"dev_last","ts":1,"lat":1,"lon":2}]})");
  });
  EventLoop loop;
  Recorder r;
  WebSocketViewer v(loop, server.endpoint(), r);
  ViewerStats stats;
  SessionOptions session;
  session.token_in_first_message = true;
  v.start("eyJ.tok.sig", 0, SourceAddresses(1).pick(0), &stats, {}, session);
  EXPECT_TRUE(poll_until(loop, v, r, [&] { return r.live == 1 && stats.events.get() == 1; }));
  ASSERT_EQ(script.finish(), "");
  EXPECT_EQ(r.ready, 1);
  EXPECT_FALSE(v.recovered().has_value());
  EXPECT_GE(v.bytes_until_live(), snapshot.size());
  EXPECT_LT(r.max_buffered, 64u * 1024);  // never the whole 400 KB frame
  EXPECT_EQ(stats.reordered.get(), 0u);   // the event after the snapshot continues from hello's seq
  EXPECT_EQ(stats.seq_gaps.get(), 0u);
}

TEST(Protocol2Viewer, AnInBandRefreshIsAnsweredByAuthOk) {
  ScriptedServer server;
  std::string refresh;
  Script script([&] {
    server.accept_upgrade();
    server.read_frame();
    server.send_text(kHelloRecovered);
    refresh = server.read_frame();
    server.send_text(R"({"type":"auth_ok","token_exp":1795000060})");
  });
  EventLoop loop;
  Recorder r;
  WebSocketViewer v(loop, server.endpoint(), r);
  SessionOptions session;
  session.token_in_first_message = true;
  session.resume = ResumePoint{41, "5f0c2a9e1b7d4c36"};
  v.start("eyJ.first.sig", 0, SourceAddresses(1).pick(0), nullptr, {}, session);
  ASSERT_TRUE(poll_until(loop, v, r, [&] { return r.live == 1; }));
  v.send_auth("eyJ.fresh.sig");
  EXPECT_TRUE(poll_until(loop, v, r, [&] { return r.auth_ok == 1; }));
  ASSERT_EQ(script.finish(), "");
  EXPECT_EQ(refresh, R"({"type":"auth","token":"eyJ.fresh.sig"})");
}

}  // namespace
}  // namespace loadgen
