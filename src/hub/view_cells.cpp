#include "hub/view_cells.hpp"

#include <algorithm>
#include <cmath>

namespace fleet::hub {
namespace {

struct CellRange {
  std::int64_t row0, row1, col0, col1;
};

std::int64_t row_of(std::size_t level, double lat) noexcept {
  const double size = kCellDegrees[level];
  const auto rows = static_cast<std::int64_t>(std::ceil(180.0 / size));
  return std::clamp(static_cast<std::int64_t>(std::floor((lat + 90.0) / size)), std::int64_t{0}, rows - 1);
}

std::int64_t col_of(std::size_t level, double lon) noexcept {
  const double size = kCellDegrees[level];
  const auto cols = static_cast<std::int64_t>(std::ceil(360.0 / size));
  return std::clamp(static_cast<std::int64_t>(std::floor((lon + 180.0) / size)), std::int64_t{0}, cols - 1);
}

CellRange range_of(std::size_t level, const LonLatBox& b) noexcept {
  return {row_of(level, b.south), row_of(level, b.north), col_of(level, b.west), col_of(level, b.east)};
}

std::uint64_t key(std::size_t level, std::int64_t row, std::int64_t col) noexcept {
  return (std::uint64_t{level} << 48) | (static_cast<std::uint64_t>(row) << 24) |
         static_cast<std::uint64_t>(col);
}

}  // namespace

std::uint64_t cell_key(std::size_t level, double lat, double lon) noexcept {
  return key(level, row_of(level, lat), col_of(level, lon));
}

CellCover cover(std::span<const LonLatBox> boxes) {
  CellCover out;
  for (std::size_t level = 0; level < kCellLevels; ++level) {
    std::size_t count = 0;
    for (const LonLatBox& b : boxes) {
      const CellRange r = range_of(level, b);
      count += static_cast<std::size_t>((r.row1 - r.row0 + 1) * (r.col1 - r.col0 + 1));
      if (count > kMaxViewCells) break;
    }
    if (count > kMaxViewCells) continue;
    out.level = level;
    for (const LonLatBox& b : boxes) {
      const CellRange r = range_of(level, b);
      for (std::int64_t row = r.row0; row <= r.row1; ++row) {
        for (std::int64_t col = r.col0; col <= r.col1; ++col) out.cells.push_back(key(level, row, col));
      }
    }
    std::sort(out.cells.begin(), out.cells.end());
    out.cells.erase(std::unique(out.cells.begin(), out.cells.end()), out.cells.end());
    return out;
  }
  out.everywhere = true;
  return out;
}

}  // namespace fleet::hub
