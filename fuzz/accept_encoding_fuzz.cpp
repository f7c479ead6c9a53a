// Content negotiation (net/accept_encoding): the Accept-Encoding value is whatever a client sends. Beyond
// "no crash", the choice is always identity or a coding the file has, does not depend on the order of the
// list's elements, on empty elements and spaces around them, or on letter case, and a coding chosen among
// both variants is still chosen when it is the only one.
// Input: one byte (bit 0: a gzip variant exists, bit 1: a br variant), then the field value.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "net/accept_encoding.hpp"

namespace {

using fleet::net::AvailableCodings;
using fleet::net::choose_content_coding;
using fleet::net::ContentCoding;

ContentCoding choose(std::string_view header, AvailableCodings available) {
  return choose_content_coding(header, available);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const AvailableCodings available{(data[0] & 1) != 0, (data[0] & 2) != 0};
  const std::string_view header(reinterpret_cast<const char*>(data + 1), size - 1);

  const ContentCoding got = choose(header, available);
  FUZZ_CHECK(got == ContentCoding::identity || (got == ContentCoding::gzip && available.gzip) ||
             (got == ContentCoding::br && available.br));
  FUZZ_CHECK(choose(header, AvailableCodings{}) == ContentCoding::identity);
  FUZZ_CHECK(choose_content_coding(std::nullopt, available) == ContentCoding::identity);

  // Empty elements and blanks around elements change nothing.
  FUZZ_CHECK(choose(" ,\t" + std::string(header) + " , ", available) == got);
  // Neither does the order: the first element moved to the end.
  if (const auto comma = header.find(','); comma != std::string_view::npos) {
    const std::string rotated =
        std::string(header.substr(comma + 1)) + "," + std::string(header.substr(0, comma));
    FUZZ_CHECK(choose(rotated, available) == got);
  }
  // Nor letter case (codings and the q parameter are case-insensitive).
  std::string upper(header);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  FUZZ_CHECK(choose(upper, available) == got);

  // Taking the other variant away never takes the chosen one away.
  if (available.gzip && available.br && got != ContentCoding::identity) {
    const AvailableCodings only{got == ContentCoding::gzip, got == ContentCoding::br};
    FUZZ_CHECK(choose(header, only) == got);
  }
  return 0;
}
