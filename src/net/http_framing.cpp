#include "net/http_framing.hpp"

namespace fleet::net {
namespace {

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_chunked(std::string_view coding) noexcept {
  constexpr std::string_view kChunked = "chunked";
  if (coding.size() != kChunked.size()) return false;
  for (std::size_t i = 0; i < coding.size(); ++i) {
    const char c =
        coding[i] >= 'A' && coding[i] <= 'Z' ? static_cast<char>(coding[i] - 'A' + 'a') : coding[i];
    if (c != kChunked[i]) return false;
  }
  return true;
}

}  // namespace

std::optional<FramingError> framing_error(const RequestFraming& r) noexcept {
  if (r.host_fields == 0 && r.version >= 11) return FramingError{400, "missing Host header"};  // RFC 9112 3.2
  if (r.host_fields > 1) return FramingError{400, "repeated Host header"};
  if (r.transfer_encoding.empty()) return std::nullopt;
  // RFC 9112 6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing.
  if (r.version < 11) return FramingError{400, "Transfer-Encoding is not allowed in HTTP/1.0"};
  // The codings of every field form one list (empty elements allowed). Chunked must be the last and come
  // once (6.3); any other coding would have to be undone, which fleetd does not do (501).
  std::size_t codings = 0;
  bool chunked_last = false;
  bool other = false;
  for (std::string_view field : r.transfer_encoding) {
    while (true) {
      const std::size_t comma = field.find(',');
      const std::string_view coding = trim(field.substr(0, comma));
      if (!coding.empty()) {
        if (chunked_last) return FramingError{400, "Transfer-Encoding must end in chunked, once"};
        chunked_last = is_chunked(coding);
        other = other || !chunked_last;
        ++codings;
      }
      if (comma == std::string_view::npos) break;
      field.remove_prefix(comma + 1);
    }
  }
  if (codings == 0 || !chunked_last) return FramingError{400, "Transfer-Encoding must end in chunked"};
  if (other) return FramingError{501, "unsupported transfer coding: only chunked is implemented"};
  return std::nullopt;
}

}  // namespace fleet::net
