#include "api/app_config.hpp"

#include "api/handlers.hpp"
#include "api/http_errors.hpp"
#include "proto/json_writer.hpp"

namespace fleet::api {

std::string encode_app_config(const AppConfig& config) {
  std::string body = R"({"map":{"tile_url":)";
  proto::append_json_string(body, config.map_tile_url);
  body += R"(,"attribution":)";
  proto::append_json_string(body, config.map_attribution);
  body += "}}";
  return body;
}

void handle_app_config(const ApiContext& ctx, Responder done) {
  Response res = json_response(200, ctx.app_config_json);
  // Revalidated on every load, so a changed --map-tiles reaches pages at their next reload.
  res.headers.emplace_back("Cache-Control", "no-cache");
  done(std::move(res));
}

}  // namespace fleet::api
