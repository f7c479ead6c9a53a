#pragma once
// Everything the request handlers need, wired by the app. Handlers hold references, never ownership.
#include <functional>
#include <string>

#include "api/telemetry_codec.hpp"
#include "auth/authenticator.hpp"
#include "auth/share_registry.hpp"
#include "core/clock.hpp"
#include "hub/broker.hpp"
#include "proto/device_index.hpp"
#include "store/store.hpp"

namespace fleet::auth {
class DevIssuer;
}

namespace fleet::api {

struct ApiContext {
  store::Store& store;
  hub::Broker& broker;
  proto::DeviceIndex& device_index;  // names devices in the compact encoding of every batch
  auth::Authenticator& authenticator;
  auth::ShareRegistry& shares;  // share tokens: created and revoked through the API, refused by it
  const Clock& clock;
  IngestLimits ingest;
  const auth::DevIssuer* dev_issuer = nullptr;  // non-null only with --dev
  // Empty when ready; otherwise why not (shown by /readyz).
  std::function<std::string()> not_ready_reason;
  std::string app_config_json;  // GET /api/v1/app-config's body, encoded once (api/app_config.hpp)
};

}  // namespace fleet::api
