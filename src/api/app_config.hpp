#pragma once
// GET /api/v1/app-config: what the web page needs to know about this deployment before it draws, such as
// the basemap's tile source (docs/protocol.md, "App config"). Public, since the page asks before sign-in,
// so it holds nothing secret. The document is encoded once at start and shared by every answer.
#include <string>

namespace fleet::api {

struct AppConfig {
  std::string map_tile_url;     // an XYZ template ({z}, {x}, {y}), validated by the app; empty: offline map
  std::string map_attribution;  // shown by the page under the tiles; may be empty
};

// {"map":{"tile_url":"...","attribution":"..."}}
std::string encode_app_config(const AppConfig& config);

}  // namespace fleet::api
