#include "session_wire.hpp"

#include <cstdio>

#include "telemetry_wire.hpp"

namespace loadgen {

namespace {

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      char esc[8];
      std::snprintf(esc, sizeof esc, "\\u%04x", u);
      out += esc;
    } else {
      out += c;
    }
  }
  out += '"';
}

// The string value of `"name":"…"` (no escapes: hello's epoch is [A-Za-z0-9_-]); nullopt when absent.
std::optional<std::string_view> string_member(std::string_view text,
                                              std::string_view quoted_name_colon_quote) {
  const std::size_t at = find_after(text, quoted_name_colon_quote, 0, text.size());
  if (at == std::string_view::npos) return std::nullopt;
  const std::size_t end = text.find('"', at);
  if (end == std::string_view::npos) return std::nullopt;
  return text.substr(at, end - at);
}

}  // namespace

std::string auth_message(std::string_view token, const ResumePoint* resume, const StreamOptions* stream) {
  std::string out;
  out.reserve(token.size() + 96);
  out += R"({"type":"auth","token":)";
  append_json_string(out, token);
  if (resume) {
    out += R"(,"since":)";
    out += std::to_string(resume->since);
    out += R"(,"epoch":)";
    append_json_string(out, resume->epoch);
  }
  if (stream && !stream->format.empty()) {
    out += R"(,"format":)";
    append_json_string(out, stream->format);
  }
  if (stream && stream->flush_ms) {
    out += R"(,"flush_ms":)";
    out += std::to_string(*stream->flush_ms);
  }
  if (stream && stream->coalesce) out += R"(,"coalesce":true)";
  out += '}';
  return out;
}

std::optional<HelloInfo> parse_hello(std::string_view message) {
  if (message_type(message) != "hello") return std::nullopt;
  HelloInfo h;
  std::size_t from = 0;
  std::int64_t seq = 0;
  if (!scan_integer(message, "\"seq\":", from, seq) || seq < 0) return std::nullopt;
  h.seq = static_cast<std::uint64_t>(seq);
  if (auto epoch = string_member(message, R"("epoch":")")) h.epoch = std::string(*epoch);
  const std::size_t recovered = find_after(message, R"("recovered":)", 0, message.size());
  if (recovered != std::string_view::npos) h.recovered = message.substr(recovered).starts_with("true");
  if (auto format = string_member(message, R"("format":")")) h.format = std::string(*format);
  return h;
}

}  // namespace loadgen
