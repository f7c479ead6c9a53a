// Device groups (docs/protocol.md, "Device groups (users)"): any member of the tenant reads them, an
// admin writes them. The store checks that every member is the tenant's and that names are unique.
#include <boost/json.hpp>

#include "api/handlers.hpp"
#include "api/http_errors.hpp"
#include "api/json_views.hpp"
#include "api/request_fields.hpp"
#include "api/user_auth.hpp"

namespace fleet::api {
namespace {

constexpr std::size_t kMaxGroupNameBytes = 100;
constexpr std::size_t kMaxGroupDevices = 10'000;

struct NewGroup {
  std::string name;
  std::vector<DeviceId> devices;
};

Result<NewGroup> parse_new_group(std::string_view body) {
  auto obj = parse_body_object(body, {"name", "devices"});
  if (!obj) return obj.error();
  NewGroup g;
  const auto* name = obj->if_contains("name");
  if (!name) return field_error("name", "name is required");
  auto text = read_text(*name, "name", 1, kMaxGroupNameBytes);
  if (!text) return text.error();
  g.name = std::move(*text);
  if (const auto* devices = obj->if_contains("devices")) {
    auto ids = read_device_ids(*devices, "devices", 0, kMaxGroupDevices);
    if (!ids) return ids.error();
    g.devices = std::move(*ids);
  }
  return g;
}

Result<std::vector<DeviceId>> parse_group_devices(std::string_view body) {
  auto obj = parse_body_object(body, {"devices"});
  if (!obj) return obj.error();
  const auto* devices = obj->if_contains("devices");
  if (!devices) return field_error("devices", "devices is required");
  return read_device_ids(*devices, "devices", 0, kMaxGroupDevices);
}

// {"group":{...}} with `status`, or the store's error.
store::Callback<store::Group> answer_group(int status, Responder respond) {
  return [status, respond = std::move(respond)](Result<store::Group> r) {
    if (!r) return respond(error_response(r.error()));
    std::string body = R"({"group":)";
    append_group(body, *r);
    body += '}';
    respond(json_response(status, std::move(body)));
  };
}

Response forbidden(std::string_view what) {
  return error_response(ErrorCode::forbidden, std::string(what) + " requires the organization admin role");
}

}  // namespace

void handle_list_groups(ApiContext& ctx, Request req, Responder done) {
  with_principal(ctx, req, std::move(done), [&ctx](const auth::Principal& p, Responder respond) {
    ctx.store.list_groups(p.tenant, [respond = std::move(respond)](Result<std::vector<store::Group>> r) {
      if (!r) return respond(error_response(r.error()));
      std::string body = R"({"groups":[)";
      bool first = true;
      for (const store::Group& g : *r) {
        if (!first) body += ',';
        first = false;
        append_group(body, g);
      }
      body += "]}";
      respond(json_response(200, std::move(body)));
    });
  });
}

void handle_create_group(ApiContext& ctx, Request req, Responder done) {
  auto group = parse_new_group(req.body);
  with_principal(ctx, req, std::move(done),
                 [&ctx, group = std::move(group)](const auth::Principal& p, Responder respond) mutable {
                   if (!p.is_admin()) return respond(forbidden("creating groups"));
                   if (!group) return respond(error_response(group.error()));
                   ctx.store.create_group(p.tenant, std::move(group->name), std::move(group->devices),
                                          answer_group(201, std::move(respond)));
                 });
}

void handle_set_group_devices(ApiContext& ctx, Request req, std::string group_id, Responder done) {
  auto devices = parse_group_devices(req.body);
  with_principal(ctx, req, std::move(done),
                 [&ctx, id = std::move(group_id), devices = std::move(devices)](const auth::Principal& p,
                                                                                Responder respond) mutable {
                   if (!is_store_id(id, "grp_"))
                     return respond(error_response(ErrorCode::not_found, "no such group"));
                   if (!p.is_admin()) return respond(forbidden("changing groups"));
                   if (!devices) return respond(error_response(devices.error()));
                   ctx.store.set_group_devices(p.tenant, std::move(id), std::move(*devices),
                                               answer_group(200, std::move(respond)));
                 });
}

void handle_delete_group(ApiContext& ctx, Request req, std::string group_id, Responder done) {
  with_principal(ctx, req, std::move(done),
                 [&ctx, id = std::move(group_id)](const auth::Principal& p, Responder respond) mutable {
                   if (!is_store_id(id, "grp_"))
                     return respond(error_response(ErrorCode::not_found, "no such group"));
                   if (!p.is_admin()) return respond(forbidden("deleting groups"));
                   ctx.store.delete_group(p.tenant, std::move(id), answer_group(200, std::move(respond)));
                 });
}

}  // namespace fleet::api
