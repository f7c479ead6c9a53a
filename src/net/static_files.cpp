#include "net/static_files.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "net/entity_tag.hpp"

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

const std::string& StaticFile::body_for(ContentCoding coding) const noexcept {
  if (coding == ContentCoding::br && br) return *br;
  if (coding == ContentCoding::gzip && gzip) return *gzip;
  return body;
}

const std::string& StaticFile::etag_for(ContentCoding coding) const noexcept {
  if (coding == ContentCoding::br && br) return br_etag;
  if (coding == ContentCoding::gzip && gzip) return gzip_etag;
  return etag;
}

namespace {

// "x.js.br" -> {"x.js", br}; nullopt for a name that is no precompressed variant.
std::optional<std::pair<std::string_view, ContentCoding>> variant_of(std::string_view rel) {
  if (rel.ends_with(".br")) return std::pair{rel.substr(0, rel.size() - 3), ContentCoding::br};
  if (rel.ends_with(".gz")) return std::pair{rel.substr(0, rel.size() - 3), ContentCoding::gzip};
  return std::nullopt;
}

bool is_source_map(std::string_view rel) {
  const auto variant = variant_of(rel);
  return (variant ? variant->first : rel).ends_with(".map");
}

Result<std::string> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::internal, "cannot read " + path.string());
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

}  // namespace

Result<StaticFiles> StaticFiles::load(const std::string& root, StaticFilesOptions options) {
  std::error_code ec;
  if (!fs::is_directory(root, ec))
    return make_error(ErrorCode::internal, "web root is not a directory: " + root);
  // Read everything first: a variant may be listed before its original.
  std::map<std::string, std::string, std::less<>> contents;
  std::size_t total = 0;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    std::string rel = "/" + fs::relative(it->path(), root, ec).generic_string();
    if (!options.serve_source_maps && is_source_map(rel)) continue;
    auto bytes = read_file(it->path());
    if (!bytes) return bytes.error();
    total += bytes->size();
    if (total > options.max_total_bytes)
      return make_error(ErrorCode::internal, "web root is larger than the limit");
    contents.emplace(std::move(rel), std::move(*bytes));
  }
  if (ec) return make_error(ErrorCode::internal, "cannot list web root: " + ec.message());

  StaticFiles out;
  for (auto& [rel, bytes] : contents) {
    if (variant_of(rel)) continue;
    StaticFile f;
    f.body = std::move(bytes);
    f.etag = entity_tag_for(f.body);
    f.content_type = std::string(content_type_for(rel));
    f.cache_control = rel.starts_with("/assets/") ? "public, max-age=31536000, immutable" : "no-cache";
    out.files_.emplace(rel, std::move(f));
  }
  // Variants join their originals; one without an original, or no smaller than it, is dropped.
  for (auto& [rel, bytes] : contents) {
    const auto variant = variant_of(rel);
    if (!variant) continue;
    const auto original = out.files_.find(variant->first);
    if (original == out.files_.end() || bytes.size() >= original->second.body.size()) continue;
    StaticFile& f = original->second;
    if (variant->second == ContentCoding::br) {
      f.br_etag = entity_tag_for(bytes, "br");
      f.br = std::move(bytes);
    } else {
      f.gzip_etag = entity_tag_for(bytes, "gz");
      f.gzip = std::move(bytes);
    }
  }
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
