// Arbitrary bytes as a WebSocket client's frames (net/ws_session), after a valid opening handshake.
// The first input byte sets the scene:
//   bits 0-1  how the client authenticates: 0 token in the upgrade's query, 1 a first `auth` message
//             built by the harness, 2 not at all (the input must), 3 an `auth` message asking to resume
//   bit 2     the tenant has stored telemetry before the client connects (snapshot with positions)
//   bit 3     with 0: the upgrade also asks to resume (since=1 and the tenant's epoch)
//   bit 4     telemetry is published once the server answers (outbox, telemetry frames)
// The rest is written after the upgrade request, in the same write, so part of it reaches the session as
// the upgrade's early bytes. Checks: no crash, leak or undefined behaviour, and the server hangs up after
// the client does (session_harness aborts otherwise).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "session_harness.hpp"

namespace {

// One masked client frame (mask 0x12345678: the bytes on the wire differ from the text, as in real life).
std::string client_text_frame(std::string_view text) {
  static constexpr std::uint8_t kMask[4] = {0x12, 0x34, 0x56, 0x78};
  std::string f;
  f.push_back(static_cast<char>(0x81));
  if (text.size() < 126) {
    f.push_back(static_cast<char>(0x80 | text.size()));
  } else {
    f.push_back(static_cast<char>(0x80 | 126));
    f.push_back(static_cast<char>(text.size() >> 8));
    f.push_back(static_cast<char>(text.size() & 0xFF));
  }
  for (auto m : kMask) f.push_back(static_cast<char>(m));
  for (std::size_t i = 0; i < text.size(); ++i) f.push_back(static_cast<char>(text[i] ^ kMask[i % 4]));
  return f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t scene = data[0];
  const std::string_view frames(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::string& token = fleet::fuzz::valid_token();

  fleet::fuzz::Session session;
  if (scene & 0x04) session.ingest(3);
  const unsigned auth = scene & 0x03;
  std::string target = "/ws";
  if (auth == 0) {
    target += "?token=" + token;
    if (scene & 0x08) target += "&since=1&epoch=" + session.epoch();
  }
  std::string bytes = "GET " + target +
                      " HTTP/1.1\r\nHost: fleet.fuzz.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  if (auth == 1) bytes += client_text_frame(R"({"type":"auth","token":")" + token + "\"}");
  if (auth == 3) {
    bytes += client_text_frame(R"({"type":"auth","token":")" + token + R"(","since":2,"epoch":")" +
                               session.epoch() + "\"}");
  }
  bytes.append(frames);
  // Published once the server answers (the 101, usually with hello): live sessions get telemetry frames.
  session.run_client(bytes, [&] {
    if (scene & 0x10) session.ingest(2);
  });
  return 0;
}
