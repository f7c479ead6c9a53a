#include "websocket_viewer.hpp"

#include <strings.h>
#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <random>

#include <openssl/evp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.hpp"
#include "telemetry_wire.hpp"

namespace loadgen {

namespace {

constexpr std::string_view kWebSocketGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
constexpr std::uint8_t kOpContinuation = 0x0, kOpText = 0x1, kOpBinary = 0x2, kOpClose = 0x8, kOpPing = 0x9,
                       kOpPong = 0xA;
// A text frame this large that starts like a snapshot is counted and dropped as it arrives (skip_left_).
constexpr std::uint64_t kSkipFramesFrom = 64 * 1024;
constexpr std::string_view kSnapshotStart = R"({"type":"snapshot")";

std::string base64(const unsigned char* data, std::size_t n) {
  std::string out(4 * ((n + 2) / 3), '\0');
  int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(n));
  out.resize(static_cast<std::size_t>(len));
  return out;
}

// Masking keys and handshake nonces only need to differ between frames and connections here (this is
// a load generator on loopback), so a per-thread PRNG will do.
std::uint32_t random_u32() {
  thread_local std::mt19937 rng{std::random_device{}()};
  return static_cast<std::uint32_t>(rng());
}

std::string expected_accept(std::string_view key) {
  std::string input = std::string(key) + std::string(kWebSocketGuid);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(input.data(), input.size(), digest, &len, EVP_sha1(), nullptr);
  return base64(digest, len);
}

std::string_view header_value(std::string_view head, std::string_view name) {
  for (std::size_t pos = head.find("\r\n"); pos != std::string_view::npos;) {
    std::size_t next = head.find("\r\n", pos + 2);
    std::string_view line =
        head.substr(pos + 2, next == std::string_view::npos ? std::string_view::npos : next - pos - 2);
    pos = next;
    if (line.size() > name.size() && line[name.size()] == ':' &&
        strncasecmp(line.data(), name.data(), name.size()) == 0) {
      std::string_view v = line.substr(name.size() + 1);
      while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
      while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
      return v;
    }
  }
  return {};
}

}  // namespace

std::string describe_close(const WebSocketViewer& v) {
  if (v.close_code() < 0) return "HTTP " + std::to_string(-v.close_code());
  if (v.close_code() == 0) return v.close_reason();
  return std::to_string(v.close_code()) + " " + v.close_reason();
}

WebSocketViewer::WebSocketViewer(EventLoop& loop, const Endpoint& server, ViewerObserver& observer)
    : loop_(loop), server_(server), observer_(observer) {}

WebSocketViewer::~WebSocketViewer() { abort(); }

void WebSocketViewer::start(std::string_view token, int tenant_index, in_addr source, ViewerStats* stats,
                            const ConnectOptions& options, const SessionOptions& session) {
  abort();
  tenant_index_ = tenant_index;
  stats_ = stats;
  reading_ = true;
  pending_.clear();
  message_.clear();
  out_.clear();
  first_message_.clear();
  after_hello_ = session.after_hello;
  skip_left_ = 0;
  ready_us_ = 0;
  live_us_ = 0;
  bytes_read_ = 0;
  bytes_until_live_ = 0;
  epoch_.clear();
  recovered_.reset();
  last_seq_ = 0;
  events_received_ = 0;
  close_code_ = 0;
  close_reason_.clear();
  started_us_ = mono_us();

  std::array<unsigned char, 16> nonce{};
  for (std::size_t i = 0; i < nonce.size(); i += 4) {
    std::uint32_t r = random_u32();
    std::memcpy(nonce.data() + i, &r, 4);
  }
  std::string key = base64(nonce.data(), nonce.size());
  accept_key_ = expected_accept(key);
  out_.reserve(token.size() + 200);
  if (session.token_in_first_message) {
    first_message_ = auth_message(token, session.resume ? &*session.resume : nullptr, &session.stream);
    out_.append("GET /ws HTTP/1.1\r\nHost: ").append(server_.host_header);
  } else {
    out_.append("GET /ws?token=").append(token).append(" HTTP/1.1\r\nHost: ").append(server_.host_header);
  }
  out_.append("\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ").append(key);
  out_.append("\r\nSec-WebSocket-Version: 13\r\n\r\n");

  fd_ = start_connect(server_, source, options);
  if (fd_ < 0) {
    finish(0, std::strerror(errno));
    return;
  }
  enable_receive_timestamps(fd_);
  state_ = State::connecting;
  loop_.add(fd_, EPOLLOUT, this);
}

void WebSocketViewer::update_interest() {
  if (fd_ < 0) return;
  std::uint32_t events = (reading_ ? EPOLLIN : 0u) | (out_.empty() ? 0u : EPOLLOUT);
  loop_.modify(fd_, events, this);
}

void WebSocketViewer::pause_reading() {
  reading_ = false;
  update_interest();
}

void WebSocketViewer::resume_reading() {
  reading_ = true;
  update_interest();
}

void WebSocketViewer::send_auth(std::string_view token) {
  if (fd_ < 0 || state_ == State::closing || state_ == State::closed) return;
  send_frame(kOpText, auth_message(token));
}

void WebSocketViewer::send_text(std::string_view message) {
  if (fd_ < 0 || state_ == State::closing || state_ == State::closed) return;
  send_frame(kOpText, message);
}

void WebSocketViewer::close_gracefully() {
  if (fd_ < 0 || state_ == State::closing || state_ == State::closed) return;
  const std::uint8_t code[2] = {0x03, 0xE8};  // 1000
  send_frame(kOpClose, {reinterpret_cast<const char*>(code), 2});
  if (fd_ >= 0) state_ = State::closing;
}

void WebSocketViewer::abort() noexcept {
  if (fd_ >= 0) {
    loop_.remove(fd_);
    close_abortively(fd_);
    fd_ = -1;
  }
  if (state_ != State::idle) state_ = State::closed;
}

void WebSocketViewer::finish(int code, std::string_view reason) {
  close_code_ = code;
  close_reason_ = reason;
  abort();
  state_ = State::closed;
  observer_.on_closed(*this);
}

void WebSocketViewer::write(std::string_view bytes) {
  if (!out_.empty()) {
    out_.append(bytes);
    return;
  }
  ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  if (n < 0) {
    if (errno != EAGAIN) {
      finish(0, std::strerror(errno));
      return;
    }
    n = 0;
  }
  if (static_cast<std::size_t>(n) < bytes.size()) {
    out_.assign(bytes.substr(static_cast<std::size_t>(n)));
    update_interest();
  }
}

void WebSocketViewer::send_frame(std::uint8_t opcode, std::string_view payload) {
  // Client frames are masked (RFC 6455 5.3). Control payloads and the client's messages are short.
  std::string frame;
  frame.reserve(payload.size() + 14);
  frame += static_cast<char>(0x80 | opcode);
  if (payload.size() < 126) {
    frame += static_cast<char>(0x80 | payload.size());
  } else if (payload.size() <= 0xFFFF) {
    frame += static_cast<char>(0x80 | 126);
    frame += static_cast<char>(payload.size() >> 8);
    frame += static_cast<char>(payload.size() & 0xFF);
  } else {
    frame += static_cast<char>(0x80 | 127);
    for (int shift = 56; shift >= 0; shift -= 8)
      frame += static_cast<char>(std::uint64_t{payload.size()} >> shift & 0xFF);
  }
  std::uint32_t mask_word = random_u32();
  char mask[4];
  std::memcpy(mask, &mask_word, 4);
  frame.append(mask, 4);
  for (std::size_t i = 0; i < payload.size(); ++i) frame += static_cast<char>(payload[i] ^ mask[i % 4]);
  write(frame);
}

void WebSocketViewer::on_io(std::uint32_t events) {
  if (fd_ < 0) return;
  if (state_ == State::connecting) {
    if (int err = connect_result(fd_); err != 0) {
      finish(0, std::strerror(err));
      return;
    }
    state_ = State::upgrading;
    std::string request = std::move(out_);
    out_.clear();
    write(request);
    if (fd_ >= 0) update_interest();
    return;
  }
  if ((events & EPOLLOUT) && !out_.empty()) {
    ssize_t n = ::send(fd_, out_.data(), out_.size(), MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN) {
      finish(0, std::strerror(errno));
      return;
    }
    if (n > 0) out_.erase(0, static_cast<std::size_t>(n));
    update_interest();
  }
  if (!(events & (EPOLLIN | EPOLLERR | EPOLLHUP)) || !reading_) return;

  auto buf = loop_.scratch();
  const StampedRead read = recv_stamped(fd_, buf);
  const ssize_t n = read.n;
  if (n == 0) {
    finish(close_code_ ? close_code_ : 0,
           close_reason_.empty() ? "connection closed without close frame" : close_reason_);
    return;
  }
  if (n < 0) {
    if (errno != EAGAIN) finish(0, std::strerror(errno));
    return;
  }
  const ReadTimes at{read.read_us, read.arrival_us};
  if (stats_) stats_->bytes.add(static_cast<std::uint64_t>(n));
  bytes_read_ += static_cast<std::uint64_t>(n);
  std::string_view data(buf.data(), static_cast<std::size_t>(n));
  if (skip_left_ > 0) {
    const std::size_t k = static_cast<std::size_t>(std::min<std::uint64_t>(skip_left_, data.size()));
    skip_left_ -= k;
    data.remove_prefix(k);
    if (skip_left_ == 0) on_snapshot(at);
    if (fd_ < 0 || data.empty()) return;
  }
  if (pending_.empty()) {
    std::size_t used = consume(data, at);
    if (fd_ >= 0 && used < data.size()) pending_.assign(data.substr(used));
  } else {
    pending_.append(data);
    std::size_t used = consume(pending_, at);
    if (fd_ >= 0) pending_.erase(0, used);
  }
}

std::size_t WebSocketViewer::consume_upgrade(std::string_view data) {
  auto end = data.find("\r\n\r\n");
  if (end == std::string_view::npos) return 0;
  std::string_view head = data.substr(0, end);
  if (!head.starts_with("HTTP/1.1 101")) {
    int status = 0;
    if (head.size() >= 12) status = std::atoi(std::string(head.substr(9, 3)).c_str());
    finish(-status, "upgrade refused");
    return data.size();
  }
  if (header_value(head, "Sec-WebSocket-Accept") != accept_key_) {
    finish(0, "bad Sec-WebSocket-Accept");
    return data.size();
  }
  state_ = State::awaiting_hello;
  if (!first_message_.empty()) {
    send_frame(kOpText, first_message_);  // as a browser does: only once the socket is open
    first_message_.clear();
  }
  return end + 4;
}

std::size_t WebSocketViewer::consume(std::string_view data, ReadTimes at) {
  std::size_t pos = 0;
  if (state_ == State::upgrading) {
    pos = consume_upgrade(data);
    if (pos == 0 || fd_ < 0) return pos;
  }
  while (fd_ >= 0 && data.size() - pos >= 2) {
    const auto* p = reinterpret_cast<const unsigned char*>(data.data() + pos);
    const bool fin = p[0] & 0x80;
    const std::uint8_t opcode = p[0] & 0x0F;
    if (p[1] & 0x80) {
      finish(0, "server sent a masked frame");
      return data.size();
    }
    std::uint64_t len = p[1] & 0x7F;
    std::size_t header = 2;
    if (len == 126) {
      if (data.size() - pos < 4) break;
      len = std::uint64_t{p[2]} << 8 | p[3];
      header = 4;
    } else if (len == 127) {
      if (data.size() - pos < 10) break;
      len = 0;
      for (int i = 0; i < 8; ++i) len = len << 8 | p[2 + i];
      header = 10;
    }
    if (data.size() - pos - header < len) {
      // An unfinished snapshot: count its bytes and drop them instead of holding the whole frame.
      const std::string_view head = data.substr(pos + header);
      if (fin && opcode == kOpText && len >= kSkipFramesFrom && head.size() >= kSnapshotStart.size() &&
          head.starts_with(kSnapshotStart)) {
        skip_left_ = len - head.size();
        return data.size();
      }
      break;
    }
    std::string_view payload = data.substr(pos + header, static_cast<std::size_t>(len));
    pos += header + static_cast<std::size_t>(len);

    switch (opcode) {
      case kOpText:
      case kOpBinary:
        if (fin) {
          on_message(payload, at);
        } else {
          message_.assign(payload);
        }
        break;
      case kOpContinuation:
        message_.append(payload);
        if (fin) {
          std::string whole = std::move(message_);
          message_.clear();
          on_message(whole, at);
        }
        break;
      case kOpPing: send_frame(kOpPong, payload); break;
      case kOpPong: break;
      case kOpClose: {
        int code =
            payload.size() >= 2
                ? (static_cast<unsigned char>(payload[0]) << 8 | static_cast<unsigned char>(payload[1]))
                : 1005;
        std::string reason(payload.size() > 2 ? payload.substr(2) : std::string_view{});
        if (state_ != State::closing) send_frame(kOpClose, payload.substr(0, 2));
        finish(code, reason);
        return data.size();
      }
      default: finish(0, "unknown opcode"); return data.size();
    }
  }
  return pos;
}

void WebSocketViewer::on_message(std::string_view message, ReadTimes at) {
  std::string_view type = message_type(message);
  if (type == "telemetry" || type == "tc") {
    on_telemetry(message, type == "tc", at);
  } else if (type == "hello" && state_ == State::awaiting_hello) {
    on_hello(message, at);
  } else if (type == "snapshot") {
    on_snapshot(at);
  } else if (type == "auth_ok") {
    observer_.on_auth_ok(*this);
  } else if (type == "view_change") {
    if (stats_) stats_->view_changes.add();
  }
  // pong, devices (compact index announcements: events are checked by their attributes): nothing to measure.
}

void WebSocketViewer::on_hello(std::string_view message, ReadTimes at) {
  const std::optional<HelloInfo> hello = parse_hello(message);
  last_seq_ = hello ? hello->seq : 0;
  if (hello) {
    epoch_ = hello->epoch;
    recovered_ = hello->recovered;
  }
  ready_us_ = at.read_us;
  state_ = State::awaiting_snapshot;
  if (!after_hello_.empty()) send_frame(kOpText, after_hello_);
  observer_.on_ready(*this);
  // recovered:true means the missed events follow, no snapshot: this session is live now.
  if (state_ == State::awaiting_snapshot && recovered_ == true) go_live(at);
}

void WebSocketViewer::on_snapshot(ReadTimes at) {
  if (stats_) stats_->snapshots.add();
  if (state_ == State::awaiting_snapshot) go_live(at);
}

void WebSocketViewer::go_live(ReadTimes at) {
  state_ = State::open;
  live_us_ = at.read_us;
  bytes_until_live_ = bytes_read_;
  observer_.on_live(*this);
}

void WebSocketViewer::on_telemetry(std::string_view frame, bool compact, ReadTimes at) {
  if (!stats_) return;
  ViewerStats& s = *stats_;
  s.frames.add();
  std::uint64_t n = 0;
  const auto on_event = [&](const TelemetryEvent& e) {
    ++n;
    if (e.seq <= last_seq_) {
      s.reordered.add();
    } else {
      if (e.seq > last_seq_ + 1) s.seq_gaps.add(e.seq - last_seq_ - 1);
      last_seq_ = e.seq;
    }
    if (e.t0_us < 0) {
      s.untagged.add();
      return;
    }
    if (e.tenant_index != tenant_index_) s.foreign.add();
    s.tag_bytes.add(e.tag_bytes);
    s.latency.record(static_cast<std::uint64_t>(std::max<std::int64_t>(0, at.read_us - e.t0_us)));
    s.arrival.record(static_cast<std::uint64_t>(std::max<std::int64_t>(0, at.arrival_us - e.t0_us)));
  };
  if (compact) {
    for_each_compact_event(frame, on_event);
  } else {
    for_each_event(frame, on_event);
  }
  events_received_ += n;
  s.events.add(n);
}

}  // namespace loadgen
