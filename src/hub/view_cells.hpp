#pragma once
// The grid the hub routes scoped sessions' events by: the globe cut into square cells at a few sizes, so
// an event reaches only the sessions whose views cover its cell, whatever the number of sessions. A view
// registers at the finest level where its boxes take at most kMaxViewCells cells: a street-level view
// takes a few 0.05° cells, a country a few 3.2° ones; a view larger than that is offered every event.
#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "hub/view_filter.hpp"

namespace fleet::hub {

inline constexpr std::size_t kCellLevels = 4;
inline constexpr std::array<double, kCellLevels> kCellDegrees = {0.05, 0.4, 3.2, 25.6};
inline constexpr std::size_t kMaxViewCells = 64;

// The cell holding (lat, lon) at `level`: unique across levels.
std::uint64_t cell_key(std::size_t level, double lat, double lon) noexcept;

struct CellCover {
  bool everywhere = false;  // no level covers the boxes in kMaxViewCells cells
  std::size_t level = 0;
  std::vector<std::uint64_t> cells;  // distinct
};

// The cells covering `boxes` (non-empty).
CellCover cover(std::span<const LonLatBox> boxes);

}  // namespace fleet::hub
