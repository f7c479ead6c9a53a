#include "cluster/bus_message.hpp"

#include <boost/json.hpp>

#include "cluster/bus.hpp"
#include "core/strict_json.hpp"
#include "proto/json_writer.hpp"
#include "proto/message_decode.hpp"

namespace fleet::cluster {
namespace json = boost::json;

namespace {

bool subject_safe(std::string_view id) noexcept {
  if (id.empty()) return false;
  for (char c : id) {
    const bool ok =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// A batch message is the size of its events plus a short head; NATS refuses payloads over its max_payload
// (1 MiB by default) anyway, so this bound only stops a hostile sender from making us parse more.
constexpr JsonLimits kLimits{.max_depth = 8, .max_bytes = std::size_t{16} << 20};

Error invalid(std::string_view field, std::string message) {
  Error e = Error::make(ErrorCode::invalid_field, std::move(message));
  e.field = field;
  return e;
}

}  // namespace

std::string subject_for(const TenantId& tenant) {
  std::string out(kSubjectPrefix);
  const std::string& id = tenant.str();
  if (subject_safe(id)) return out += id;
  static constexpr char kHex[] = "0123456789abcdef";
  out.reserve(out.size() + 1 + 2 * id.size());
  out += '~';
  for (unsigned char c : id) {
    out += kHex[c >> 4];
    out += kHex[c & 0xf];
  }
  return out;
}

std::string encode_bus_message(const proto::EncodedBatch& batch, std::string_view node,
                               std::int64_t sent_ms) {
  std::string out;
  out.reserve(batch.bytes.size() + batch.tenant.str().size() + node.size() + 80);
  out += R"({"type":"telemetry","tenant":)";
  proto::append_json_string(out, batch.tenant.str());
  out += R"(,"node":)";
  proto::append_json_string(out, node);
  out += R"(,"sent_ms":)";
  proto::append_json_number(out, sent_ms);
  out += R"(,"events":[)";
  out += batch.bytes;
  out += "]}";
  return out;
}

Result<BusBatch> decode_bus_message(std::string_view subject, std::string_view payload,
                                    boost::json::storage_ptr storage) {
  auto parsed = parse_strict_json(payload, kLimits, std::move(storage));
  if (!parsed) return parsed.error();
  const json::object* o = parsed->if_object();
  if (!o) return Error::make(ErrorCode::invalid_json, "a bus message must be a JSON object");
  const json::value* type = o->if_contains("type");
  if (!type || !type->is_string() || type->get_string() != "telemetry") {
    return invalid("type", "type must be \"telemetry\"");
  }
  auto text = [&](const char* key) -> Result<std::string> {
    const json::value* v = o->if_contains(key);
    if (!v || !v->is_string() || v->get_string().empty()) {
      return invalid(key, std::string(key) + " must be a non-empty string");
    }
    return std::string(v->get_string());
  };
  BusBatch out;
  auto tenant = text("tenant");
  if (!tenant) return tenant.error();
  out.tenant = TenantId(std::move(*tenant));
  auto node = text("node");
  if (!node) return node.error();
  out.node = std::move(*node);
  if (subject != subject_for(out.tenant)) return invalid("tenant", "the tenant does not match the subject");
  const json::value* sent = o->if_contains("sent_ms");
  if (!sent || !sent->is_int64()) return invalid("sent_ms", "sent_ms must be an integer");
  out.sent_ms = sent->get_int64();
  const json::value* events = o->if_contains("events");
  if (!events || !events->is_array() || events->get_array().empty()) {
    return invalid("events", "events must be a non-empty array");
  }
  out.points.reserve(events->get_array().size());
  for (const json::value& ev : events->get_array()) {
    auto p = proto::decode_event(ev);
    if (!p) {
      Error e = p.error();
      e.index = out.points.size();
      return e;
    }
    if (!out.points.empty() && p->seq <= out.points.back().seq) {
      return invalid("events", "event seqs must be strictly ascending");
    }
    out.points.push_back(std::move(*p));
  }
  return out;
}

}  // namespace fleet::cluster
