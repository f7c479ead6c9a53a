#pragma once
// Maps (method, path) to a handler. Pure dispatch: no I/O of its own.
#include "api/context.hpp"
#include "api/http_types.hpp"

namespace fleet::api {

class Router {
 public:
  explicit Router(ApiContext& ctx) : ctx_(ctx) {}

  // Handles API, operations and dev routes and returns true. Returns false, without calling `done`, for
  // any other path, so the transport may serve static files there.
  bool handle(Request req, Responder& done);

  // Decides on a request by its head, before the transport reads (and buffers) its body, so what costs
  // memory is reserved for callers who proved who they are: ingest needs an active device key here, and
  // writing a group's members with a bearer token gets kGroupBodyLimit (10,000 device ids), and every
  // other route, whose bodies are small JSON documents, gets kSmallBodyLimit.
  Admission admit(const RequestHead& head) const;

  static constexpr std::size_t kSmallBodyLimit = 64 * 1024;
  static constexpr std::size_t kGroupBodyLimit = 512 * 1024;

 private:
  ApiContext& ctx_;
};

}  // namespace fleet::api
