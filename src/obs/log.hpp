#pragma once
// Structured log lines: `ts=... level=info msg="..." key=value ...` on stderr, one write per line so
// lines from different threads never interleave. Never pass secrets (tokens, device keys) as fields.
#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace fleet::obs {

enum class Level { debug = 0, info = 1, warn = 2, error = 3 };

struct Field {
  std::string_view key;
  std::string value;
  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, const std::string& v) : key(k), value(v) {}
  Field(std::string_view k, const char* v) : key(k), value(v) {}
  Field(std::string_view k, std::int64_t v) : key(k), value(std::to_string(v)) {}
  Field(std::string_view k, std::uint64_t v) : key(k), value(std::to_string(v)) {}
  Field(std::string_view k, int v) : key(k), value(std::to_string(v)) {}
  Field(std::string_view k, unsigned v) : key(k), value(std::to_string(v)) {}
  Field(std::string_view k, double v) : key(k), value(std::to_string(v)) {}
  Field(std::string_view k, bool v) : key(k), value(v ? "true" : "false") {}
};

void set_level(Level level) noexcept;
bool enabled(Level level) noexcept;
// Parses "debug" | "info" | "warn" | "error".
bool parse_level(std::string_view text, Level& out) noexcept;

void log(Level level, std::string_view msg, std::initializer_list<Field> fields = {});

inline void debug(std::string_view m, std::initializer_list<Field> f = {}) {
  if (enabled(Level::debug)) log(Level::debug, m, f);
}
inline void info(std::string_view m, std::initializer_list<Field> f = {}) { log(Level::info, m, f); }
inline void warn(std::string_view m, std::initializer_list<Field> f = {}) { log(Level::warn, m, f); }
inline void error(std::string_view m, std::initializer_list<Field> f = {}) { log(Level::error, m, f); }

}  // namespace fleet::obs
