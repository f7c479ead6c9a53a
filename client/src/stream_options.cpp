#include "fleet/stream_options.hpp"

namespace fleet {

std::string validate(const StreamOptions& o) {
  if (o.flush_ms && *o.flush_ms > kMaxFlushMs) {
    return "flush_ms must be in 0.." + std::to_string(kMaxFlushMs) + ", got " + std::to_string(*o.flush_ms);
  }
  return {};
}

const char* to_string(StreamFormat f) noexcept {
  switch (f) {
    case StreamFormat::json: return "json";
    case StreamFormat::compact: return "compact";
  }
  return "json";
}

}  // namespace fleet
