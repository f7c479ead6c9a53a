#include "net/http_session.hpp"

#include <algorithm>
#include <array>
#include <boost/asio/post.hpp>
#include <boost/beast/http.hpp>

#include "api/bearer.hpp"
#include "api/http_errors.hpp"
#include "net/entity_tag.hpp"
#include "net/http_framing.hpp"
#include "net/redact.hpp"
#include "net/request_target.hpp"
#include "net/static_files.hpp"
#include "net/worker.hpp"
#include "net/ws_handshake.hpp"
#include "net/ws_session.hpp"
#include "obs/log.hpp"
#include "obs/metrics.hpp"
#include "proto/client_messages.hpp"

namespace fleet::net {
namespace beast = boost::beast;
namespace http = boost::beast::http;

namespace {

constexpr std::chrono::seconds kLingerTime{2};
constexpr std::size_t kReadChunk = 16 * 1024;

obs::Counter& requests_total() {
  static obs::Counter& c =
      obs::Registry::global().counter("fleet_http_requests_total", "HTTP requests answered");
  return c;
}

// The token from `?token=` (preferred by protocol 1 browsers) or `Authorization: Bearer`; nullopt when
// neither is there, and the first WebSocket message is to authenticate (protocol 2).
std::optional<std::string> extract_token(std::string_view query, std::string_view authorization) {
  if (auto token = query_parameter(query, "token")) return token;
  if (auto bearer = api::bearer_credentials(authorization)) return std::string(*bearer);
  if (!authorization.empty()) return std::string();  // an Authorization header that is no bearer token
  return std::nullopt;
}

std::optional<FramingError> check_framing(const http::request<http::string_body>& req) {
  std::array<std::string_view, 8> te{};
  std::size_t n_te = 0;
  std::size_t hosts = 0;
  for (const auto& field : req.base()) {
    if (field.name() == http::field::host) ++hosts;
    if (field.name() == http::field::transfer_encoding) {
      if (n_te == te.size()) return FramingError{400, "too many Transfer-Encoding fields"};
      te[n_te++] = field.value();
    }
  }
  return framing_error(RequestFraming{req.version(), std::span(te.data(), n_te), hosts});
}

// `?since=&epoch=`: both or neither, each well-formed (docs/protocol.md, "Resume").
void extract_resume(std::string_view query, WsStart& start) {
  auto since = query_parameter(query, "since");
  auto epoch = query_parameter(query, "epoch");
  if (!since && !epoch) return;
  const auto seq = since ? proto::parse_resume_since(*since) : std::nullopt;
  if (!seq || !epoch || !proto::is_valid_epoch(*epoch)) {
    start.invalid_resume = true;
    return;
  }
  start.resume = proto::ResumePosition{*seq, std::move(*epoch)};
}

// `?format=&flush_ms=&coalesce=` (docs/protocol.md, "Stream options").
void extract_options(std::string_view query, WsStart& start) {
  auto format = query_parameter(query, "format");
  auto flush = query_parameter(query, "flush_ms");
  auto coalesce = query_parameter(query, "coalesce");
  if (!format && !flush && !coalesce) return;
  proto::StreamOptions options;
  if (format) {
    const auto f = proto::parse_format(*format);
    if (!f) return void(start.invalid_options = true);
    options.format = *f;
  }
  if (flush) {
    const auto ms = proto::parse_flush_ms(*flush);
    if (!ms) return void(start.invalid_options = true);
    options.flush_ms = *ms;
  }
  if (coalesce) {
    const auto c = proto::parse_coalesce(*coalesce);
    if (!c) return void(start.invalid_options = true);
    options.coalesce = *c;
  }
  start.options = options;
}

// Several fields of one name are one comma-separated list (RFC 9110 5.3); nullopt when there is none.
std::optional<std::string> joined_field(const http::request<http::string_body>& req, http::field name) {
  std::optional<std::string> out;
  for (const auto& field : req.base()) {
    if (field.name() != name) continue;
    out = out ? *out + "," + std::string(field.value()) : std::string(field.value());
  }
  return out;
}

// The file in the coding the request accepts best (net/accept_encoding.hpp), or 304 when the request
// already holds that representation (If-None-Match, net/entity_tag.hpp).
api::Response static_response(const StaticFile& f, const http::request<http::string_body>& req) {
  api::Response res{200, f.content_type, {}, {{"Cache-Control", f.cache_control}}};
  const ContentCoding coding =
      f.has_variants() ? choose_content_coding(joined_field(req, http::field::accept_encoding), f.codings())
                       : ContentCoding::identity;
  const std::string& etag = f.etag_for(coding);
  res.headers.emplace_back("ETag", etag);
  // Every answer of a file with variants, identity and 304 too, so no cache hands one client's coding to
  // another.
  if (f.has_variants()) res.headers.emplace_back("Vary", "Accept-Encoding");
  if (const auto inm = joined_field(req, http::field::if_none_match);
      inm && if_none_match_matches(*inm, etag)) {
    res.status = 304;
    return res;
  }
  res.body = f.body_for(coding);
  if (coding != ContentCoding::identity) res.headers.emplace_back("Content-Encoding", coding_name(coding));
  return res;
}

}  // namespace

HttpSession::HttpSession(boost::asio::ip::tcp::socket&& socket, Worker& worker, NetContext& ctx,
                         ConnectionSlot slot)
    : stream_(std::move(socket)),
      worker_(worker),
      ctx_(ctx),
      slot_(std::move(slot)),
      // Room for the largest head and a read's worth more; a body streams through into the parser's
      // string, so an unadmitted body never costs more than this.
      buffer_(ctx.options.http_header_limit + kReadChunk) {}

void HttpSession::run() { do_read(); }

void HttpSession::do_read() {
  parser_.emplace();
  parser_->body_limit(ctx_.options.http_max_body);
  parser_->header_limit(static_cast<std::uint32_t>(ctx_.options.http_header_limit));
  stream_.expires_after(ctx_.options.http_idle_timeout);
  http::async_read_header(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
}

// The peer went away or fell silent between requests: nothing to answer.
bool HttpSession::closed_by_peer(beast::error_code ec) {
  if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == boost::asio::error::eof ||
      ec == boost::asio::error::connection_reset || ec == boost::asio::error::operation_aborted) {
    beast::error_code ignored;
    stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
    return true;
  }
  return false;
}

void HttpSession::on_header(beast::error_code ec) {
  if (closed_by_peer(ec)) return;
  keep_alive_ = false;
  sensitive_ = false;
  version_ = 11;
  head_ = false;
  method_ = "-";
  log_target_ = "-";
  started_ = std::chrono::steady_clock::now();
  if (ec == http::error::body_limit) {  // Content-Length over --http-max-body, known from the head
    return respond(api::error_response(ErrorCode::payload_too_large, "body is larger than the limit"));
  }
  if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
    return respond(api::error_response(ErrorCode::bad_request, "request header is too large"));
  }
  if (ec) return respond(api::error_response(ErrorCode::bad_request, "malformed HTTP request"));

  const auto& req = parser_->get();
  version_ = req.version();
  keep_alive_ = req.keep_alive();
  method_ = std::string(req.method_string());
  // Only the access log reads the redacted target; skip the copy (an upgrade's target holds the whole
  // token) when it is off.
  if (ctx_.options.access_log) log_target_ = redact_target(req.target());
  head_ = req.method() == http::verb::head;
  sensitive_ = !req[http::field::authorization].empty();

  if (auto bad = check_framing(req)) {
    keep_alive_ = false;  // whatever follows on this connection cannot be trusted to be a request
    api::Response res = api::error_response(ErrorCode::bad_request, std::string(bad->message));
    res.status = bad->status;
    return respond(std::move(res));
  }
  auto target = parse_request_target(req.target());
  if (!target) {
    keep_alive_ = keep_alive_ && parser_->is_done();  // an unread body would be taken for the next request
    return respond(api::error_response(ErrorCode::bad_request, "malformed request target"));
  }
  path_ = std::move(target->path);
  query_ = std::move(target->query);
  if (path_.starts_with("/api/") || path_.starts_with("/dev/")) sensitive_ = true;

  if (path_ == "/ws") {
    if (!parser_->is_done()) {
      keep_alive_ = false;
      return respond(api::error_response(ErrorCode::bad_request, "an upgrade request has no body"));
    }
    return upgrade(parser_->release(), query_);
  }
  if (parser_->is_done()) return dispatch(parser_->release());

  // A body follows. Decide before reading a byte of it; a refusal closes the connection, since the
  // unread body would otherwise be read as the next request.
  api::Admission admission =
      ctx_.router.admit(api::RequestHead{req.method_string(), path_, req[http::field::authorization]});
  if (admission.refusal) {
    keep_alive_ = false;
    return respond(std::move(*admission.refusal));
  }
  const std::size_t limit = std::min(ctx_.options.http_max_body, admission.body_limit);
  const auto length = parser_->content_length();
  if (length && *length > limit) {
    keep_alive_ = false;
    return respond(api::error_response(ErrorCode::payload_too_large, "body is larger than the limit"));
  }
  // A chunked body's size is unknown until its end: it reserves its route's limit.
  if (!ctx_.body_budget.try_reserve(length ? static_cast<std::size_t>(*length) : limit, body_reservation_)) {
    keep_alive_ = false;
    api::Response busy =
        api::error_response(ErrorCode::unavailable, "too many request bodies in flight; retry later");
    return respond(std::move(busy));
  }
  parser_->body_limit(limit);
  read_body(version_ == 11 && beast::iequals(req[http::field::expect], "100-continue"));
}

void HttpSession::read_body(bool send_continue) {
  if (send_continue) {
    // The client waits for this before it sends the body (RFC 9110 10.1.1): only admitted bodies travel.
    auto interim = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
    return http::async_write(stream_, *interim,
                             [self = shared_from_this(), interim](beast::error_code ec, std::size_t) {
                               if (ec) return;
                               self->read_body(false);
                             });
  }
  http::async_read(stream_, buffer_, *parser_,
                   [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_body(ec); });
}

void HttpSession::on_body(beast::error_code ec) {
  if (ec == beast::error::timeout || ec == boost::asio::error::eof || ec == http::error::partial_message ||
      ec == boost::asio::error::connection_reset || ec == boost::asio::error::operation_aborted) {
    return;  // the client gave up (or stalled) mid-body: nobody to answer; the socket closes with us
  }
  keep_alive_ = false;
  if (ec == http::error::body_limit) {  // a chunked body grew past its limit
    return respond(api::error_response(ErrorCode::payload_too_large, "body is larger than the limit"));
  }
  if (ec) return respond(api::error_response(ErrorCode::bad_request, "malformed HTTP request"));
  keep_alive_ = parser_->get().keep_alive();
  dispatch(parser_->release());
}

void HttpSession::dispatch(http::request<http::string_body> req) {
  api::Request areq;
  areq.method = head_ ? "GET" : method_;
  areq.path = std::move(path_);
  areq.query = std::move(query_);
  areq.authorization = std::string(req[http::field::authorization]);
  areq.body = std::move(req.body());

  // Completion may come from the store's or key refresher's thread: hop back to this worker.
  api::Responder done = [self = shared_from_this()](api::Response res) {
    boost::asio::post(self->worker_.io(),
                      [self, res = std::move(res)]() mutable { self->respond(std::move(res)); });
  };
  const std::string path = areq.path;
  const std::string method = areq.method;
  if (ctx_.router.handle(std::move(areq), done)) return;

  if (ctx_.static_files && method == "GET") {
    if (const StaticFile* f = ctx_.static_files->find(path)) return respond(static_response(*f, req));
  }
  respond(api::error_response(ErrorCode::not_found, "not found"));
}

void HttpSession::upgrade(const http::request<http::string_body>& req, const std::string& query) {
  HandshakeCheck check = check_upgrade(req);
  if (check.status != 101) {
    api::Response res = api::error_response(
        check.status == 500 ? ErrorCode::internal : ErrorCode::bad_request, std::string(check.message));
    if (check.status == 426) {
      res.status = 426;  // Upgrade Required, naming the one version we speak (RFC 6455 4.2.2)
      res.headers.emplace_back("Sec-WebSocket-Version", "13");
    }
    return respond(std::move(res));
  }
  if (!ctx_.options.allowed_origins.empty()) {
    const std::string_view origin = req[http::field::origin];
    const auto& allowed = ctx_.options.allowed_origins;
    if (!origin.empty() && std::find(allowed.begin(), allowed.end(), origin) == allowed.end()) {
      return respond(api::error_response(ErrorCode::forbidden, "origin not allowed"));
    }
  }
  for (std::string_view name : {"token", "since", "epoch", "format", "flush_ms", "coalesce"}) {
    if (query_parameter_count(query, name) > 1) {
      keep_alive_ = false;
      return respond(
          api::error_response(ErrorCode::bad_request, "repeated " + std::string(name) + " parameter"));
    }
  }
  WsStart start;
  start.token = extract_token(query, req[http::field::authorization]);
  extract_resume(query, start);
  extract_options(query, start);
  if (ctx_.options.access_log) {
    beast::error_code ec;
    const auto remote = stream_.socket().remote_endpoint(ec);
    obs::info("ws upgrade",
              {{"target", log_target_}, {"remote", ec ? std::string("-") : remote.address().to_string()}});
  }
  ctx_.ws_sessions.fetch_add(1, std::memory_order_relaxed);
  // The session takes the bare socket: this HttpSession, its parser, buffer and tcp_stream state (timers)
  // are freed as soon as this handler returns. Bytes the client sent after the upgrade request are still
  // in buffer_: they are the start of the WebSocket stream and go to the session's frame reader.
  auto session = std::make_shared<WsSession>(stream_.release_socket(), worker_, ctx_, std::move(slot_));
  const auto early = buffer_.data();
  session->run(switching_protocols_response(check.accept), std::move(start),
               std::string_view(static_cast<const char*>(early.data()), early.size()));
}

void HttpSession::respond(api::Response res) {
  requests_total().inc();
  body_reservation_.release();  // the body was handed over and parsed, or never read
  http::response<http::string_body> msg{static_cast<http::status>(res.status), version_};
  msg.set(http::field::server, "fleetd/" FLEET_VERSION);
  // A 304 carries the validators and caching fields of what the client holds, not a content type.
  if (res.status != 304) msg.set(http::field::content_type, res.content_type);
  msg.set("X-Content-Type-Options", "nosniff");
  // Answers to credentialed requests and API calls are the caller's alone: no cache may keep them.
  if (sensitive_) msg.set(http::field::cache_control, "no-store");
  for (auto& [name, value] : res.headers) msg.set(name, value);
  const bool keep_alive = keep_alive_ && res.status < 500 && res.status != 413 && !ctx_.stopping.load();
  msg.keep_alive(keep_alive);
  const std::size_t size = res.body.size();
  msg.body() = std::move(res.body);
  msg.prepare_payload();
  if (res.status == 304) {
    // Boost 1.74 writes "Content-Length: 0" here, which a 304 must not claim (RFC 9110 8.6): none at all.
    msg.content_length(boost::none);
  } else if (head_) {
    msg.body().clear();
    msg.content_length(size);  // still describes the GET body
  }
  if (ctx_.options.access_log) {
    const auto us =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started_)
            .count();
    obs::info("http", {{"method", method_},
                       {"target", log_target_},
                       {"status", res.status},
                       {"bytes", static_cast<std::uint64_t>(size)},
                       {"us", static_cast<std::int64_t>(us)}});
  }
  auto sp = std::make_shared<http::response<http::string_body>>(std::move(msg));
  stream_.expires_after(ctx_.options.http_idle_timeout);
  http::async_write(stream_, *sp,
                    [self = shared_from_this(), sp, keep_alive](beast::error_code ec, std::size_t n) {
                      self->on_write(keep_alive, ec, n);
                    });
}

void HttpSession::on_write(bool keep_alive, beast::error_code ec, std::size_t) {
  if (ec) return;
  if (!keep_alive) {
    beast::error_code ignored;
    stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
    // Lingering close: a client still sending (e.g. the rest of a body we refused with 413) would get a
    // reset instead of our answer if we closed with its bytes unread. Drain for a bounded time first.
    stream_.expires_after(kLingerTime);
    return linger();
  }
  do_read();
}

void HttpSession::linger() {
  buffer_.consume(buffer_.size());
  stream_.async_read_some(
      buffer_.prepare(kReadChunk), [self = shared_from_this()](beast::error_code ec, std::size_t) {
        if (!ec) self->linger();  // EOF, timeout or error: done, the socket closes with the session
      });
}

}  // namespace fleet::net
