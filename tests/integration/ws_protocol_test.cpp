// RFC 6455 as fleetd speaks it, checked byte by byte over a raw socket: the handshake's refusals, the
// framing rules a client can break (and the close code each earns), and the control frames.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/tcp.h>  // tcp_info with tcpi_segs_in (glibc's netinet/tcp.h lacks it)
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <optional>
#include <string>

#include "fleetd_process.hpp"
#include "wire.hpp"

namespace fleet::testing {
namespace {

constexpr std::string_view kKey = "dGhlIHNhbXBsZSBub25jZQ==";
// tcp_info::tcpi_state values (include/net/tcp_states.h; not in the headers this file can include).
constexpr int kTcpEstablished = 1;
constexpr int kTcpCloseWait = 8;

std::string upgrade_request(const std::string& target, const std::string& version = "13",
                            std::optional<std::string> key = std::string(kKey)) {
  std::string r =
      "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n";
  r += "Sec-WebSocket-Version: " + version + "\r\n";
  if (key) r += "Sec-WebSocket-Key: " + *key + "\r\n";
  return r + "\r\n";
}

// A masked client frame; `first` is the whole first byte (FIN, RSV bits, opcode).
std::string frame(std::uint8_t first, std::string_view payload, bool masked = true) {
  std::string f(1, static_cast<char>(first));
  const char m = masked ? static_cast<char>(0x80) : 0;
  if (payload.size() < 126) {
    f.push_back(static_cast<char>(m | static_cast<char>(payload.size())));
  } else {
    f.push_back(static_cast<char>(m | 126));
    f.push_back(static_cast<char>(payload.size() >> 8));
    f.push_back(static_cast<char>(payload.size() & 0xFF));
  }
  const char mask[4] = {0x12, 0x34, 0x56, 0x78};
  if (masked) f.append(mask, 4);
  for (std::size_t i = 0; i < payload.size(); ++i)
    f.push_back(masked ? static_cast<char>(payload[i] ^ mask[i % 4]) : payload[i]);
  return f;
}

struct ServerFrame {
  int opcode = -1;
  bool fin = false;
  std::string payload;
  std::uint16_t close_code() const {
    return payload.size() < 2 ? 0
                              : static_cast<std::uint16_t>((static_cast<unsigned char>(payload[0]) << 8) |
                                                           static_cast<unsigned char>(payload[1]));
  }
};

// Blocking POSIX socket with a receive timeout: enough to speak and check raw RFC 6455.
class RawClient {
 public:
  explicit RawClient(unsigned short port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
      throw std::runtime_error("connect");
    timeval tv{20, 0};  // a hang guard, not a wait: reads return as soon as bytes or the FIN arrive
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~RawClient() { ::close(fd_); }

  void send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("send");
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  // The HTTP response head (through the blank line); what follows stays buffered for read_frame.
  std::string read_head() {
    while (buf_.find("\r\n\r\n") == std::string::npos) {
      if (!fill()) return buf_;
    }
    const auto end = buf_.find("\r\n\r\n") + 4;
    std::string head = buf_.substr(0, end);
    buf_.erase(0, end);
    return head;
  }
  // The rest of an HTTP response whose head said Content-Length: n.
  std::string read_body(std::size_t n) {
    while (buf_.size() < n && fill()) {
    }
    return buf_.substr(0, n);
  }
  std::string upgrade(const std::string& target) {
    send(upgrade_request(target));
    return read_head();
  }
  // The next server frame; nullopt on EOF or timeout.
  std::optional<ServerFrame> read_frame() {
    for (;;) {
      if (buf_.size() >= 2) {
        const auto b0 = static_cast<unsigned char>(buf_[0]);
        const auto b1 = static_cast<unsigned char>(buf_[1]);
        EXPECT_EQ(b1 & 0x80, 0) << "server frames are never masked";
        std::size_t len = b1 & 0x7F, header = 2;
        if (len == 126 && buf_.size() >= 4) {
          len = (static_cast<unsigned char>(buf_[2]) << 8) | static_cast<unsigned char>(buf_[3]);
          header = 4;
        } else if (len == 127 && buf_.size() >= 10) {
          len = 0;
          for (int i = 0; i < 8; ++i)
            len = (len << 8) | static_cast<unsigned char>(buf_[2 + static_cast<std::size_t>(i)]);
          header = 10;
        }
        if ((b1 & 0x7F) < 126 || header > 2) {
          if (buf_.size() >= header + len) {
            ServerFrame f{b0 & 0x0F, (b0 & 0x80) != 0, buf_.substr(header, len)};
            buf_.erase(0, header + len);
            return f;
          }
        }
      }
      if (!fill()) return std::nullopt;
    }
  }
  // The next text message's JSON, skipping pings.
  boost::json::object read_json() {
    for (;;) {
      auto f = read_frame();
      if (!f) throw std::runtime_error("no frame");
      if (f->opcode == 9) continue;
      if (f->opcode != 1) throw std::runtime_error("not a text frame: opcode " + std::to_string(f->opcode));
      return boost::json::parse(f->payload).as_object();
    }
  }
  // Reads frames until the server's close; returns it (or nullopt on EOF/timeout first).
  std::optional<ServerFrame> read_close() {
    while (auto f = read_frame()) {
      if (f->opcode == 8) return f;
    }
    return std::nullopt;
  }
  // TCP segments received on this connection so far (tcp_info: data, ACKs and FINs alike).
  std::uint32_t segments_in() const {
    tcp_info info{};
    socklen_t len = sizeof info;
    if (::getsockopt(fd_, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) throw std::runtime_error("TCP_INFO");
    return info.tcpi_segs_in;
  }
  // The connection's TCP state as this side sees it (TCP_ESTABLISHED, TCP_CLOSE_WAIT after the peer's FIN,
  // TCP_CLOSE after a reset).
  int tcp_state() const {
    tcp_info info{};
    socklen_t len = sizeof info;
    if (::getsockopt(fd_, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) throw std::runtime_error("TCP_INFO");
    return info.tcpi_state;
  }
  // True when the server hung up (EOF or reset) within the receive timeout.
  bool closed_by_server() {
    char c;
    const ssize_t n = ::recv(fd_, &c, 1, 0);
    return n == 0 || (n < 0 && errno == ECONNRESET);
  }

 private:
  bool fill() {
    char tmp[4096];
    const ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<std::size_t>(n));
    return true;
  }
  int fd_;
  std::string buf_;
};

class WsProtocol : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new FleetdProcess({"--dev"});
    token_ = new std::string(dev_token(server_->port(), "user_raw", "org_raw"));
  }
  static void TearDownTestSuite() {
    delete server_;
    delete token_;
  }
  unsigned short port() const { return server_->port(); }
  // A live session: upgraded, hello and snapshot read.
  std::unique_ptr<RawClient> live() {
    auto c = std::make_unique<RawClient>(port());
    const std::string head = c->upgrade("/ws?token=" + *token_);
    EXPECT_NE(head.find("101 Switching Protocols"), std::string::npos) << head;
    EXPECT_EQ(c->read_json().at("type").as_string(), "hello");
    EXPECT_EQ(c->read_json().at("type").as_string(), "snapshot");
    return c;
  }
  static FleetdProcess* server_;
  static std::string* token_;
};
FleetdProcess* WsProtocol::server_ = nullptr;
std::string* WsProtocol::token_ = nullptr;

TEST_F(WsProtocol, UpgradeAnswers101WithTheAcceptKeyThenHelloAndSnapshot) {
  RawClient c(port());
  const std::string head = c.upgrade("/ws?token=" + *token_);
  EXPECT_EQ(head.rfind("HTTP/1.1 101 Switching Protocols\r\n", 0), 0u) << head;
  EXPECT_NE(head.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("Server: fleetd/"), std::string::npos);
  EXPECT_EQ(head.find("Sec-WebSocket-Extensions"), std::string::npos);
  auto hello = c.read_json();
  EXPECT_EQ(hello.at("type").as_string(), "hello");
  EXPECT_EQ(hello.at("tenant").as_string(), "org_raw");
  auto snapshot = c.read_json();
  EXPECT_EQ(snapshot.at("type").as_string(), "snapshot");
  EXPECT_EQ(snapshot.at("seq"), hello.at("seq"));
}

TEST_F(WsProtocol, UnsupportedVersionGets426NamingVersion13) {
  RawClient c(port());
  c.send(upgrade_request("/ws?token=" + *token_, "8"));
  const std::string head = c.read_head();
  EXPECT_EQ(head.rfind("HTTP/1.1 426", 0), 0u) << head;
  EXPECT_NE(head.find("Sec-WebSocket-Version: 13\r\n"), std::string::npos) << head;
}

TEST_F(WsProtocol, MissingOrBadKeyGets400WithAJsonError) {
  for (const std::optional<std::string>& key :
       {std::optional<std::string>{}, std::optional<std::string>{"short"}}) {
    RawClient c(port());
    c.send(upgrade_request("/ws?token=" + *token_, "13", key));
    const std::string head = c.read_head();
    EXPECT_EQ(head.rfind("HTTP/1.1 400", 0), 0u) << head;
    const auto cl = head.find("Content-Length: ");
    ASSERT_NE(cl, std::string::npos) << head;
    const std::string body = c.read_body(std::stoul(head.substr(cl + 16)));
    EXPECT_EQ(boost::json::parse(body).at("error").at("code").as_string(), "bad_request") << body;
  }
}

TEST_F(WsProtocol, UnmaskedClientFrameCloses1002) {
  auto c = live();
  c->send(frame(0x81, R"({"type":"ping"})", false));
  auto close = c->read_close();
  ASSERT_TRUE(close);
  EXPECT_EQ(close->close_code(), 1002);
  EXPECT_TRUE(c->closed_by_server());
}

TEST_F(WsProtocol, ReservedBitCloses1002) {
  auto c = live();
  c->send(frame(0x81 | 0x40, R"({"type":"ping"})"));
  auto close = c->read_close();
  ASSERT_TRUE(close);
  EXPECT_EQ(close->close_code(), 1002);
}

TEST_F(WsProtocol, AFailedConnectionsCloseCodeSurvivesTheBytesTheClientKeptSending) {
  // The client breaks the framing and keeps sending. A server that closed its socket with those bytes
  // unread would answer with a reset, and the client's kernel would drop the close frame with it. fleetd
  // half-closes after its close frame and drains, so the FIN arrives, not a reset, and the code is read.
  RawClient c(port());
  ASSERT_NE(c.upgrade("/ws?token=" + *token_).find("101"), std::string::npos);
  c.send(frame(0xC1, "x") + std::string(16 * 1024, 'g'));  // RSV1 set, then garbage
  ASSERT_TRUE(eventually([&] { return c.tcp_state() != kTcpEstablished; }));
  EXPECT_EQ(c.tcp_state(), kTcpCloseWait) << "the server reset the connection";
  auto close = c.read_close();
  ASSERT_TRUE(close) << "the close frame was lost";
  EXPECT_EQ(close->close_code(), 1002);
}

TEST_F(WsProtocol, RegisteredCloseCodes1012To1014AreAccepted) {
  for (std::uint16_t code : {1012, 1013, 1014}) {
    RawClient c(port());
    ASSERT_NE(c.upgrade("/ws?token=" + *token_).find("101"), std::string::npos);
    c.send(frame(0x88, std::string{static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)}));
    auto echo = c.read_close();
    ASSERT_TRUE(echo) << code;
    EXPECT_EQ(echo->close_code(), code);  // echoed, not refused with 1002
  }
}

TEST_F(WsProtocol, InvalidUtf8TextCloses1007) {
  auto c = live();
  c->send(frame(0x81, "\xC0\xAF"));
  auto close = c->read_close();
  ASSERT_TRUE(close);
  EXPECT_EQ(close->close_code(), 1007);
  EXPECT_EQ(close->payload.substr(2), "Invalid UTF-8");
}

TEST_F(WsProtocol, BinaryMessageCloses1003) {
  auto c = live();
  c->send(frame(0x82, "\x01\x02"));
  auto close = c->read_close();
  ASSERT_TRUE(close);
  EXPECT_EQ(close->close_code(), 1003);
}

TEST_F(WsProtocol, FragmentedPingMessageIsReassembled) {
  auto c = live();
  // Three fragments, a WebSocket ping between two of them, the whole sent in two pieces.
  const std::string bytes =
      frame(0x01, R"({"ty)") + frame(0x00, R"(pe":)") + frame(0x89, "mid") + frame(0x80, R"("ping"})");
  c->send(bytes.substr(0, 7));
  c->send(bytes.substr(7));
  auto pong_frame = c->read_frame();
  ASSERT_TRUE(pong_frame);
  EXPECT_EQ(pong_frame->opcode, 10);
  EXPECT_EQ(pong_frame->payload, "mid");
  EXPECT_EQ(c->read_json().at("type").as_string(), "pong");
}

TEST_F(WsProtocol, PingFrameIsAnsweredWithAPongCarryingItsPayload) {
  auto c = live();
  c->send(frame(0x89, "are you there?"));
  auto f = c->read_frame();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->opcode, 10);
  EXPECT_TRUE(f->fin);
  EXPECT_EQ(f->payload, "are you there?");
}

TEST_F(WsProtocol, ClientCloseIsEchoedThenTheServerHangsUp) {
  auto c = live();
  c->send(frame(0x88, std::string("\x0F\xA1", 2) + "bye"));  // 4001
  auto close = c->read_close();
  ASSERT_TRUE(close);
  EXPECT_EQ(close->close_code(), 4001);
  EXPECT_TRUE(c->closed_by_server());
  auto empty = live();
  empty->send(frame(0x88, ""));
  auto close2 = empty->read_close();
  ASSERT_TRUE(close2);
  EXPECT_EQ(close2->close_code(), 1000);
}

TEST_F(WsProtocol, AnswersQueuedBeforeAClientCloseGoOutBeforeTheEcho) {
  auto c = live();
  // One send: the server reads the command, the ping and the close together, so both answers are still
  // queued when the close arrives. They were received before it, so they are answered before the echo.
  c->send(frame(0x81, R"({"type":"ping"})") + frame(0x89, "before close") +
          frame(0x88, std::string("\x03\xE8", 2)));
  EXPECT_EQ(c->read_json().at("type").as_string(), "pong");
  auto pong = c->read_frame();
  ASSERT_TRUE(pong);
  EXPECT_EQ(pong->opcode, 10);
  EXPECT_EQ(pong->payload, "before close");
  auto close = c->read_frame();
  ASSERT_TRUE(close);
  EXPECT_EQ(close->opcode, 8);
  EXPECT_EQ(close->close_code(), 1000);
  EXPECT_TRUE(c->closed_by_server());
}

TEST_F(WsProtocol, AnswersQueuedBeforeAProtocolErrorGoOutBeforeTheClose) {
  auto c = live();
  c->send(frame(0x81, R"({"type":"ping"})") + frame(0xC1, R"({"type":"ping"})"));  // the second has RSV1 set
  EXPECT_EQ(c->read_json().at("type").as_string(), "pong");
  auto close = c->read_frame();
  ASSERT_TRUE(close);
  EXPECT_EQ(close->opcode, 8);
  EXPECT_EQ(close->close_code(), 1002);
  EXPECT_TRUE(c->closed_by_server());
}

TEST_F(WsProtocol, CloseEchoAndFinShareOneSegment) {
  // The echo is the last byte the server sends, so it waits for the FIN and both leave in one segment:
  // the client is woken once, not twice. Counted by the client's kernel, over a settled connection.
  // A round may also see a pure ACK, when the server takes longer than the delayed-ACK timer (~40 ms) to
  // answer on a loaded machine, so not every round must show one segment; without the shared segment,
  // none ever does (the echo is sent at once, with TCP_NODELAY, and the FIN after it).
  int single = 0;
  std::string counts;
  for (int round = 0; round < 20; ++round) {
    auto c = live();
    const std::uint32_t before = c->segments_in();
    c->send(frame(0x88, std::string("\x03\xE8", 2)));
    auto close = c->read_close();
    ASSERT_TRUE(close);
    EXPECT_EQ(close->close_code(), 1000);
    EXPECT_TRUE(c->closed_by_server());
    const std::uint32_t segments = c->segments_in() - before;
    counts += std::to_string(segments) + " ";
    if (segments == 1) ++single;
  }
  EXPECT_GE(single, 5) << "segments per round: " << counts;
}

TEST_F(WsProtocol, BytesSentRightAfterTheUpgradeRequestAreNotLost) {
  // The ping frame arrives in the same segment as the upgrade request, so the HTTP parser reads it too.
  RawClient c(port());
  c.send(upgrade_request("/ws?token=" + *token_) + frame(0x89, "early"));
  const std::string head = c.read_head();
  EXPECT_NE(head.find("101 Switching Protocols"), std::string::npos) << head;
  bool hello = false, snapshot = false, pong = false;
  while (!(hello && snapshot && pong)) {
    auto f = c.read_frame();
    ASSERT_TRUE(f) << hello << snapshot << pong;
    if (f->opcode == 10) {
      EXPECT_EQ(f->payload, "early");
      pong = true;
    } else if (f->opcode == 1) {
      const auto type = boost::json::parse(f->payload).at("type").as_string();
      hello = hello || type == "hello";
      snapshot = snapshot || type == "snapshot";
    }
  }
}

TEST_F(WsProtocol, AuthFailureStillUpgradesThenCloses1008) {
  RawClient c(port());
  const std::string head = c.upgrade("/ws?token=garbage");
  EXPECT_NE(head.find("101 Switching Protocols"), std::string::npos) << head;
  auto close = c.read_close();
  ASSERT_TRUE(close);
  EXPECT_EQ(close->close_code(), 1008);
  EXPECT_EQ(close->payload.substr(2), "Invalid token");
  c.send(frame(0x88, std::string("\x03\xF0", 2)));  // our answer completes the close handshake
  EXPECT_TRUE(c.closed_by_server());
}

}  // namespace
}  // namespace fleet::testing
