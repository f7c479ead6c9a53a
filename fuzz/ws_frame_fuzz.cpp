// The WebSocket frame reader (net/ws_frame) on arbitrary client bytes. The same stream is fed twice: whole,
// and cut at points the input chooses. Properties: both readers report the same messages, control frames
// and error (the reader's result may not depend on how TCP splits the bytes); every text message and close
// reason is valid UTF-8; no message exceeds the limit; an unfinished frame never holds more than a header
// plus the limit; nothing is reported after a close or an error.
// Input: 1 byte limit selector, 1 byte cut-table length N, N cut sizes, then the stream.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "net/utf8_validator.hpp"
#include "net/ws_frame.hpp"

namespace {

using fleet::net::ws::FrameError;

bool valid_utf8(std::string_view s) {
  fleet::net::Utf8Validator v;
  return v.feed(s) && v.complete();
}

struct Recorder final : fleet::net::ws::FrameSink {
  std::size_t max_message = 0;
  bool closed = false;
  std::vector<std::string> events;  // kind letter + payload (+ code for close)

  void add(char kind, std::string_view payload) {
    FUZZ_CHECK(!closed);  // nothing may be reported after a close frame
    std::string e(1, kind);
    e.append(payload);
    events.push_back(std::move(e));
  }
  void on_text(std::string_view m) override {
    FUZZ_CHECK(valid_utf8(m));
    FUZZ_CHECK(m.size() <= max_message);
    add('t', m);
  }
  void on_binary(std::string_view m) override {
    FUZZ_CHECK(m.size() <= max_message);
    add('b', m);
  }
  void on_ping(std::string_view p) override {
    FUZZ_CHECK(p.size() <= fleet::net::ws::kMaxControlPayload);
    add('i', p);
  }
  void on_pong(std::string_view p) override {
    FUZZ_CHECK(p.size() <= fleet::net::ws::kMaxControlPayload);
    add('o', p);
  }
  void on_close(std::uint16_t code, std::string_view reason) override {
    FUZZ_CHECK(code == 0 || fleet::net::ws::is_valid_close_code(code));
    FUZZ_CHECK(code != 0 || reason.empty());
    FUZZ_CHECK(valid_utf8(reason));
    add('c', std::to_string(code) + ":" + std::string(reason));
    closed = true;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  // Small limits reach too_big; one large one lets real messages through.
  static constexpr std::size_t kLimits[] = {0, 1, 16, 125, 126, 200, 65536, 16 * 1024};
  const std::size_t max_message = kLimits[data[0] % 8];
  const std::size_t ncuts = data[1] % 16;
  data += 2;
  size -= 2;
  if (size < ncuts) return 0;
  const std::uint8_t* cuts = data;
  data += ncuts;
  size -= ncuts;

  // Whole.
  std::string whole_bytes(reinterpret_cast<const char*>(data), size);
  fleet::net::ws::FrameReader whole(max_message);
  Recorder whole_events;
  whole_events.max_message = max_message;
  const FrameError whole_error =
      whole.feed(std::span<char>(whole_bytes.data(), whole_bytes.size()), whole_events);

  // Cut: chunk sizes taken in turn from the table (0 means one byte), the rest in one piece.
  fleet::net::ws::FrameReader split(max_message);
  Recorder split_events;
  split_events.max_message = max_message;
  FrameError split_error = FrameError::none;
  std::size_t pos = 0;
  for (std::size_t i = 0; pos < size; ++i) {
    std::size_t n = size - pos;
    if (ncuts > 0 && i < 64) n = std::min<std::size_t>(n, cuts[i % ncuts] == 0 ? 1 : cuts[i % ncuts]);
    std::string chunk(reinterpret_cast<const char*>(data) + pos, n);  // its own buffer: ASan sees overreads
    const std::size_t before = split_events.events.size();
    const FrameError e = split.feed(std::span<char>(chunk.data(), chunk.size()), split_events);
    if (split_error != FrameError::none) {
      FUZZ_CHECK(e == split_error);                      // a failed reader stays failed...
      FUZZ_CHECK(split_events.events.size() == before);  // ...and reports nothing more
    }
    split_error = e;
    FUZZ_CHECK(split.buffered() <= max_message + 2 * fleet::net::ws::kMaxHeaderSize + 4 + 125);
    pos += n;
  }

  FUZZ_CHECK(whole_error == split_error);
  FUZZ_CHECK(whole_events.events == split_events.events);
  FUZZ_CHECK(whole.closed() == split.closed());
  if (whole.closed() || whole_error != FrameError::none) FUZZ_CHECK(whole.buffered() == 0);
  return 0;
}
