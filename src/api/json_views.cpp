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
