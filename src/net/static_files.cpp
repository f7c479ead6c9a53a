#include "net/static_files.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace fleet::net {
namespace fs = std::filesystem;

std::string_view StaticFiles::content_type_for(std::string_view path) noexcept {
  const auto dot = path.rfind('.');
  const std::string_view ext = dot == std::string_view::npos ? std::string_view{} : path.substr(dot + 1);
  if (ext == "html") return "text/html; charset=utf-8";
  if (ext == "js" || ext == "mjs") return "text/javascript; charset=utf-8";
  if (ext == "css") return "text/css; charset=utf-8";
  if (ext == "json" || ext == "map") return "application/json";
  if (ext == "svg") return "image/svg+xml";
  if (ext == "png") return "image/png";
  if (ext == "jpg" || ext == "jpeg") return "image/jpeg";
  if (ext == "ico") return "image/x-icon";
  if (ext == "webp") return "image/webp";
  if (ext == "woff2") return "font/woff2";
  if (ext == "woff") return "font/woff";
  if (ext == "txt") return "text/plain; charset=utf-8";
  if (ext == "wasm") return "application/wasm";
  return "application/octet-stream";
}

Result<StaticFiles> StaticFiles::load(const std::string& root, std::size_t max_total_bytes) {
  std::error_code ec;
  if (!fs::is_directory(root, ec))
    return make_error(ErrorCode::internal, "web root is not a directory: " + root);
  StaticFiles out;
  std::size_t total = 0;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    const std::string rel = "/" + fs::relative(it->path(), root, ec).generic_string();
    std::ifstream in(it->path(), std::ios::binary);
    if (!in) return make_error(ErrorCode::internal, "cannot read " + it->path().string());
    std::ostringstream buf;
    buf << in.rdbuf();
    StaticFile f;
    f.body = buf.str();
    total += f.body.size();
    if (total > max_total_bytes) return make_error(ErrorCode::internal, "web root is larger than the limit");
    f.content_type = std::string(content_type_for(rel));
    f.cache_control = rel.starts_with("/assets/") ? "public, max-age=31536000, immutable" : "no-cache";
    out.files_.emplace(rel, std::move(f));
  }
  if (ec) return make_error(ErrorCode::internal, "cannot list web root: " + ec.message());
  if (!out.files_.contains("/index.html"))
    return make_error(ErrorCode::internal, "web root has no index.html");
  return out;
}

const StaticFile* StaticFiles::find(std::string_view path) const {
  if (path == "/" || path.empty()) path = "/index.html";
  // Only exact keys match, so "..", "//" or encoded tricks can never reach outside the loaded set.
  if (auto it = files_.find(path); it != files_.end()) return &it->second;
  const auto last = path.substr(path.rfind('/') + 1);
  if (last.find('.') == std::string_view::npos) return &files_.find("/index.html")->second;
  return nullptr;
}

}  // namespace fleet::net
