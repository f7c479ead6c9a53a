/**
 * Where the offline basemap keeps what. Geometry is cut into tiles at a few "data zooms" only; a view
 * tile at zoom z draws the data tile of the nearest data zoom at or below z, scaled up (each data zoom's
 * geometry is simplified to well under a pixel at the next one). Data tiles are grouped into packs of
 * up to 8 × 8, one file each (`basemap/<dz>/<px>-<py>.pack`, JSON: tileCodec.ts), so a city view costs
 * one or two requests, not dozens. A pack that does not exist holds no geometry: its whole area is one colour, which
 * the previous data zoom already says.
 */

/** Zooms at which the build writes tiles (ascending; 0 must be first: its single pack always exists). */
export const DATA_ZOOMS: readonly number[] = [0, 2, 4, 6, 8, 10]

/** log2 of a pack's width in tiles. */
export const PACK_SHIFT = 3

/** Integer coordinates per data tile side ("extent"), as in vector tiles. */
export const EXTENT = 4096

/** Geometry reaches this far (in extent units) beyond a tile's edge, so strokes never show seams. */
export const BUFFER = 64

/** The data zoom a view at `zoom` draws from: the largest data zoom not above it. */
export function dataZoomFor(zoom: number): number {
  let best = DATA_ZOOMS[0]!
  for (const dz of DATA_ZOOMS) if (dz <= zoom) best = dz
  return best
}

/** The data zoom below `dz` (null for the first). */
export function previousDataZoom(dz: number): number | null {
  const i = DATA_ZOOMS.indexOf(dz)
  return i > 0 ? DATA_ZOOMS[i - 1]! : null
}

export function wrapX(x: number, z: number): number {
  const n = 2 ** z
  return ((x % n) + n) % n
}

export interface PackAddress {
  /** Data zoom of the tiles in the pack. */
  dz: number
  px: number
  py: number
  /** Tiles per pack side at this data zoom (1, 4 or 8). */
  side: number
  /** Index of the requested tile inside the pack, row-major. */
  index: number
}

/** The pack holding data tile (dz, x, y). */
export function packOf(dz: number, x: number, y: number): PackAddress {
  const shift = Math.min(dz, PACK_SHIFT)
  const side = 2 ** shift
  const px = x >> shift
  const py = y >> shift
  return { dz, px, py, side, index: (y - py * side) * side + (x - px * side) }
}

/** The pack's path below the basemap directory. */
export function packPath(p: { dz: number; px: number; py: number }): string {
  return `${p.dz}/${p.px}-${p.py}.pack`
}

export interface DataTileView {
  dz: number
  x: number
  y: number
  /** 2^(z − dz): how many view tiles span one data tile. */
  scale: number
  /** The view tile's offset inside the data tile, in view tiles. */
  subX: number
  subY: number
}

/** The data tile at `dz` that contains view tile (z, x, y) (x already wrapped into the world). */
export function dataTileAt(dz: number, z: number, x: number, y: number): DataTileView {
  const k = z - dz
  const scale = 2 ** k
  const dx = x >> k
  const dy = y >> k
  return { dz, x: dx, y: dy, scale, subX: x - dx * scale, subY: y - dy * scale }
}
