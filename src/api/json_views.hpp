#pragma once
// JSON renderings of core values for REST responses (telemetry events reuse the WebSocket encoding).
#include <string>

#include "auth/authenticator.hpp"
#include "core/telemetry.hpp"
#include "store/store.hpp"

namespace fleet::api {

void append_device(std::string& out, const Device& d);
// {"id","name","created_ms","devices":[...]} (docs/protocol.md, "Device groups (users)").
void append_group(std::string& out, const store::Group& g);
// {"id","label","created_by","devices","created_ms","expires_ms","revoked_ms"}: never the token.
void append_share(std::string& out, const store::Share& s);
std::string principal_json(const auth::Principal& p);

}  // namespace fleet::api
