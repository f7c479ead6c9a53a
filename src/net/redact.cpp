#include "net/redact.hpp"

#include <cctype>

namespace fleet::net {
namespace {

bool is_token_key(std::string_view key) {
  // Compare case-insensitively and tolerate percent-encoded letters ("%74oken").
  std::string decoded;
  for (std::size_t i = 0; i < key.size(); ++i) {
    if (key[i] == '%' && i + 2 < key.size()) {
      auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        return -1;
      };
      const int hi = hex(key[i + 1]), lo = hex(key[i + 2]);
      if (hi >= 0 && lo >= 0) {
        decoded += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    decoded += key[i];
  }
  if (decoded.size() != 5) return false;
  for (std::size_t i = 0; i < 5; ++i) {
    if (std::tolower(static_cast<unsigned char>(decoded[i])) != "token"[i]) return false;
  }
  return true;
}

// The path with every share token in it replaced: the share page's /share/<token> carries one, and any
// segment that looks like one ("fsh_...") is treated the same.
std::string redact_path(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  bool after_share = false;
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto slash = path.find('/', start);
    const std::string_view segment =
        path.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (start > 0) out += '/';
    if (!segment.empty() && (after_share || segment.substr(0, 4) == "fsh_")) {
      out += "REDACTED";
    } else {
      out += segment;
    }
    after_share = start == 1 && segment == "share";
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return out;
}

}  // namespace

std::string redact_target(std::string_view target) {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return redact_path(target);
  std::string out = redact_path(target.substr(0, q));
  out += '?';
  std::string_view rest = target.substr(q + 1);
  bool first = true;
  while (true) {
    const auto amp = rest.find('&');
    const std::string_view param = rest.substr(0, amp);
    if (!first) out += '&';
    first = false;
    const auto eq = param.find('=');
    const std::string_view key = param.substr(0, eq);
    if (is_token_key(key)) {
      out += key;
      out += "=REDACTED";
    } else {
      out += param;
    }
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
  return out;
}

}  // namespace fleet::net
