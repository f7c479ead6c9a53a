#include "net/utf8_validator.hpp"

namespace fleet::net {

bool Utf8Validator::feed(std::string_view bytes) noexcept {
  if (failed_) return false;
  for (const char ch : bytes) {
    const auto b = static_cast<std::uint8_t>(ch);
    if (needed_ > 0) {
      if (b < lower_ || b > upper_) return !(failed_ = true);
      lower_ = 0x80;
      upper_ = 0xBF;
      --needed_;
      continue;
    }
    if (b < 0x80) continue;
    // The first continuation byte's range excludes overlong forms (E0, F0), UTF-16 surrogates (ED) and
    // code points above U+10FFFF (F4); the table is Unicode's "well-formed byte sequences" (Table 3-7).
    if (b >= 0xC2 && b <= 0xDF) {
      needed_ = 1;
    } else if (b >= 0xE0 && b <= 0xEF) {
      needed_ = 2;
      if (b == 0xE0) lower_ = 0xA0;
      if (b == 0xED) upper_ = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
      needed_ = 3;
      if (b == 0xF0) lower_ = 0x90;
      if (b == 0xF4) upper_ = 0x8F;
    } else {
      return !(failed_ = true);  // 80-C1 (stray continuation, overlong 2-byte lead) or F5-FF
    }
  }
  return true;
}

}  // namespace fleet::net
