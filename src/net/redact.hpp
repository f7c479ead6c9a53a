#pragma once
#include <string>
#include <string_view>

namespace fleet::net {

// The request target as it may appear in a log: the value of every `token` query parameter (any case,
// encoded or not), the segment after /share/ and any segment starting "fsh_" (share tokens) are replaced
// by "REDACTED". Tokens are bearer secrets; logs are not.
std::string redact_target(std::string_view target);

}  // namespace fleet::net
