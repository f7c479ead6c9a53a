#include "net/entity_tag.hpp"

#include <array>
#include <cstdint>

namespace fleet::net {

std::string entity_tag_for(std::string_view bytes, std::string_view suffix) {
  // FNV-1a 64: a cache validator needs to change when the bytes change, not to resist forgery.
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  static constexpr std::array<char, 16> kHex{'0', '1', '2', '3', '4', '5', '6', '7',
                                             '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
  std::string out = "\"";
  for (int shift = 60; shift >= 0; shift -= 4) out += kHex[(h >> shift) & 0xf];
  if (!suffix.empty()) {
    out += '-';
    out += suffix;
  }
  out += '"';
  return out;
}

namespace {

constexpr bool is_space(char c) noexcept { return c == ' ' || c == '\t'; }

// The opaque part of an entity tag (quotes included), without a leading "W/"; empty when malformed.
std::string_view opaque_tag(std::string_view tag) noexcept {
  if (tag.starts_with("W/")) tag.remove_prefix(2);
  if (tag.size() < 2 || tag.front() != '"' || tag.back() != '"') return {};
  if (tag.substr(1, tag.size() - 2).find('"') != std::string_view::npos) return {};
  return tag;
}

}  // namespace

bool if_none_match_matches(std::string_view if_none_match, std::string_view etag) noexcept {
  const std::string_view mine = opaque_tag(etag);
  if (mine.empty()) return false;
  while (!if_none_match.empty()) {
    const std::size_t comma = if_none_match.find(',');
    std::string_view element = if_none_match.substr(0, comma);
    if_none_match = comma == std::string_view::npos ? std::string_view{} : if_none_match.substr(comma + 1);
    while (!element.empty() && is_space(element.front())) element.remove_prefix(1);
    while (!element.empty() && is_space(element.back())) element.remove_suffix(1);
    if (element.empty()) continue;
    if (element == "*") return true;
    const std::string_view theirs = opaque_tag(element);
    if (theirs.empty()) return false;
    if (theirs == mine) return true;
  }
  return false;
}

}  // namespace fleet::net
