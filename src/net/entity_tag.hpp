#pragma once
// Validators for the static files: an entity tag per representation, and If-None-Match (RFC 9110 §8.8.3,
// §13.1.2) so a revalidating browser gets 304 instead of the bytes again. Pure: unit-tested on its own.
#include <string>
#include <string_view>

namespace fleet::net {

// A strong entity tag for `bytes`, quoted ("\"1a2b…\""), the same for the same bytes in every process and
// on every node. `suffix` tells representations of one file apart (a gzip variant is other bytes, so it
// must not share the identity's tag).
std::string entity_tag_for(std::string_view bytes, std::string_view suffix = {});

// Whether an If-None-Match field value matches `etag` by weak comparison (W/ ignored), as the field
// requires: "*", or a comma-separated list holding the tag. A malformed list matches nothing, so the
// full answer is sent.
bool if_none_match_matches(std::string_view if_none_match, std::string_view etag) noexcept;

}  // namespace fleet::net
