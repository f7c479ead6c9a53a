// RFC 6455 framing: header encoding, the strict client-frame reader (every rule, split input), close
// payloads and the handshake key, with the RFC's own examples where it has them.
#include "net/ws_frame.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace fleet::net::ws {
namespace {

struct Event {
  std::string kind;
  std::string payload;
  std::uint16_t code = 0;
  bool operator==(const Event&) const = default;
};

struct Recorder final : FrameSink {
  std::vector<Event> events;
  void on_text(std::string_view m) override { events.push_back({"text", std::string(m)}); }
  void on_binary(std::string_view m) override { events.push_back({"binary", std::string(m)}); }
  void on_ping(std::string_view p) override { events.push_back({"ping", std::string(p)}); }
  void on_pong(std::string_view p) override { events.push_back({"pong", std::string(p)}); }
  void on_close(std::uint16_t code, std::string_view r) override {
    events.push_back({"close", std::string(r), code});
  }
};

std::string bytes(std::initializer_list<int> list) {
  std::string s;
  for (int b : list) s.push_back(static_cast<char>(b));
  return s;
}

// A masked client frame. `first` is the whole first byte (FIN, RSV, opcode).
std::string client_frame(std::uint8_t first, std::string_view payload, bool masked = true,
                         std::array<std::uint8_t, 4> mask = {0x37, 0xfa, 0x21, 0x3d}) {
  std::string f;
  f.push_back(static_cast<char>(first));
  const std::uint8_t m = masked ? 0x80 : 0;
  if (payload.size() < 126) {
    f.push_back(static_cast<char>(m | payload.size()));
  } else if (payload.size() <= 0xFFFF) {
    f.push_back(static_cast<char>(m | 126));
    f.push_back(static_cast<char>(payload.size() >> 8));
    f.push_back(static_cast<char>(payload.size() & 0xFF));
  } else {
    f.push_back(static_cast<char>(m | 127));
    for (int i = 7; i >= 0; --i)
      f.push_back(static_cast<char>((static_cast<std::uint64_t>(payload.size()) >> (8 * i)) & 0xFF));
  }
  if (masked) {
    for (auto b : mask) f.push_back(static_cast<char>(b));
  }
  for (std::size_t i = 0; i < payload.size(); ++i)
    f.push_back(masked ? static_cast<char>(payload[i] ^ mask[i % 4]) : payload[i]);
  return f;
}

FrameError feed(FrameReader& r, std::string data, Recorder& sink) {
  return r.feed(std::span<char>(data.data(), data.size()), sink);
}

FrameError feed_all(std::string data, Recorder& sink, std::size_t max = 4096) {
  FrameReader r(max);
  return feed(r, std::move(data), sink);
}

TEST(WsFrame, RfcHelloExampleIsUnmasked) {
  Recorder sink;
  EXPECT_EQ(feed_all(bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}), sink),
            FrameError::none);
  ASSERT_EQ(sink.events.size(), 1u);
  EXPECT_EQ(sink.events[0], (Event{"text", "Hello"}));
}

TEST(WsFrame, EveryByteBoundaryGivesTheSameMessages) {
  const std::string stream = client_frame(0x01, "Hel") + client_frame(0x89, "ping!") +
                             client_frame(0x80, "lo") + client_frame(0x81, std::string(300, 'x')) +
                             client_frame(0x8A, "") + client_frame(0x88, bytes({0x03, 0xE8}) + "bye");
  const std::vector<Event> expected = {{"ping", "ping!"},
                                       {"text", "Hello"},
                                       {"text", std::string(300, 'x')},
                                       {"pong", ""},
                                       {"close", "bye", 1000}};
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    FrameReader r(4096);
    Recorder sink;
    ASSERT_EQ(feed(r, stream.substr(0, cut), sink), FrameError::none) << cut;
    ASSERT_EQ(feed(r, stream.substr(cut), sink), FrameError::none) << cut;
    EXPECT_EQ(sink.events, expected) << cut;
    EXPECT_TRUE(r.closed());
    EXPECT_EQ(r.buffered(), 0u);
  }
  // And one byte at a time.
  FrameReader r(4096);
  Recorder sink;
  for (char c : stream) ASSERT_EQ(feed(r, std::string(1, c), sink), FrameError::none);
  EXPECT_EQ(sink.events, expected);
}

TEST(WsFrame, SixteenAndSixtyFourBitLengths) {
  Recorder sink;
  const std::string big(70000, 'a');
  EXPECT_EQ(feed_all(client_frame(0x82, std::string(200, 'b')) + client_frame(0x82, big), sink, 100000),
            FrameError::none);
  ASSERT_EQ(sink.events.size(), 2u);
  EXPECT_EQ(sink.events[0].payload.size(), 200u);
  EXPECT_EQ(sink.events[1].payload, big);
}

TEST(WsFrame, UnmaskedFrameIsAProtocolError) {
  Recorder sink;
  EXPECT_EQ(feed_all(client_frame(0x81, "Hello", false), sink), FrameError::protocol);
  EXPECT_TRUE(sink.events.empty());
}

TEST(WsFrame, ReservedBitsAreProtocolErrors) {
  for (std::uint8_t rsv : {0x40, 0x20, 0x10}) {
    Recorder sink;
    EXPECT_EQ(feed_all(client_frame(static_cast<std::uint8_t>(0x81 | rsv), "x"), sink), FrameError::protocol);
  }
}

TEST(WsFrame, UnknownOpcodesAreProtocolErrors) {
  for (std::uint8_t op : {3, 4, 5, 6, 7, 11, 12, 13, 14, 15}) {
    Recorder sink;
    EXPECT_EQ(feed_all(client_frame(static_cast<std::uint8_t>(0x80 | op), ""), sink), FrameError::protocol)
        << int(op);
  }
}

TEST(WsFrame, ControlFramesMustBeFinalAndShort) {
  Recorder a, b, c;
  EXPECT_EQ(feed_all(client_frame(0x09, "x"), a), FrameError::protocol);  // ping without FIN
  EXPECT_EQ(feed_all(client_frame(0x89, std::string(126, 'x')), b), FrameError::protocol);  // 126 bytes
  EXPECT_EQ(feed_all(client_frame(0x89, std::string(125, 'x')), c), FrameError::none);
}

TEST(WsFrame, ContinuationRules) {
  Recorder a, b, c;
  EXPECT_EQ(feed_all(client_frame(0x80, "x"), a), FrameError::protocol);  // continuation, nothing started
  EXPECT_EQ(feed_all(client_frame(0x01, "a") + client_frame(0x81, "b"), b),
            FrameError::protocol);  // new message inside one
  EXPECT_EQ(feed_all(client_frame(0x02, "a") + client_frame(0x00, "b") + client_frame(0x80, "c"), c),
            FrameError::none);
  ASSERT_EQ(c.events.size(), 1u);
  EXPECT_EQ(c.events[0], (Event{"binary", "abc"}));
}

TEST(WsFrame, NonMinimalLengthsAreProtocolErrors) {
  Recorder a, b;
  EXPECT_EQ(feed_all(bytes({0x81, 0x80 | 126, 0, 5, 1, 2, 3, 4}) + "abcde", a), FrameError::protocol);
  EXPECT_EQ(feed_all(bytes({0x81, 0x80 | 127, 0, 0, 0, 0, 0, 0, 0, 5}), b), FrameError::protocol);
}

TEST(WsFrame, MessageLimitCountsEveryFragmentAndIsCheckedBeforeThePayload) {
  Recorder a, b, c;
  EXPECT_EQ(feed_all(client_frame(0x81, std::string(100, 'x')), a, 100), FrameError::none);
  EXPECT_EQ(feed_all(client_frame(0x81, std::string(101, 'x')), b, 100), FrameError::too_big);
  EXPECT_EQ(
      feed_all(client_frame(0x01, std::string(60, 'x')) + client_frame(0x80, std::string(41, 'x')), c, 100),
      FrameError::too_big);
  // Only the header of a huge frame has arrived: refused at once, nothing buffered.
  FrameReader r(100);
  Recorder d;
  EXPECT_EQ(feed(r, bytes({0x81, 0x80 | 127, 0, 0, 0, 1, 0, 0, 0, 0}), d), FrameError::too_big);
  EXPECT_EQ(r.buffered(), 0u);
}

TEST(WsFrame, ControlFramesMayInterleaveFragments) {
  Recorder sink;
  EXPECT_EQ(
      feed_all(client_frame(0x01, "{\"type\":") + client_frame(0x89, "p") + client_frame(0x80, "\"ping\"}"),
               sink),
      FrameError::none);
  ASSERT_EQ(sink.events.size(), 2u);
  EXPECT_EQ(sink.events[0], (Event{"ping", "p"}));
  EXPECT_EQ(sink.events[1], (Event{"text", R"({"type":"ping"})"}));
}

TEST(WsFrame, InvalidUtf8TextIsRefused) {
  const std::vector<std::string> bad = {
      bytes({0xC0, 0xAF}),              // overlong '/'
      bytes({0xE0, 0x80, 0xAF}),        // overlong 3-byte
      bytes({0xED, 0xA0, 0x80}),        // surrogate U+D800
      bytes({0xF4, 0x90, 0x80, 0x80}),  // above U+10FFFF
      bytes({0xF5, 0x80, 0x80, 0x80}),  // invalid lead
      bytes({0x80}),                    // stray continuation
      bytes({0xCE, 0xBA, 0xE1}),        // truncated at the end of the message
  };
  for (const auto& b : bad) {
    Recorder sink;
    EXPECT_EQ(feed_all(client_frame(0x81, b), sink), FrameError::invalid_utf8);
    EXPECT_TRUE(sink.events.empty());
  }
  Recorder binary;  // binary messages are not text: any bytes
  EXPECT_EQ(feed_all(client_frame(0x82, bytes({0xC0, 0xAF})), binary), FrameError::none);
}

TEST(WsFrame, Utf8CodePointSplitAcrossFragments) {
  Recorder ok, bad;
  const std::string kosme = bytes({0xCE, 0xBA, 0xE1, 0xBD, 0xB9, 0xCF, 0x83, 0xCE, 0xBC, 0xCE, 0xB5});
  EXPECT_EQ(feed_all(client_frame(0x01, kosme.substr(0, 3)) + client_frame(0x80, kosme.substr(3)), ok),
            FrameError::none);
  ASSERT_EQ(ok.events.size(), 1u);
  EXPECT_EQ(ok.events[0].payload, kosme);
  // Fails at the fragment that breaks it, before the message is complete.
  FrameReader r(4096);
  EXPECT_EQ(feed(r, client_frame(0x01, bytes({0xE1})), bad), FrameError::none);
  EXPECT_EQ(feed(r, client_frame(0x00, bytes({0x41})), bad), FrameError::invalid_utf8);
  EXPECT_EQ(feed(r, client_frame(0x80, "x"), bad), FrameError::invalid_utf8);  // stays failed
}

TEST(WsFrame, ClosePayloadRules) {
  Recorder empty, one, code, reason, bad_reason;
  EXPECT_EQ(feed_all(client_frame(0x88, ""), empty), FrameError::none);
  EXPECT_EQ(empty.events[0], (Event{"close", "", 0}));
  EXPECT_EQ(feed_all(client_frame(0x88, "x"), one), FrameError::protocol);
  for (int c : {0, 999, 1004, 1005, 1006, 1015, 2999, 5000}) {
    Recorder sink;
    EXPECT_EQ(feed_all(client_frame(0x88, bytes({c >> 8, c & 0xFF})), sink), FrameError::protocol) << c;
  }
  for (int c : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999}) {
    Recorder sink;
    EXPECT_EQ(feed_all(client_frame(0x88, bytes({c >> 8, c & 0xFF})), sink), FrameError::none) << c;
    EXPECT_EQ(sink.events.at(0).code, c);
  }
  EXPECT_EQ(feed_all(client_frame(0x88, bytes({0x03, 0xE8}) + bytes({0xC0, 0xAF})), bad_reason),
            FrameError::invalid_utf8);
}

TEST(WsFrame, NothingIsReadAfterAClose) {
  Recorder sink;
  EXPECT_EQ(feed_all(client_frame(0x88, bytes({0x03, 0xE8})) + client_frame(0x81, "late") + "garbage", sink),
            FrameError::none);
  ASSERT_EQ(sink.events.size(), 1u);
}

// Cheap stand-in for a fuzzer: corrupted streams fed whole and in random pieces must give the same
// events and the same verdict, and never touch memory they should not (the suite runs under ASan).
TEST(WsFrame, RandomSplitsAndCorruptionGiveTheSameVerdict) {
  const std::string valid = client_frame(0x01, "{\"type\":") + client_frame(0x89, "p") +
                            client_frame(0x80, "\"ping\"}") + client_frame(0x81, std::string(200, 'y')) +
                            client_frame(0x82, "bin") + client_frame(0x88, bytes({0x03, 0xE8}));
  std::mt19937 rng(6455);
  for (int iter = 0; iter < 3000; ++iter) {
    std::string input = valid;
    for (int k = 0; k < iter % 4; ++k) input[rng() % input.size()] = static_cast<char>(rng());
    FrameReader whole(256);
    Recorder a;
    const FrameError ea = feed(whole, input, a);
    FrameReader pieces(256);
    Recorder b;
    FrameError eb = FrameError::none;
    for (std::size_t pos = 0; pos < input.size() && eb == FrameError::none;) {
      const std::size_t n = std::min<std::size_t>(1 + rng() % 40, input.size() - pos);
      eb = feed(pieces, input.substr(pos, n), b);
      pos += n;
    }
    ASSERT_EQ(ea, eb) << iter;
    ASSERT_EQ(a.events, b.events) << iter;
    EXPECT_LE(pieces.buffered(), 256u + 14u);
  }
}

TEST(WsFrame, EncodesServerHeaders) {
  HeaderBytes h{};
  ASSERT_EQ(encode_header(Opcode::text, 5, h), 2u);
  EXPECT_EQ(h[0], 0x81);
  EXPECT_EQ(h[1], 0x05);
  ASSERT_EQ(encode_header(Opcode::binary, 256, h), 4u);  // the RFC's 256-byte binary example
  EXPECT_EQ(std::vector<int>(h.begin(), h.begin() + 4), (std::vector<int>{0x82, 0x7E, 0x01, 0x00}));
  ASSERT_EQ(encode_header(Opcode::binary, 65536, h), 10u);  // and its 64 KiB example
  EXPECT_EQ(std::vector<int>(h.begin(), h.end()),
            (std::vector<int>{0x82, 0x7F, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00}));
  ASSERT_EQ(encode_header(Opcode::close, 125, h), 2u);
  EXPECT_EQ(h[0], 0x88);
  EXPECT_EQ(h[1], 125);
  ASSERT_EQ(encode_header(Opcode::ping, 126, h), 4u);
}

TEST(WsFrame, ClosePayloadBuilder) {
  EXPECT_EQ(close_payload(1008, "Token expired"), bytes({0x03, 0xF0}) + "Token expired");
  EXPECT_EQ(close_payload(1000, std::string(200, 'r')).size(), 125u);
}

TEST(WsFrame, HandshakeKey) {
  EXPECT_EQ(accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  EXPECT_TRUE(is_valid_client_key("dGhlIHNhbXBsZSBub25jZQ=="));
  EXPECT_FALSE(is_valid_client_key(""));
  EXPECT_FALSE(is_valid_client_key("dGhlIHNhbXBsZSBub25jZQ"));    // no padding
  EXPECT_FALSE(is_valid_client_key("dGhlIHNhbXBsZSBub25jZQ=A"));  // bad padding
  EXPECT_FALSE(is_valid_client_key("dGhlIHNhbXBsZSBub25jZR=="));  // 'R' has non-zero padding bits
  EXPECT_FALSE(is_valid_client_key("dGhlIHNhbXBsZSBub2*jZQ=="));  // not base64
  EXPECT_FALSE(is_valid_client_key("dGhlIHNhbXBsZSBub25jZXg="));  // 17 bytes
}

}  // namespace
}  // namespace fleet::net::ws
