#include "api/bearer.hpp"

#include <cctype>

namespace fleet::api {

std::optional<std::string_view> bearer_credentials(std::string_view h) noexcept {
  constexpr std::string_view scheme = "bearer";
  if (h.size() <= scheme.size() || h[scheme.size()] != ' ') return std::nullopt;
  for (std::size_t i = 0; i < scheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(h[i])) != scheme[i]) return std::nullopt;
  }
  std::string_view rest = h.substr(scheme.size() + 1);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  while (!rest.empty() && rest.back() == ' ') rest.remove_suffix(1);
  if (rest.empty()) return std::nullopt;
  return rest;
}

}  // namespace fleet::api
