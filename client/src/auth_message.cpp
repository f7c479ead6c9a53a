#include "auth_message.hpp"

#include "proto/json_writer.hpp"

namespace fleet::detail {

std::string encode_auth(std::string_view token, const std::optional<proto::ResumePosition>& resume,
                        const StreamOptions& options, std::string_view view) {
  std::string out;
  out.reserve(token.size() + view.size() + 96);
  out += R"({"type":"auth","token":)";
  proto::append_json_string(out, token);
  if (resume) {
    out += R"(,"since":)";
    proto::append_json_number(out, std::uint64_t{resume->since});
    out += R"(,"epoch":)";
    proto::append_json_string(out, resume->epoch);
  }
  if (options.format) {
    out += R"(,"format":")";
    out += to_string(*options.format);
    out += '"';
  }
  if (options.flush_ms) {
    out += R"(,"flush_ms":)";
    proto::append_json_number(out, std::uint64_t{*options.flush_ms});
  }
  if (options.coalesce) out += *options.coalesce ? R"(,"coalesce":true)" : R"(,"coalesce":false)";
  if (!view.empty()) {
    out += R"(,"view":)";
    out += view;
  }
  out += '}';
  return out;
}

std::string ws_request_target(const Endpoint& ep, std::string_view url_token,
                              const std::optional<proto::ResumePosition>& resume,
                              const StreamOptions& options) {
  if (url_token.empty()) return ep.base_path + "/ws";
  std::string target = ws_target(ep, url_token);
  if (resume) {
    // The epoch is [A-Za-z0-9_-] (proto::is_valid_epoch) and needs no encoding.
    target += "&since=" + std::to_string(resume->since) + "&epoch=" + resume->epoch;
  }
  // Values are [a-z0-9] and need no encoding either.
  if (options.format) target += std::string("&format=") + to_string(*options.format);
  if (options.flush_ms) target += "&flush_ms=" + std::to_string(*options.flush_ms);
  if (options.coalesce) target += *options.coalesce ? "&coalesce=1" : "&coalesce=0";
  return target;
}

}  // namespace fleet::detail
