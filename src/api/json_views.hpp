#pragma once
// JSON renderings of core values for REST responses (telemetry events reuse the WebSocket encoding).
#include <string>

#include "auth/authenticator.hpp"
#include "core/telemetry.hpp"

namespace fleet::api {

void append_device(std::string& out, const Device& d);
std::string principal_json(const auth::Principal& p);

}  // namespace fleet::api
