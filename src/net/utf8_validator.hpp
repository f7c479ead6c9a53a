#pragma once
// Incremental UTF-8 validation (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF) for text
// messages that arrive in fragments: a code point may be split across frames, so the state carries over.
// Pure; 2 bytes of state.
#include <cstdint>
#include <string_view>

namespace fleet::net {

class Utf8Validator {
 public:
  // Feeds the next bytes. Returns false as soon as the input cannot be the prefix of valid UTF-8;
  // after that the validator stays failed until reset().
  bool feed(std::string_view bytes) noexcept;
  // True when everything fed so far is valid and no code point is left unfinished.
  bool complete() const noexcept { return !failed_ && needed_ == 0; }
  void reset() noexcept { *this = Utf8Validator{}; }

 private:
  std::uint8_t needed_ = 0;    // continuation bytes still expected for the current code point
  std::uint8_t lower_ = 0x80;  // allowed range of the next continuation byte (narrowed after E0, ED, F0, F4)
  std::uint8_t upper_ = 0xBF;
  bool failed_ = false;
};

}  // namespace fleet::net
