// Share links (docs/protocol.md, "Share links (users)"): an admin shares some devices until an expiry;
// the answer carries the share's token once (fleetd never stores it: the registry recomputes its
// signature). The store holds the shares; the registry, which WebSocket sessions ask, follows it.
#include <boost/json.hpp>

#include "api/handlers.hpp"
#include "api/http_errors.hpp"
#include "api/json_views.hpp"
#include "api/request_fields.hpp"
#include "api/user_auth.hpp"
#include "proto/json_writer.hpp"

namespace fleet::api {
namespace {

constexpr std::size_t kMaxShareDevices = 100;
constexpr std::int64_t kMinShareSeconds = 10;
constexpr std::int64_t kMaxShareSeconds = 30LL * 24 * 3600;  // 2,592,000
constexpr std::size_t kMaxLabelBytes = 100;

struct NewShare {
  std::vector<DeviceId> devices;
  std::int64_t expires_in_s = 0;
  std::string label;
};

Result<NewShare> parse_new_share(std::string_view body) {
  auto obj = parse_body_object(body, {"devices", "expires_in_s", "label"});
  if (!obj) return obj.error();
  NewShare s;
  const auto* devices = obj->if_contains("devices");
  if (!devices) return field_error("devices", "devices is required");
  auto ids = read_device_ids(*devices, "devices", 1, kMaxShareDevices);
  if (!ids) return ids.error();
  s.devices = std::move(*ids);
  const auto* expires = obj->if_contains("expires_in_s");
  if (!expires) return field_error("expires_in_s", "expires_in_s is required");
  auto seconds = read_integer(*expires, "expires_in_s", kMinShareSeconds, kMaxShareSeconds);
  if (!seconds) return seconds.error();
  s.expires_in_s = *seconds;
  if (const auto* label = obj->if_contains("label")) {
    auto text = read_text(*label, "label", 0, kMaxLabelBytes);
    if (!text) return text.error();
    s.label = std::move(*text);
  }
  return s;
}

auth::ShareGrant grant_of(const store::Share& s) {
  return auth::ShareGrant{s.id, s.tenant, s.devices, s.expires_ms};
}

Response forbidden(std::string_view what) {
  return error_response(ErrorCode::forbidden, std::string(what) + " requires the organization admin role");
}

}  // namespace

void handle_create_share(ApiContext& ctx, Request req, Responder done) {
  auto parsed = parse_new_share(req.body);
  with_principal(
      ctx, req, std::move(done),
      [&ctx, parsed = std::move(parsed)](const auth::Principal& p, Responder respond) {
        if (!p.is_admin()) return respond(forbidden("sharing devices"));
        if (!parsed) return respond(error_response(parsed.error()));
        // Checked before storing, so a share whose token could not be made is never stored.
        if (!ctx.shares.can_sign())
          return respond(error_response(ErrorCode::internal, "share links need the store's share key"));
        store::Share share;
        share.tenant = p.tenant;
        share.label = parsed->label;
        share.created_by = p.user.str();
        share.devices = parsed->devices;
        share.expires_ms = ctx.clock.now_ms() + parsed->expires_in_s * 1000;
        ctx.store.create_share(
            std::move(share), [&ctx, respond = std::move(respond)](Result<store::Share> r) {
              if (!r) return respond(error_response(r.error()));
              const std::string token = ctx.shares.token_for(r->id);
              if (token.empty())
                return respond(error_response(ErrorCode::internal, "cannot sign share " + r->id));
              // Registered before the answer: the link works from the moment its creator sees it.
              ctx.shares.add(grant_of(*r));
              std::string body = R"({"share":)";
              append_share(body, *r);
              body += R"(,"token":)";
              proto::append_json_string(body, token);
              body += R"(,"url":)";
              proto::append_json_string(body, "/share/" + token);
              body += '}';
              respond(json_response(201, std::move(body)));
            });
      });
}

void handle_list_shares(ApiContext& ctx, Request req, Responder done) {
  with_principal(ctx, req, std::move(done), [&ctx](const auth::Principal& p, Responder respond) {
    if (!p.is_admin()) return respond(forbidden("listing shares"));
    ctx.store.list_shares(p.tenant, [respond = std::move(respond)](Result<std::vector<store::Share>> r) {
      if (!r) return respond(error_response(r.error()));
      std::string body = R"({"shares":[)";
      bool first = true;
      for (const store::Share& s : *r) {
        if (!first) body += ',';
        first = false;
        append_share(body, s);
      }
      body += "]}";
      respond(json_response(200, std::move(body)));
    });
  });
}

void handle_revoke_share(ApiContext& ctx, Request req, std::string share_id, Responder done) {
  with_principal(ctx, req, std::move(done),
                 [&ctx, id = std::move(share_id)](const auth::Principal& p, Responder respond) mutable {
                   if (!is_store_id(id, "shr_"))
                     return respond(error_response(ErrorCode::not_found, "no such share"));
                   if (!p.is_admin()) return respond(forbidden("revoking shares"));
                   ctx.store.revoke_share(p.tenant, std::move(id),
                                          [&ctx, respond = std::move(respond)](Result<store::Share> r) {
                                            if (!r) return respond(error_response(r.error()));
                                            // The store first: once it holds the revocation, a restart cannot
                                            // bring the link back; then the registry, which live sessions
                                            // check at every sweep.
                                            ctx.shares.revoke(r->id);
                                            std::string body = R"({"share":)";
                                            append_share(body, *r);
                                            body += '}';
                                            respond(json_response(200, std::move(body)));
                                          });
                 });
}

}  // namespace fleet::api
