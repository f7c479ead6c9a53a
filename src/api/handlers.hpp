#pragma once
// Request handlers, one function per endpoint (docs/protocol.md, "HTTP API"). Each completes `done`
// exactly once, possibly from the store's or the key refresher's thread.
#include "api/context.hpp"
#include "api/http_types.hpp"

namespace fleet::api {

// A refusal for an ingest request whose device key is missing or not active, decided from its
// Authorization header alone (before the body is read); nullopt to go on.
std::optional<Response> admit_ingest(const ApiContext& ctx, std::string_view authorization);
void handle_ingest(ApiContext& ctx, Request req, Responder done);

void handle_me(ApiContext& ctx, Request req, Responder done);
void handle_list_devices(ApiContext& ctx, Request req, Responder done);
void handle_create_device(ApiContext& ctx, Request req, Responder done);
void handle_revoke_device(ApiContext& ctx, Request req, std::string device_id, Responder done);
void handle_history(ApiContext& ctx, Request req, std::string device_id, Responder done);

// Device groups: reading needs a member of the tenant, writing an admin (group_handlers.cpp).
void handle_list_groups(ApiContext& ctx, Request req, Responder done);
void handle_create_group(ApiContext& ctx, Request req, Responder done);
void handle_set_group_devices(ApiContext& ctx, Request req, std::string group_id, Responder done);
void handle_delete_group(ApiContext& ctx, Request req, std::string group_id, Responder done);

// Share links, admin only (share_handlers.cpp). Creating and revoking keep ctx.shares current.
void handle_create_share(ApiContext& ctx, Request req, Responder done);
void handle_list_shares(ApiContext& ctx, Request req, Responder done);
void handle_revoke_share(ApiContext& ctx, Request req, std::string share_id, Responder done);

void handle_dev_token(ApiContext& ctx, Request req, Responder done);
void handle_dev_jwks(ApiContext& ctx, Responder done);

// GET /api/v1/app-config: ctx.app_config_json, public (api/app_config.hpp).
void handle_app_config(const ApiContext& ctx, Responder done);

void handle_healthz(Responder done);
void handle_readyz(ApiContext& ctx, Responder done);
void handle_metrics(Responder done);

}  // namespace fleet::api
