#pragma once
// The built web app, loaded into memory once at start so serving it never touches the disk from a
// worker thread. Hashed assets (Vite's assets/*) are immutable and cached for a year; index.html is
// revalidated, and unknown extension-less paths fall back to it for client-side routes.
//
// Precompressed variants: the build writes `x.br` and `x.gz` beside a compressible `x`; they are loaded
// with `x` and sent in its place when the request's Accept-Encoding allows (net/accept_encoding.hpp). They
// are never served by their own names, and never as `x`'s identity bytes. Every representation has its
// own entity tag, so a browser revalidating `index.html` or a basemap pack gets 304. Source maps (`*.map`)
// are not loaded at all unless asked for, so they answer 404.
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "net/accept_encoding.hpp"

namespace fleet::net {

struct StaticFile {
  std::string body;  // identity bytes
  std::optional<std::string> gzip;
  std::optional<std::string> br;
  std::string content_type;
  std::string cache_control;
  // Quoted entity tags of the identity bytes and of each variant (net/entity_tag.hpp), set at load.
  std::string etag;
  std::string gzip_etag;
  std::string br_etag;

  // Whether the answer depends on Accept-Encoding, so it must carry `Vary: Accept-Encoding`.
  bool has_variants() const noexcept { return gzip || br; }
  AvailableCodings codings() const noexcept { return {gzip.has_value(), br.has_value()}; }
  const std::string& body_for(ContentCoding coding) const noexcept;
  const std::string& etag_for(ContentCoding coding) const noexcept;
};

struct StaticFilesOptions {
  std::size_t max_total_bytes = std::size_t{256} << 20;  // every file and variant together
  bool serve_source_maps = false;
};

class StaticFiles {
 public:
  // Loads every regular file under `root`. Fails if root is not a directory, has no index.html, or holds
  // more than options.max_total_bytes.
  static Result<StaticFiles> load(const std::string& root, StaticFilesOptions options = {});

  // The file for a request path ("/", "/assets/x.js", "/some/route"), or nullptr.
  const StaticFile* find(std::string_view path) const;
  std::size_t size() const noexcept { return files_.size(); }

  static std::string_view content_type_for(std::string_view path) noexcept;

 private:
  std::map<std::string, StaticFile, std::less<>> files_;  // key: "/relative/path"
};

}  // namespace fleet::net
