#include "api/json_views.hpp"

#include "proto/json_writer.hpp"
#include "proto/messages.hpp"

namespace fleet::api {

void append_device(std::string& out, const Device& d) {
  out += R"({"id":)";
  proto::append_json_string(out, d.id.str());
  out += R"(,"name":)";
  proto::append_json_string(out, d.name);
  out += R"(,"created_ms":)";
  proto::append_json_number(out, d.created_ms);
  if (d.revoked_ms) {
    out += R"(,"revoked_ms":)";
    proto::append_json_number(out, *d.revoked_ms);
  }
  out += R"(,"last":)";
  if (d.last) {
    proto::append_event(out, *d.last);
  } else {
    out += "null";
  }
  out += '}';
}

namespace {

void append_device_ids(std::string& out, const std::vector<DeviceId>& ids) {
  out += '[';
  bool first = true;
  for (const DeviceId& id : ids) {
    if (!first) out += ',';
    first = false;
    proto::append_json_string(out, id.str());
  }
  out += ']';
}

}  // namespace

void append_group(std::string& out, const store::Group& g) {
  out += R"({"id":)";
  proto::append_json_string(out, g.id);
  out += R"(,"name":)";
  proto::append_json_string(out, g.name);
  out += R"(,"created_ms":)";
  proto::append_json_number(out, g.created_ms);
  out += R"(,"devices":)";
  append_device_ids(out, g.devices);
  out += '}';
}

void append_share(std::string& out, const store::Share& s) {
  out += R"({"id":)";
  proto::append_json_string(out, s.id);
  out += R"(,"label":)";
  proto::append_json_string(out, s.label);
  out += R"(,"created_by":)";
  proto::append_json_string(out, s.created_by);
  out += R"(,"devices":)";
  append_device_ids(out, s.devices);
  out += R"(,"created_ms":)";
  proto::append_json_number(out, s.created_ms);
  out += R"(,"expires_ms":)";
  proto::append_json_number(out, s.expires_ms);
  out += R"(,"revoked_ms":)";
  if (s.revoked_ms) {
    proto::append_json_number(out, *s.revoked_ms);
  } else {
    out += "null";
  }
  out += '}';
}

std::string principal_json(const auth::Principal& p) {
  std::string out = R"({"tenant":)";
  proto::append_json_string(out, p.tenant.str());
  out += R"(,"user":)";
  proto::append_json_string(out, p.user.str());
  out += R"(,"role":)";
  proto::append_json_string(out, p.role);
  out += R"(,"token_exp":)";
  proto::append_json_number(out, p.exp_s);
  out += '}';
  return out;
}

}  // namespace fleet::api
