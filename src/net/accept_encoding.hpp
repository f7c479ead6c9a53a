#pragma once
// Content negotiation for precompressed static files: which coding to send for a request's
// Accept-Encoding (RFC 9110 §12.5.3). Pure: no I/O, no allocation, so it is unit-tested on its own.
#include <cstdint>
#include <optional>
#include <string_view>

namespace fleet::net {

enum class ContentCoding : std::uint8_t { identity, gzip, br };

// The Content-Encoding token for a coding ("" for identity, which is never sent).
std::string_view coding_name(ContentCoding coding) noexcept;

// The precompressed variants a file has besides its identity bytes.
struct AvailableCodings {
  bool gzip = false;
  bool br = false;
};

// Picks the coding to send. `accept_encoding` is the request's field value (several fields joined with
// ","), nullopt when the request has none, which gets identity: old clients and tools that never asked
// must not receive bytes they cannot read. Otherwise each listed coding has a weight (";q=", 0 to 1, three
// decimals; default 1; "q=0" refuses it); "*" weighs every coding not listed; "x-gzip" is gzip; matching is
// case-insensitive. identity is acceptable unless refused (explicitly, or by "*;q=0" without listing it).
// Of the acceptable candidates the heaviest wins, ties going to br, then gzip, then identity; an identity
// accepted only implicitly loses to any acceptable variant. When nothing acceptable is available the
// answer is identity, as RFC 9110 advises (no 406). Malformed elements (a bad q) are ignored.
ContentCoding choose_content_coding(std::optional<std::string_view> accept_encoding,
                                    AvailableCodings available) noexcept;

}  // namespace fleet::net
