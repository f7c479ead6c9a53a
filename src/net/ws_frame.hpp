#pragma once
// RFC 6455 framing for the server side, with no I/O: header encoding for our (never masked) frames, a
// strict incremental reader for client frames, the close payload and the Sec-WebSocket-Accept value.
// Pure and single-threaded; unit-tested and fuzzable on its own (tests/unit/net/ws_frame_test.cpp).
//
// No extension is ever negotiated (no permessage-deflate) and no subprotocol, so every RSV bit must be 0.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "net/utf8_validator.hpp"

namespace fleet::net::ws {

enum class Opcode : std::uint8_t { continuation = 0, text = 1, binary = 2, close = 8, ping = 9, pong = 10 };

// A server frame header: 2 bytes, +2 for payloads of 126..65535 bytes, +8 beyond. Never masked.
inline constexpr std::size_t kMaxHeaderSize = 10;
using HeaderBytes = std::array<std::uint8_t, kMaxHeaderSize>;

// Writes the header of one unfragmented (FIN) frame carrying `payload_size` bytes; returns its length.
std::size_t encode_header(Opcode op, std::uint64_t payload_size, HeaderBytes& out) noexcept;

// Control frames carry at most 125 payload bytes (RFC 6455 5.5), so a close reason at most 123.
inline constexpr std::size_t kMaxControlPayload = 125;

// Close codes a peer may send (RFC 6455 7.4 and IANA's registry): 1000-1003, 1007-1014 (1012 Service
// Restart, 1013 Try Again Later, 1014 Bad Gateway) and the registered/private range 3000-4999. 1004-1006
// and 1015 are reserved for "no code"/"abnormal"/TLS and never appear on the wire.
bool is_valid_close_code(std::uint16_t code) noexcept;

// The payload of a close frame: the code in network order, then `reason` cut to fit 123 bytes.
std::string close_payload(std::uint16_t code, std::string_view reason);

// Sec-WebSocket-Key must be the base64 encoding of exactly 16 bytes (RFC 6455 4.2.1 item 5).
bool is_valid_client_key(std::string_view key) noexcept;
// Sec-WebSocket-Accept: base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")), 28 characters.
std::string accept_key(std::string_view client_key);

// Why a client's input ended the connection; each maps to one close code (see close_reason_for).
enum class FrameError : std::uint8_t {
  none,
  protocol,      // 1002: unmasked frame, RSV bit, unknown opcode, bad control frame, broken fragmentation
  invalid_utf8,  // 1007: text message or close reason that is not UTF-8
  too_big,       // 1009: message (all fragments together) over the limit
};

// What the reader found. Callbacks run inside FrameReader::feed, which is not reentrant: a sink must not
// call feed() from them. Views are valid only during the call.
class FrameSink {
 public:
  virtual void on_text(std::string_view message) = 0;  // whole message, valid UTF-8
  virtual void on_binary(std::string_view message) = 0;
  virtual void on_ping(std::string_view payload) = 0;
  virtual void on_pong(std::string_view payload) = 0;
  // code 0: the close frame had no payload (RFC 6455 "1005, no status"); reason is valid UTF-8.
  virtual void on_close(std::uint16_t code, std::string_view reason) = 0;

 protected:
  ~FrameSink() = default;
};

// Reassembles client frames into messages and checks every rule of RFC 6455 a server must enforce.
// Bytes may arrive split anywhere: an unfinished frame is kept (at most a header plus the message limit,
// and the size limit is checked as soon as a frame's length is known), as are the fragments of an
// unfinished message. Both buffers are released as soon as they are empty, so an idle reader owns no heap.
class FrameReader {
 public:
  explicit FrameReader(std::size_t max_message) noexcept : max_message_(max_message) {}

  // Parses `data`, unmasking it in place (hence mutable), and reports each complete message or control
  // frame to `sink` in order. Returns the first violation; the reader then stays failed and reports it
  // again. After a close frame everything else is ignored (nothing may follow it, RFC 6455 5.5.1).
  FrameError feed(std::span<char> data, FrameSink& sink);

  bool closed() const noexcept { return closed_; }
  // Bytes held for an unfinished frame or message.
  std::size_t buffered() const noexcept { return pending_.size() + message_.size(); }

 private:
  // Parses whole frames from the front of `data`; sets `used` to the bytes consumed.
  FrameError parse(std::span<char> data, std::size_t& used, FrameSink& sink);
  FrameError on_frame(bool fin, Opcode op, std::span<char> payload, FrameSink& sink);

  std::string pending_;  // raw bytes of an unfinished frame
  std::string message_;  // fragments of an unfinished message, unmasked
  std::size_t max_message_;
  std::uint64_t message_size_ = 0;  // payload bytes of the unfinished message so far
  Utf8Validator utf8_;
  Opcode message_op_ = Opcode::text;
  bool in_message_ = false;
  bool closed_ = false;
  FrameError failed_ = FrameError::none;
};

}  // namespace fleet::net::ws
