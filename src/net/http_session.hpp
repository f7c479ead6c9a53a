#pragma once
// One HTTP/1.1 connection: reads a request, answers it through the API router or the static files, and
// hands the socket to a WsSession on an upgrade to /ws. One request at a time: the next read starts only
// after the response is written, which is the backpressure for clients that pipeline.
//
// Headers first: the body is read only once the head passed the framing checks and the router's
// admission (ingest: an active device key) and its size was reserved against the process-wide body
// budget. A refused request is answered without reading its body, and the connection closes.
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <memory>
#include <optional>

#include "api/http_types.hpp"
#include "net/net_context.hpp"

namespace fleet::net {

class Worker;

class HttpSession final : public std::enable_shared_from_this<HttpSession> {
 public:
  // `slot` counts this connection against the connection caps until it closes, or until the WebSocket
  // session it becomes authenticates.
  HttpSession(boost::asio::ip::tcp::socket&& socket, Worker& worker, NetContext& ctx, ConnectionSlot slot);
  void run();

 private:
  void do_read();
  void on_header(boost::beast::error_code ec);
  void read_body(bool send_continue);
  void on_body(boost::beast::error_code ec);
  bool closed_by_peer(boost::beast::error_code ec);
  void dispatch(boost::beast::http::request<boost::beast::http::string_body> req);
  void upgrade(const boost::beast::http::request<boost::beast::http::string_body>& req,
               const std::string& query);
  void respond(api::Response res);
  void on_write(bool keep_alive, boost::beast::error_code ec, std::size_t n);
  void linger();

  boost::beast::tcp_stream stream_;
  Worker& worker_;
  NetContext& ctx_;
  ConnectionSlot slot_;
  boost::beast::flat_buffer buffer_;  // bounded: a head must fit, bodies stream through it
  BodyReservation body_reservation_;  // the body being read or answered; returned after the answer
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  // The request being answered, for the response and the access log.
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool head_ = false;
  bool sensitive_ = false;  // credentials or an API path: the answer gets Cache-Control: no-store
  std::string method_;
  std::string log_target_;
  std::string path_;  // percent-decoded path of the request being read
  std::string query_;
  std::chrono::steady_clock::time_point started_;
};

}  // namespace fleet::net
