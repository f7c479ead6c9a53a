#pragma once
// Authenticates the user JWT of a REST request and continues with its Principal, or answers 401/403.
#include <functional>

#include "api/context.hpp"
#include "api/http_types.hpp"

namespace fleet::api {

void with_principal(ApiContext& ctx, const Request& req, Responder done,
                    std::function<void(const auth::Principal&, Responder)> next);

}  // namespace fleet::api
