import { clipLine, clipRing, ringArea } from '../src/features/map/geo/clip.ts'
import { keepAbove } from '../src/features/map/geo/simplify.ts'
import { encodeCoords, packDeltas, SOLID_LAND, SOLID_WATER, type LayerKey, type TileGeometry } from '../src/features/map/geo/tileCodec.ts'
import { BUFFER, DATA_ZOOMS, EXTENT } from '../src/features/map/geo/tileAddress.ts'

/** One ring (filled non-zero with the other rings of its layer) or line, in world units (stride 3). */
export interface Item {
  layer: LayerKey
  ring: boolean
  coords: number[]
}

export interface Tiles {
  /** Geometry of every data tile that is not one colour, by "z/x/y". */
  tiles: Map<string, TileGeometry>
  /** Tiles (at any zoom) found to be one colour, where the recursion stopped, by "z/x/y". */
  solid: Map<string, 0 | 1>
}

const MAX_DATA_ZOOM = DATA_ZOOMS[DATA_ZOOMS.length - 1]!

/**
 * Simplification tolerance and the smallest ring kept, per data zoom, in extent units (16 per pixel of a
 * 256-px tile). These numbers set the basemap's size (fleetd holds the whole web root in memory, with its
 * gzip and brotli variants, under a 64 MB cap): at zooms below 8 a tile is drawn at most 2× enlarged, so
 * 1 px is hardly seen; zoom 8 keeps 1.5 px (drawn at 8–9); the last data zoom is enlarged up to 256× at
 * street zoom and keeps ~110 m at the equator (~75 m at 48°), water areas over ~600 m across (sea) or
 * ~1.2 km long (lakes, river areas: the sources hold half a million of them).
 */
function toleranceUnits(z: number): number {
  return z === MAX_DATA_ZOOM ? 12 : z === 8 ? 24 : 16
}
function minRingUnits(z: number): number {
  return z === MAX_DATA_ZOOM ? 64 : z === 8 ? 96 : 64
}
/**
 * Lakes and river areas at the last data zoom: kept when at least this long (bounding box), so ponds go
 * but the narrow, long pieces a river is made of stay.
 */
const MIN_INLAND_UNITS = 128

/** Rings smaller than this (world units²) are drawn at no zoom: the tiler never needs to see them. */
export const MIN_RING_AREA = (minRingUnits(MAX_DATA_ZOOM) / (2 ** MAX_DATA_ZOOM * EXTENT)) ** 2

/** River areas are threads below this data zoom: leave them out there. */
const RIVERS_FROM_ZOOM = 8

/**
 * Cuts items into tiles, top down: each tile's items are clipped to its four children's (buffered)
 * bounds, and a tile that is one colour (every ring either misses it or covers it whole) ends the
 * recursion there; oceans and inland areas cost nothing at the higher zooms.
 */
export function tileAll(items: Item[], maxZoom: number): Tiles {
  const out: Tiles = { tiles: new Map(), solid: new Map() }
  const dataZooms = new Set(DATA_ZOOMS)
  const visit = (z: number, x: number, y: number, here: Item[]): void => {
    const key = `${z}/${x}/${y}`
    const colour = solidColour(z, here)
    if (colour !== null) {
      out.solid.set(key, colour)
      return
    }
    if (dataZooms.has(z)) {
      const geometry = emit(z, x, y, here)
      // Everything here is below this zoom's tolerance: draw it as the colour its whole rings give.
      if (geometry) out.tiles.set(key, geometry)
      else out.solid.set(key, parityColour(here, z))
    }
    if (z === maxZoom) return
    const size = 1 / 2 ** (z + 1)
    const b = (size * BUFFER) / EXTENT
    for (const [cx, xs] of [
      [2 * x, clipAll(here, 0, 2 * x * size - b, (2 * x + 1) * size + b)],
      [2 * x + 1, clipAll(here, 0, (2 * x + 1) * size - b, (2 * x + 2) * size + b)],
    ] as const) {
      if (xs.length === 0) {
        visit(z + 1, cx, 2 * y, xs)
        visit(z + 1, cx, 2 * y + 1, xs)
        continue
      }
      visit(z + 1, cx, 2 * y, clipAll(xs, 1, 2 * y * size - b, (2 * y + 1) * size + b))
      visit(z + 1, cx, 2 * y + 1, clipAll(xs, 1, (2 * y + 1) * size - b, (2 * y + 2) * size + b))
    }
  }
  visit(0, 0, 0, items)
  return out
}

function clipAll(items: readonly Item[], axis: 0 | 1, lo: number, hi: number): Item[] {
  const out: Item[] = []
  for (const it of items) {
    if (it.ring) {
      const c = clipRing(it.coords, axis, lo, hi)
      if (c.length > 0) out.push(c === it.coords ? it : { layer: it.layer, ring: true, coords: c })
    } else {
      for (const c of clipLine(it.coords, axis, lo, hi)) out.push({ layer: it.layer, ring: false, coords: c })
    }
  }
  return out
}

/** 0 (water) or 1 (land) when the tile is one colour, else null. */
function solidColour(z: number, items: readonly Item[]): 0 | 1 | null {
  const full = fullArea(z)
  for (const it of items) if (!it.ring || Math.abs(ringArea(it.coords)) < full) return null
  return parityColour(items, z)
}

/**
 * The colour the rings covering the whole tile give: water where a water layer's rings wind round it
 * (non-zero rule: the sources' outer rings all run one way and their holes the other, so overlapping
 * pieces add up instead of cancelling as even-odd would make them).
 */
function parityColour(items: readonly Item[], z: number): 0 | 1 {
  const full = fullArea(z)
  const winding: Partial<Record<LayerKey, number>> = {}
  for (const it of items) {
    if (!it.ring) continue
    const a = ringArea(it.coords)
    if (Math.abs(a) >= full) winding[it.layer] = (winding[it.layer] ?? 0) + Math.sign(a)
  }
  return winding.s || winding.l || winding.r ? SOLID_WATER : SOLID_LAND
}

/** A buffered tile's area at zoom z, less rounding. */
function fullArea(z: number): number {
  const side = (1 / 2 ** z) * (1 + (2 * BUFFER) / EXTENT)
  return side * side * (1 - 1e-9)
}

function emit(z: number, x: number, y: number, items: readonly Item[]): TileGeometry | null {
  const unit = 1 / (2 ** z * EXTENT)
  const sqTol = (toleranceUnits(z) * unit) ** 2
  const minArea = (minRingUnits(z) * unit) ** 2
  const geometry: TileGeometry = {}
  let any = false
  for (const it of items) {
    if (it.layer === 'r' && z < RIVERS_FROM_ZOOM) continue
    const kept = keepAbove(it.coords, sqTol)
    if (it.ring ? kept.length < 12 || Math.abs(ringArea(kept)) < minArea : kept.length < 6) continue
    if (it.layer !== 's' && z === MAX_DATA_ZOOM && longestSide(kept) < MIN_INLAND_UNITS * unit) continue
    const enc = encodeCoords(kept, z, x, y, EXTENT)
    if (enc.length < (it.ring ? 8 : 4)) continue
    ;(geometry[it.layer] ??= []).push(packDeltas(enc))
    any = true
  }
  return any ? geometry : null
}

function longestSide(coords: readonly number[]): number {
  let minX = Infinity
  let minY = Infinity
  let maxX = -Infinity
  let maxY = -Infinity
  for (let i = 0; i < coords.length; i += 3) {
    minX = Math.min(minX, coords[i]!)
    maxX = Math.max(maxX, coords[i]!)
    minY = Math.min(minY, coords[i + 1]!)
    maxY = Math.max(maxY, coords[i + 1]!)
  }
  return Math.max(maxX - minX, maxY - minY)
}
