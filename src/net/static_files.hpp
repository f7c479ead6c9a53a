#pragma once
// The built web app, loaded into memory once at start so serving it never touches the disk from a
// worker thread. Hashed assets (Vite's assets/*) are immutable and cached for a year; index.html is
// revalidated, and unknown extension-less paths fall back to it for client-side routes.
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace fleet::net {

struct StaticFile {
  std::string body;
  std::string content_type;
  std::string cache_control;
};

class StaticFiles {
 public:
  // Loads every regular file under `root` (max `max_total_bytes`). Fails if root is not a directory or
  // has no index.html.
  static Result<StaticFiles> load(const std::string& root, std::size_t max_total_bytes = 64 << 20);

  // The file for a request path ("/", "/assets/x.js", "/some/route"), or nullptr.
  const StaticFile* find(std::string_view path) const;
  std::size_t size() const noexcept { return files_.size(); }

  static std::string_view content_type_for(std::string_view path) noexcept;

 private:
  std::map<std::string, StaticFile, std::less<>> files_;  // key: "/relative/path"
};

}  // namespace fleet::net
