#include "fleet/http.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/url/parse.hpp>
#include <optional>

#include "tls_sni.hpp"

namespace fleet::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using beast::error_code;
using detail::set_sni;

Error transport_error(std::string_view stage, const std::string& what) {
  return Error::make(ErrorCode::unavailable, std::string(stage) + ": " + what);
}

}  // namespace

// Synchronous calls are async operations run to completion on a private io_context, because Beast's
// synchronous operations have no timeouts.
struct Connection::Impl {
  Endpoint ep;
  Options opts;
  asio::io_context ioc;
  std::unique_ptr<asio::ssl::context> tls_ctx;
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
  tcp::resolver resolver{ioc};
  beast::flat_buffer buffer;
  bool connected = false;

  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }

  template <class F>
  void with_stream(F&& f) {
    if (tls) {
      f(*tls);
    } else {
      f(*plain);
    }
  }

  // Runs queued work until it completes or the timeout passes; on timeout aborts the socket (and resolver)
  // so the pending operation finishes with an error. Returns false on timeout.
  bool run_bounded(const bool& done) {
    ioc.restart();
    ioc.run_for(opts.timeout);
    if (done) return true;
    resolver.cancel();
    if (plain || tls) {
      error_code ignored;
      lowest().socket().close(ignored);
    }
    ioc.restart();
    ioc.run();
    return false;
  }

  void disconnect() {
    if (plain || tls) {
      error_code ignored;
      lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
      lowest().socket().close(ignored);
    }
    tls.reset();
    plain.reset();
    buffer.clear();
    connected = false;
  }

  Result<void> connect() {
    disconnect();
    error_code ec;
    bool done = false;
    tcp::resolver::results_type endpoints;
    resolver.async_resolve(ep.host, ep.port, [&](error_code e, tcp::resolver::results_type r) {
      ec = e;
      endpoints = std::move(r);
      done = true;
    });
    if (!run_bounded(done)) return transport_error("resolve " + ep.host, "timed out");
    if (ec) return transport_error("resolve " + ep.host, ec.message());

    if (ep.tls) {
      tls.emplace(ioc, *tls_ctx);
      error_code addr_ec;
      asio::ip::make_address(ep.host, addr_ec);
      if (addr_ec && !set_sni(tls->native_handle(), ep.host)) {
        return transport_error("tls", "cannot set SNI host name");
      }
      tls->set_verify_mode(asio::ssl::verify_peer);
      tls->set_verify_callback(asio::ssl::host_name_verification(ep.host));
    } else {
      plain.emplace(ioc);
    }
    done = false;
    lowest().async_connect(endpoints, [&](error_code e, const tcp::endpoint&) {
      ec = e;
      done = true;
    });
    if (!run_bounded(done)) return transport_error("connect " + ep.host_header(), "timed out");
    if (ec) return transport_error("connect " + ep.host_header(), ec.message());

    if (tls) {
      done = false;
      tls->async_handshake(asio::ssl::stream_base::client, [&](error_code e) {
        ec = e;
        done = true;
      });
      if (!run_bounded(done)) return transport_error("tls handshake", "timed out");
      if (ec) return transport_error("tls handshake", ec.message());
    }
    connected = true;
    return {};
  }

  // One exchange on the current connection. `sent_nothing` tells the caller whether a retry is safe in the
  // usual keep-alive sense: the server closed the idle connection before reading anything of ours.
  Result<Response> exchange(const bhttp::request<bhttp::string_body>& req, bool& stale) {
    stale = false;
    error_code ec;
    bool done = false;
    with_stream([&](auto& s) {
      bhttp::async_write(s, req, [&](error_code e, std::size_t) {
        ec = e;
        done = true;
      });
    });
    if (!run_bounded(done)) return transport_error("write", "timed out");
    if (ec) {
      stale = true;
      return transport_error("write", ec.message());
    }

    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(opts.max_body);
    done = false;
    std::size_t bytes = 0;
    with_stream([&](auto& s) {
      bhttp::async_read(s, buffer, parser, [&](error_code e, std::size_t n) {
        ec = e;
        bytes = n;
        done = true;
      });
    });
    if (!run_bounded(done)) return transport_error("read", "timed out");
    if (ec) {
      // Over TLS a server that closes an idle connection without close_notify shows up as stream_truncated
      // rather than end_of_stream; it is the same stale connection.
      stale = bytes == 0 && (ec == bhttp::error::end_of_stream || ec == asio::error::connection_reset ||
                             ec == asio::error::eof || ec == asio::ssl::error::stream_truncated);
      return transport_error("read", ec.message());
    }
    auto res = parser.release();
    Response out;
    out.status = res.result_int();
    out.body = std::move(res.body());
    out.content_type = std::string(res[bhttp::field::content_type]);
    out.retry_after = std::string(res[bhttp::field::retry_after]);
    if (!res.keep_alive()) disconnect();
    return out;
  }
};

Connection::Connection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Connection::~Connection() {
  if (impl_) impl_->disconnect();
}

Result<std::unique_ptr<Connection>> Connection::open(std::string_view base_url, Options options) {
  auto ep = parse_endpoint(base_url);
  if (!ep) return ep.error();
  auto impl = std::make_unique<Impl>();
  impl->ep = std::move(*ep);
  impl->opts = std::move(options);
  if (impl->ep.tls) {
    impl->tls_ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
    // TLS 1.2 or newer, whatever the system's OpenSSL defaults say.
    SSL_CTX_set_min_proto_version(impl->tls_ctx->native_handle(), TLS1_2_VERSION);
    error_code ec;
    if (impl->opts.ca_file.empty()) {
      impl->tls_ctx->set_default_verify_paths(ec);
    } else {
      impl->tls_ctx->load_verify_file(impl->opts.ca_file, ec);
    }
    if (ec) return Error::make(ErrorCode::invalid_field, "cannot load CA certificates: " + ec.message());
  }
  return std::unique_ptr<Connection>(new Connection(std::move(impl)));
}

Result<Response> Connection::request(std::string_view method, std::string_view target,
                                     std::string_view bearer, std::string_view body) {
  Impl& d = *impl_;
  const bhttp::verb verb = bhttp::string_to_verb(method);
  if (verb == bhttp::verb::unknown) return Error::make(ErrorCode::bad_request, "unknown HTTP method");
  bhttp::request<bhttp::string_body> req{verb, d.ep.base_path + std::string(target), 11};
  req.set(bhttp::field::host, d.ep.host_header());
  req.set(bhttp::field::user_agent, "fleetctl/" FLEET_VERSION);
  req.set(bhttp::field::accept, "application/json");
  if (!bearer.empty()) req.set(bhttp::field::authorization, "Bearer " + std::string(bearer));
  if (!body.empty() || verb == bhttp::verb::post || verb == bhttp::verb::put || verb == bhttp::verb::patch) {
    req.set(bhttp::field::content_type, "application/json");
    req.body() = std::string(body);
  }
  req.keep_alive(true);
  req.prepare_payload();

  // A reused connection may have been closed by the server while idle: retry such a failure once on a
  // fresh connection. A fresh connection's failure is reported as is.
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool reused = d.connected;
    if (!d.connected) {
      auto c = d.connect();
      if (!c) return c.error();
    }
    bool stale = false;
    auto r = d.exchange(req, stale);
    if (r) return r;
    d.disconnect();
    if (!(reused && stale)) return r.error();
  }
  return transport_error("request", "connection closed by the server");
}

Result<Response> request(std::string_view method, std::string_view url, std::string_view bearer,
                         std::string_view body, const Options& options) {
  auto u = boost::urls::parse_absolute_uri(url);
  if (!u) return Error::make(ErrorCode::invalid_field, "not an absolute URL: " + std::string(url));
  std::string base = std::string(u->scheme()) + "://" + std::string(u->encoded_authority());
  std::string target(u->encoded_path());
  if (target.empty()) target = "/";
  if (u->has_query()) target += "?" + std::string(u->encoded_query());
  auto conn = Connection::open(base, options);
  if (!conn) return conn.error();
  return (*conn)->request(method, target, bearer, body);
}

}  // namespace fleet::http
