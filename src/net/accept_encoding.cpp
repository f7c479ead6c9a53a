#include "net/accept_encoding.hpp"

#include <array>
#include <utility>

namespace fleet::net {
namespace {

constexpr int kUnlisted = -1;  // a weight nobody gave

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), in thousandths; -1 when malformed.
int parse_qvalue(std::string_view v) noexcept {
  if (v.empty() || (v[0] != '0' && v[0] != '1')) return -1;
  int thousandths = v[0] == '1' ? 1000 : 0;
  if (v.size() == 1) return thousandths;
  if (v[1] != '.' || v.size() > 5) return -1;
  int scale = 100;
  for (const char c : v.substr(2)) {
    if (c < '0' || c > '9') return -1;
    thousandths += (c - '0') * scale;
    scale /= 10;
  }
  return thousandths > 1000 ? -1 : thousandths;
}

// The weight of one element's parameters: the q parameter's value, 1000 without one, -1 when malformed.
int element_weight(std::string_view params) noexcept {
  int weight = 1000;
  while (!params.empty()) {
    const auto semi = params.find(';');
    const std::string_view param = trim(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view{} : params.substr(semi + 1);
    const auto eq = param.find('=');
    if (eq == std::string_view::npos) continue;
    if (iequals(trim(param.substr(0, eq)), "q")) weight = parse_qvalue(trim(param.substr(eq + 1)));
  }
  return weight;
}

}  // namespace

std::string_view coding_name(ContentCoding coding) noexcept {
  switch (coding) {
    case ContentCoding::gzip: return "gzip";
    case ContentCoding::br: return "br";
    case ContentCoding::identity: break;
  }
  return "";
}

ContentCoding choose_content_coding(std::optional<std::string_view> accept_encoding,
                                    AvailableCodings available) noexcept {
  if (!accept_encoding) return ContentCoding::identity;
  int br = kUnlisted;
  int gzip = kUnlisted;
  int identity = kUnlisted;
  int any = kUnlisted;
  std::string_view rest = *accept_encoding;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    const std::string_view element = trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    const auto semi = element.find(';');
    const std::string_view coding = trim(element.substr(0, semi));
    const int weight =
        element_weight(semi == std::string_view::npos ? std::string_view{} : element.substr(semi));
    if (coding.empty() || weight < 0) continue;
    // A coding listed twice keeps its heaviest weight.
    int* slot = nullptr;
    if (iequals(coding, "br")) {
      slot = &br;
    } else if (iequals(coding, "gzip") || iequals(coding, "x-gzip")) {
      slot = &gzip;
    } else if (iequals(coding, "identity")) {
      slot = &identity;
    } else if (coding == "*") {
      slot = &any;
    }
    if (slot && weight > *slot) *slot = weight;
  }
  if (br == kUnlisted) br = any;
  if (gzip == kUnlisted) gzip = any;
  // identity is acceptable unless refused; when only implied, any acceptable variant beats it.
  const bool identity_implied = identity == kUnlisted && any == kUnlisted;
  if (identity == kUnlisted) identity = any;

  ContentCoding best = ContentCoding::identity;
  int best_weight = identity_implied ? 0 : identity;
  // Candidates in reverse order of preference, each winning ties: identity, then gzip, then br.
  const std::array<std::pair<ContentCoding, int>, 2> variants{
      {{ContentCoding::gzip, available.gzip ? gzip : 0}, {ContentCoding::br, available.br ? br : 0}}};
  for (const auto& [coding, weight] : variants) {
    if (weight > 0 && weight >= best_weight) {
      best = coding;
      best_weight = weight;
    }
  }
  return best;
}

}  // namespace fleet::net
