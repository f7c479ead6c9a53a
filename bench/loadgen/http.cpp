#include "http.hpp"

#include <strings.h>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <stdexcept>

#include <sys/socket.h>
#include <unistd.h>

namespace loadgen {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string build_http_request(std::string_view method, std::string_view target, const Endpoint& host,
                               std::string_view bearer, std::string_view body) {
  std::string r;
  r.reserve(200 + bearer.size() + body.size());
  r.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: ").append(host.host_header);
  if (!bearer.empty()) r.append("\r\nAuthorization: Bearer ").append(bearer);
  if (!body.empty() || method == "POST") {
    r.append("\r\nContent-Type: application/json\r\nContent-Length: ").append(std::to_string(body.size()));
  }
  r.append("\r\n\r\n").append(body);
  return r;
}

std::optional<HttpResponse> HttpResponseParser::take() {
  auto header_end = buf_.find("\r\n\r\n");
  if (header_end == std::string::npos) return std::nullopt;
  std::string_view head(buf_.data(), header_end);
  if (!head.starts_with("HTTP/1.") || head.size() < 12)
    throw std::runtime_error("malformed HTTP status line");

  HttpResponse r;
  std::from_chars(head.data() + 9, head.data() + 12, r.status);
  std::optional<std::size_t> content_length;
  bool chunked = false;
  for (std::size_t pos = head.find("\r\n"); pos != std::string_view::npos;) {
    std::size_t next = head.find("\r\n", pos + 2);
    std::string_view line =
        head.substr(pos + 2, next == std::string_view::npos ? std::string_view::npos : next - pos - 2);
    pos = next;
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = trim(line.substr(0, colon)), value = trim(line.substr(colon + 1));
    if (iequals(name, "content-length")) {
      std::size_t n = 0;
      std::from_chars(value.data(), value.data() + value.size(), n);
      content_length = n;
    } else if (iequals(name, "transfer-encoding") && iequals(value, "chunked")) {
      chunked = true;
    }
  }

  std::size_t body_start = header_end + 4;
  if (!chunked) {
    std::size_t len = content_length.value_or(0);
    if (buf_.size() < body_start + len) return std::nullopt;
    r.body.assign(buf_, body_start, len);
    buf_.erase(0, body_start + len);
    return r;
  }
  // Chunked: size line, data, CRLF ... "0" CRLF CRLF (no trailers).
  std::size_t pos = body_start;
  for (;;) {
    auto line_end = buf_.find("\r\n", pos);
    if (line_end == std::string::npos) return std::nullopt;
    std::size_t size = 0;
    auto [end, ec] = std::from_chars(buf_.data() + pos, buf_.data() + line_end, size, 16);
    if (ec != std::errc{} || end == buf_.data() + pos) throw std::runtime_error("malformed chunk size");
    if (size == 0) {
      if (buf_.size() < line_end + 4) return std::nullopt;
      buf_.erase(0, line_end + 4);
      return r;
    }
    if (buf_.size() < line_end + 2 + size + 2) return std::nullopt;
    r.body.append(buf_, line_end + 2, size);
    pos = line_end + 2 + size + 2;
  }
}

HttpConnection::HttpConnection(EventLoop& loop, const Endpoint& server, in_addr source, Listener& listener,
                               std::size_t id)
    : loop_(loop), server_(server), source_(source), listener_(listener), id_(id) {}

HttpConnection::~HttpConnection() { close(); }

void HttpConnection::connect() {
  close();
  fd_ = start_connect(server_, source_);
  if (fd_ < 0) {
    listener_.on_failure(*this, std::strerror(errno), false);
    return;
  }
  loop_.add(fd_, EPOLLOUT, this);
}

void HttpConnection::close() noexcept {
  if (fd_ >= 0) {
    loop_.remove(fd_);
    ::close(fd_);
    fd_ = -1;
  }
  connected_ = false;
  in_flight_ = false;
  out_.clear();
  out_sent_ = 0;
  parser_ = {};
}

void HttpConnection::fail(std::string_view why) {
  const bool request_lost = in_flight_;
  close();
  listener_.on_failure(*this, why, request_lost);
}

void HttpConnection::send(std::string request) {
  out_ = std::move(request);
  out_sent_ = 0;
  in_flight_ = true;
  flush();
}

void HttpConnection::flush() {
  while (out_sent_ < out_.size()) {
    ssize_t n = ::send(fd_, out_.data() + out_sent_, out_.size() - out_sent_, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN) {
        loop_.modify(fd_, EPOLLIN | EPOLLOUT, this);
        return;
      }
      fail(std::strerror(errno));
      return;
    }
    out_sent_ += static_cast<std::size_t>(n);
  }
  out_.clear();
  out_sent_ = 0;
}

void HttpConnection::on_io(std::uint32_t events) {
  if (fd_ < 0) return;
  if (!connected_) {
    if (int err = connect_result(fd_); err != 0) {
      fail(std::strerror(err));
      return;
    }
    connected_ = true;
    loop_.modify(fd_, EPOLLIN, this);
    listener_.on_connected(*this);
    return;
  }
  if ((events & EPOLLOUT) && !out_.empty()) {
    flush();
    if (fd_ >= 0 && out_.empty()) loop_.modify(fd_, EPOLLIN, this);
  }
  if (fd_ >= 0 && (events & (EPOLLIN | EPOLLERR | EPOLLHUP))) read_responses();
}

void HttpConnection::read_responses() {
  auto buf = loop_.scratch();
  ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
  if (n == 0) {
    fail("connection closed by server");
    return;
  }
  if (n < 0) {
    if (errno != EAGAIN) fail(std::strerror(errno));
    return;
  }
  parser_.feed({buf.data(), static_cast<std::size_t>(n)});
  try {
    while (auto r = parser_.take()) {
      in_flight_ = false;
      listener_.on_response(*this, *r);
      if (fd_ < 0) return;
    }
  } catch (const std::exception& e) {
    fail(e.what());
  }
}

HttpResponse http_call(const Endpoint& server, std::string_view method, std::string_view target,
                       std::string_view bearer, std::string_view body) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  timeval timeout{30, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&server.addr), sizeof server.addr) != 0) {
    throw std::runtime_error("connect to " + server.host_header + ": " + std::strerror(errno));
  }
  std::string request = build_http_request(method, target, server, bearer, body);
  for (std::size_t sent = 0; sent < request.size();) {
    ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) throw std::runtime_error(std::string("send: ") + std::strerror(errno));
    sent += static_cast<std::size_t>(n);
  }
  HttpResponseParser parser;
  char buf[16384];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) throw std::runtime_error("no complete response from " + server.host_header);
    parser.feed({buf, static_cast<std::size_t>(n)});
    if (auto r = parser.take()) return std::move(*r);
  }
}

}  // namespace loadgen
