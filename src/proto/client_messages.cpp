#include "proto/client_messages.hpp"

#include <boost/json.hpp>

#include "core/strict_json.hpp"
#include "proto/json_values.hpp"

namespace fleet::proto {
namespace {

using Kind = ClientMessage::Kind;

// An auth message holds a token (Clerk's are 1-3 KB) and a few small members; the transport's message
// limit bounds the text before it gets here.
constexpr JsonLimits kLimits{4, 64 * 1024};

bool is_epoch_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

std::optional<Seq> json_since(const boost::json::value& v) noexcept {
  // Negative, too large, fractional (a double) or not a number: nullopt.
  const auto n = json_uint64(v);
  return n && *n <= kMaxResumeSeq ? n : std::nullopt;
}

// format, flush_ms and coalesce (docs/protocol.md, "Stream options"); nullopt in `ok` when malformed.
std::optional<StreamOptions> json_options(const boost::json::object& o, bool& ok) {
  const auto* format = o.if_contains("format");
  const auto* flush = o.if_contains("flush_ms");
  const auto* coalesce = o.if_contains("coalesce");
  ok = true;
  if (format == nullptr && flush == nullptr && coalesce == nullptr) return std::nullopt;
  StreamOptions options;
  if (format != nullptr) {
    const auto f = format->is_string() ? parse_format(format->get_string()) : std::nullopt;
    if (!f) ok = false;
    options.format = f.value_or(Format::json);
  }
  if (flush != nullptr) {
    const auto ms = json_uint64(*flush);
    if (ms && *ms <= kMaxFlushMs) {
      options.flush_ms = static_cast<std::uint32_t>(*ms);
    } else {
      ok = false;
    }
  }
  if (coalesce != nullptr) {
    if (!coalesce->is_bool()) ok = false;
    options.coalesce = coalesce->is_bool() && coalesce->get_bool();
  }
  return options;
}

ClientMessage decode_auth(const boost::json::object& o) {
  ClientMessage m;
  const auto* token = o.if_contains("token");
  for (const auto& member : o) {
    const std::string_view k = member.key();
    if (k != "type" && k != "token" && k != "since" && k != "epoch" && k != "format" && k != "flush_ms" &&
        k != "coalesce" && k != "view") {
      return {Kind::malformed_auth, {}, {}, {}, {}};
    }
  }
  if (token == nullptr || !token->is_string()) return {Kind::malformed_auth, {}, {}, {}, {}};
  const auto* since = o.if_contains("since");
  const auto* epoch = o.if_contains("epoch");
  if (since != nullptr || epoch != nullptr) {
    if (since == nullptr || epoch == nullptr || !epoch->is_string())
      return {Kind::invalid_resume, {}, {}, {}, {}};
    const auto seq = json_since(*since);
    const std::string_view e = epoch->get_string();
    if (!seq || !is_valid_epoch(e)) return {Kind::invalid_resume, {}, {}, {}, {}};
    m.resume = ResumePosition{*seq, std::string(e)};
  }
  bool options_ok = true;
  m.options = json_options(o, options_ok);
  if (!options_ok) return {Kind::invalid_options, {}, {}, {}, {}};
  if (const auto* view = o.if_contains("view")) {
    // The first snapshot then comes scoped: a phone never downloads the whole tenant to throw it away.
    m.view = view->is_object() ? decode_view(view->get_object()) : std::nullopt;
    if (!m.view) return {Kind::invalid_view, {}, {}, {}, {}};
  }
  m.kind = Kind::auth;
  m.token = token->get_string();
  return m;
}

}  // namespace

ClientMessage decode_client_message(std::string_view text) {
  auto json = parse_strict_json(text, kLimits);
  if (!json || !json->is_object()) return {};
  const auto& o = json->get_object();
  const auto* type = o.if_contains("type");
  if (type == nullptr || !type->is_string()) return {};
  const std::string_view t = type->get_string();
  if (t == "ping") return {Kind::ping, {}, {}, {}, {}};
  if (t == "auth") return decode_auth(o);
  if (t == "view") {
    ClientMessage m;
    m.view = decode_view(o);
    m.kind = m.view ? Kind::view : Kind::invalid_view;
    return m;
  }
  return {};
}

std::optional<Seq> parse_resume_since(std::string_view digits) noexcept {
  if (digits.empty() || digits.size() > 16) return std::nullopt;  // 2^53 - 1 has 16 digits
  Seq v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<Seq>(c - '0');
  }
  if (v > kMaxResumeSeq) return std::nullopt;
  return v;
}

bool is_valid_epoch(std::string_view epoch) noexcept {
  if (epoch.empty() || epoch.size() > kMaxEpochSize) return false;
  for (char c : epoch) {
    if (!is_epoch_char(c)) return false;
  }
  return true;
}

}  // namespace fleet::proto
