import { describe, expect, it } from 'vitest'
import { cutLine, cutRing, type LonLat } from '../src/features/map/geo/antimeridian.ts'
import { clipLine, clipRing, ringArea } from '../src/features/map/geo/clip.ts'
import { latToY, lonToX, yToLat } from '../src/features/map/geo/mercator.ts'
import { keepAbove, markImportance } from '../src/features/map/geo/simplify.ts'
import { dataTileAt, dataZoomFor, packOf, packPath, previousDataZoom, wrapX } from '../src/features/map/geo/tileAddress.ts'
import { decodeCoords, encodeCoords } from '../src/features/map/geo/tileCodec.ts'

/** Planar area of a lon/lat ring (shoelace), in square degrees. */
function area(ring: readonly LonLat[]): number {
  let s = 0
  for (let i = 1; i < ring.length; i++) s += ring[i - 1]![0] * ring[i]![1] - ring[i]![0] * ring[i - 1]![1]
  return Math.abs(s / 2)
}

describe('antimeridian cutting', () => {
  it('splits a ring across ±180 (Fiji) into two rings inside [−180, 180] with the same area', () => {
    const fiji: LonLat[] = [[178, -16], [-179, -16], [-179, -19], [178, -19], [178, -16]]
    const parts = cutRing(fiji)
    expect(parts).toHaveLength(2)
    for (const p of parts) for (const [lon] of p) expect(Math.abs(lon)).toBeLessThanOrEqual(180)
    const east = parts.find((p) => p.some(([lon]) => lon > 0))!
    const west = parts.find((p) => p.some(([lon]) => lon < 0))!
    expect(area(east)).toBeCloseTo(2 * 3, 9)
    expect(area(west)).toBeCloseTo(1 * 3, 9)
  })

  it('leaves a ring that does not cross alone', () => {
    const ring: LonLat[] = [[10, 10], [20, 10], [20, 20], [10, 10]]
    expect(cutRing(ring)).toEqual([ring])
  })

  it('closes a ring around the south pole (Antarctica drawn on a sphere) along the bottom edge', () => {
    const ring: LonLat[] = []
    for (let lon = -180; lon < 180; lon += 30) ring.push([lon, -70])
    ring.push([-180 + 360, -70]) // a spherical ring comes back to its start the long way round
    ring[ring.length - 1] = [-180, -70]
    // As stored on a sphere: eastwards all the way round, the last step jumping from 150 to −180.
    const parts = cutRing(ring)
    const total = parts.reduce((s, p) => s + area(p), 0)
    // The cap from −70 to −90 across all 360°, not a band along −70 nor the rest of the world.
    expect(total).toBeCloseTo(360 * 20, 6)
    for (const p of parts) for (const [lon, lat] of p) {
      expect(Math.abs(lon)).toBeLessThanOrEqual(180)
      expect(lat).toBeLessThanOrEqual(-70)
    }
  })

  it('splits a line at the crossing, with both pieces ending on ±180 at the interpolated latitude', () => {
    const pieces = cutLine([[170, 60], [-170, 70], [-160, 70]])
    expect(pieces).toHaveLength(2)
    expect(pieces[0]).toEqual([[170, 60], [180, 65]])
    expect(pieces[1]).toEqual([[-180, 65], [-170, 70], [-160, 70]])
  })
})

describe('clipping', () => {
  const square = (x0: number, y0: number, x1: number, y1: number) => [x0, y0, 0, x1, y0, 0, x1, y1, 0, x0, y1, 0, x0, y0, 0]

  it('clips a ring to a slab, keeping it closed and marking new points important', () => {
    const out = clipRing(square(0, 0, 10, 10), 0, 2, 5)
    expect(Math.abs(ringArea(out))).toBeCloseTo(30)
    expect(out.slice(0, 2)).toEqual(out.slice(-3, -1))
    expect(out.filter((_, i) => i % 3 === 2).every((imp) => imp === 1)).toBe(true)
  })

  it('returns nothing for a ring outside, and the same array for a ring inside', () => {
    expect(clipRing(square(0, 0, 1, 1), 1, 5, 6)).toEqual([])
    const inside = square(0, 0, 1, 1)
    expect(clipRing(inside, 0, -1, 2)).toBe(inside)
  })

  it('cuts a line that leaves and re-enters into two pieces', () => {
    const line = [0, 0, 0, 10, 0, 0, 10, 10, 0, 0, 10, 0]
    const pieces = clipLine(line, 0, -1, 5)
    expect(pieces.map((p) => p.filter((_, i) => i % 3 !== 2))).toEqual([
      [0, 0, 5, 0],
      [5, 10, 0, 10],
    ])
  })
})

describe('simplification', () => {
  it('keeps the endpoints and the points that deviate more than the tolerance', () => {
    const c = [0, 0, 0, 1, 0.001, 0, 2, 0, 0, 3, 1, 0, 4, 0, 0]
    markImportance(c)
    const kept = keepAbove(c, 0.01 ** 2)
    expect(kept.filter((_, i) => i % 3 === 0)).toEqual([0, 2, 3, 4])
  })
})

describe('tile addressing', () => {
  it('draws each view zoom from the nearest data zoom at or below it', () => {
    expect([0, 1, 2, 3, 9, 10, 15].map(dataZoomFor)).toEqual([0, 0, 2, 2, 8, 10, 10])
    expect(previousDataZoom(10)).toBe(8)
    expect(previousDataZoom(0)).toBeNull()
  })

  it('finds a data tile and its pack, and wraps x round the world', () => {
    // View tile z14 over Paris: x 8298, y 5636.
    const t = dataTileAt(10, 14, 8298, 5636)
    expect(t).toEqual({ dz: 10, x: 518, y: 352, scale: 16, subX: 10, subY: 4 })
    const p = packOf(10, t.x, t.y)
    expect(packPath(p)).toBe('10/64-44.pack')
    expect(p.index).toBe((352 - 44 * 8) * 8 + (518 - 64 * 8))
    expect(packOf(2, 3, 1)).toEqual({ dz: 2, px: 0, py: 0, side: 4, index: 7 })
    expect(wrapX(-1, 3)).toBe(7)
    expect(wrapX(9, 3)).toBe(1)
  })
})

describe('quantisation', () => {
  it('round-trips world coordinates through a tile grid within half a unit', () => {
    const z = 10
    const lon = 2.3522
    const lat = 48.8566
    const x = lonToX(lon)
    const y = latToY(lat)
    const tx = Math.floor(x * 2 ** z)
    const ty = Math.floor(y * 2 ** z)
    const coords = [x, y, 1, x + 1e-5, y, 1, x + 1e-5 + 1e-9, y, 1]
    const enc = encodeCoords(coords, z, tx, ty, 4096)
    // The third point rounds onto the second and is dropped.
    expect(enc).toHaveLength(4)
    const [qx, qy] = decodeCoords(enc)
    expect(Math.abs((tx + qx! / 4096) / 2 ** z - x) * 2 ** z * 4096).toBeLessThanOrEqual(0.5)
    expect(yToLat((ty + qy! / 4096) / 2 ** z)).toBeCloseTo(lat, 3)
  })
})

describe('pack coding', () => {
  it('packs deltas into base64 varints and unpacks them to absolute coordinates', async () => {
    const { packDeltas, unpackCoords } = await import('../src/features/map/geo/tileCodec.ts')
    const deltas = [100, -64, 63, -1, 0, 4096, -5000, 8191]
    const packed = packDeltas(deltas)
    expect(unpackCoords(packed)).toEqual(decodeCoords(deltas))
    // Small steps cost one byte each: 4 numbers → 4 bytes → 8 base64 characters.
    expect(packDeltas([1, -1, 63, -64])).toHaveLength(8)
  })
})
