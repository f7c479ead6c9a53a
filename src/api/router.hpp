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

 private:
  ApiContext& ctx_;
};

}  // namespace fleet::api
