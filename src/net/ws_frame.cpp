#include "net/ws_frame.hpp"

#include <openssl/evp.h>

#include <algorithm>

namespace fleet::net::ws {

namespace {

constexpr std::string_view kAcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

bool is_known_opcode(std::uint8_t op) noexcept { return op <= 2 || (op >= 8 && op <= 10); }

int base64_value(char c) noexcept {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

std::size_t encode_header(Opcode op, std::uint64_t payload_size, HeaderBytes& out) noexcept {
  out[0] = static_cast<std::uint8_t>(0x80 | static_cast<std::uint8_t>(op));
  if (payload_size < 126) {
    out[1] = static_cast<std::uint8_t>(payload_size);
    return 2;
  }
  if (payload_size <= 0xFFFF) {
    out[1] = 126;
    out[2] = static_cast<std::uint8_t>(payload_size >> 8);
    out[3] = static_cast<std::uint8_t>(payload_size);
    return 4;
  }
  out[1] = 127;
  for (int i = 0; i < 8; ++i) out[2 + i] = static_cast<std::uint8_t>(payload_size >> (56 - 8 * i));
  return 10;
}

bool is_valid_close_code(std::uint16_t code) noexcept {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

std::string close_payload(std::uint16_t code, std::string_view reason) {
  reason = reason.substr(0, kMaxControlPayload - 2);
  std::string out;
  out.reserve(2 + reason.size());
  out.push_back(static_cast<char>(code >> 8));
  out.push_back(static_cast<char>(code & 0xFF));
  out.append(reason);
  return out;
}

bool is_valid_client_key(std::string_view key) noexcept {
  // 16 bytes encode to 22 significant characters and "==". The last significant character carries only
  // 2 bits of data; its other 4 must be zero for the encoding to be the canonical one of 16 bytes.
  if (key.size() != 24 || key[22] != '=' || key[23] != '=') return false;
  for (std::size_t i = 0; i < 22; ++i) {
    if (base64_value(key[i]) < 0) return false;
  }
  return (base64_value(key[21]) & 0x0F) == 0;
}

std::string accept_key(std::string_view client_key) {
  std::string input;
  input.reserve(client_key.size() + kAcceptGuid.size());
  input.append(client_key).append(kAcceptGuid);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  if (EVP_Digest(input.data(), input.size(), digest, &digest_size, EVP_sha1(), nullptr) != 1 ||
      digest_size != 20) {
    return {};  // only on a broken libcrypto; the caller refuses the handshake
  }
  unsigned char encoded[32];  // 4 * ceil(20 / 3) = 28, plus the terminating NUL
  const int n = EVP_EncodeBlock(encoded, digest, static_cast<int>(digest_size));
  return std::string(reinterpret_cast<const char*>(encoded), static_cast<std::size_t>(n));
}

FrameError FrameReader::feed(std::span<char> data, FrameSink& sink) {
  if (failed_ != FrameError::none) return failed_;
  if (closed_ || data.empty()) return FrameError::none;
  std::size_t used = 0;
  FrameError e;
  if (pending_.empty()) {
    // The common case: whole frames straight from the caller's buffer, no copy.
    e = parse(data, used, sink);
    if (e == FrameError::none && !closed_ && used < data.size())
      pending_.assign(data.data() + used, data.size() - used);
  } else {
    pending_.append(data.data(), data.size());
    e = parse(std::span<char>(pending_.data(), pending_.size()), used, sink);
    pending_.erase(0, used);
  }
  if (closed_ || e != FrameError::none || pending_.empty()) std::string().swap(pending_);
  if (e != FrameError::none) {
    failed_ = e;
    std::string().swap(message_);
  }
  return e;
}

FrameError FrameReader::parse(std::span<char> data, std::size_t& used, FrameSink& sink) {
  const auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(data[i]); };
  std::size_t pos = 0;
  while (!closed_ && data.size() - pos >= 2) {
    const std::uint8_t b0 = byte(pos);
    const std::uint8_t b1 = byte(pos + 1);
    const bool fin = (b0 & 0x80) != 0;
    const std::uint8_t op = b0 & 0x0F;
    if ((b0 & 0x70) != 0) return FrameError::protocol;  // RSV1-3: no extension was negotiated
    if (!is_known_opcode(op)) return FrameError::protocol;
    if ((b1 & 0x80) == 0) return FrameError::protocol;  // clients must mask every frame (5.1)
    const bool control = (op & 0x08) != 0;
    const std::uint8_t len7 = b1 & 0x7F;
    if (control && (!fin || len7 > kMaxControlPayload)) return FrameError::protocol;
    if (!control) {
      const bool continuation = op == static_cast<std::uint8_t>(Opcode::continuation);
      if (continuation != in_message_)
        return FrameError::protocol;  // stray continuation or interleaved message
    }
    const std::size_t ext = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
    if (data.size() - pos < 2 + ext) break;
    std::uint64_t len = len7;
    if (ext > 0) {
      len = 0;
      for (std::size_t i = 0; i < ext; ++i) len = (len << 8) | byte(pos + 2 + i);
      // The minimal encoding is required (5.2), and the 64-bit form has its top bit clear.
      if (ext == 2 && len < 126) return FrameError::protocol;
      if (ext == 8 && (len <= 0xFFFF || (len >> 63) != 0)) return FrameError::protocol;
    }
    // Checked before the payload arrives, so an unfinished frame never holds more than the limit.
    if (!control && len > max_message_ - std::min<std::uint64_t>(message_size_, max_message_))
      return FrameError::too_big;
    const std::size_t header = 2 + ext + 4;
    if (data.size() - pos < header || data.size() - pos - header < len) break;
    const std::size_t n = static_cast<std::size_t>(len);
    const char* mask = data.data() + pos + 2 + ext;
    std::span<char> payload = data.subspan(pos + header, n);
    for (std::size_t i = 0; i < n; ++i) payload[i] = static_cast<char>(payload[i] ^ mask[i & 3]);
    pos += header + n;
    if (auto e = on_frame(fin, static_cast<Opcode>(op), payload, sink); e != FrameError::none) return e;
  }
  used = closed_ ? data.size() : pos;
  return FrameError::none;
}

FrameError FrameReader::on_frame(bool fin, Opcode op, std::span<char> payload, FrameSink& sink) {
  const std::string_view view(payload.data(), payload.size());
  switch (op) {
    case Opcode::close: {
      if (view.size() == 1) return FrameError::protocol;
      std::uint16_t code = 0;
      std::string_view reason;
      if (view.size() >= 2) {
        code = static_cast<std::uint16_t>((static_cast<std::uint8_t>(view[0]) << 8) |
                                          static_cast<std::uint8_t>(view[1]));
        if (!is_valid_close_code(code)) return FrameError::protocol;
        reason = view.substr(2);
        Utf8Validator v;
        if (!v.feed(reason) || !v.complete()) return FrameError::invalid_utf8;
      }
      closed_ = true;
      std::string().swap(message_);
      sink.on_close(code, reason);
      return FrameError::none;
    }
    case Opcode::ping: sink.on_ping(view); return FrameError::none;
    case Opcode::pong: sink.on_pong(view); return FrameError::none;
    case Opcode::text:
    case Opcode::binary:
      in_message_ = true;
      message_op_ = op;
      message_size_ = 0;
      utf8_.reset();
      break;
    case Opcode::continuation: break;
  }
  if (message_op_ == Opcode::text && !utf8_.feed(view)) return FrameError::invalid_utf8;
  message_size_ += view.size();
  if (!fin) {
    message_.append(view);
    return FrameError::none;
  }
  if (message_op_ == Opcode::text && !utf8_.complete()) return FrameError::invalid_utf8;
  in_message_ = false;
  message_size_ = 0;
  std::string_view whole = view;
  if (!message_.empty()) {
    message_.append(view);
    whole = message_;
  }
  if (message_op_ == Opcode::text) {
    sink.on_text(whole);
  } else {
    sink.on_binary(whole);
  }
  std::string().swap(message_);  // an idle reader keeps no capacity
  return FrameError::none;
}

}  // namespace fleet::net::ws
