/** Fit padding for the replay track when a panel floats over part of the map. */
const MARGIN_PX = 24

/**
 * Fit padding that keeps the track out from under `cover`: it gives up the side of the map the cover
 * sits on, horizontally or vertically, whichever leaves the larger free area.
 */
export function paddingBeside(
  map: { left: number; top: number; width: number; height: number },
  cover: { left: number; top: number; right: number; bottom: number },
): { paddingTopLeft: [number, number]; paddingBottomRight: [number, number] } {
  const left = cover.left - map.left
  const right = cover.right - map.left
  const top = cover.top - map.top
  const bottom = cover.bottom - map.top
  const tl: [number, number] = [MARGIN_PX, MARGIN_PX]
  const br: [number, number] = [MARGIN_PX, MARGIN_PX]
  const overlaps = right > 0 && left < map.width && bottom > 0 && top < map.height
  if (!overlaps) return { paddingTopLeft: tl, paddingBottomRight: br }
  const freeBeside = (map.width - (right - left)) * map.height
  const freeAbove = map.width * (map.height - (bottom - top))
  if (freeBeside >= freeAbove) {
    if (left + right > map.width) br[0] += map.width - left
    else tl[0] += right
  } else if (top + bottom > map.height) br[1] += map.height - top
  else tl[1] += bottom
  return { paddingTopLeft: tl, paddingBottomRight: br }
}
