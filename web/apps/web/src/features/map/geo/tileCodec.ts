/**
 * The offline basemap's tile format, shared by the build step (encode) and the page (decode). A pack is
 * compact JSON:
 *
 *   { "t": [tile, …], "p": [[lat, lon, name, population], …] }
 *
 * `t` has side × side entries (row-major, tileAddress.ts): 0 = all water, 1 = all land, or an object
 * with one array of rings or lines per layer (`s` sea, `l` lakes, `r` river areas: filled non-zero;
 * `b` borders: lines). A ring or line is quantised to integers in [−BUFFER, EXTENT + BUFFER],
 * delta-encoded (x0, y0, x1 − x0, y1 − y0, …), each number zig-zag varint-coded (one byte for steps
 * under 64 units), and the bytes base64'd: about 1.4 characters per number where JSON needs 3–5.
 * `p` lists the pack's place names for this data zoom.
 */

export type LayerKey = 's' | 'l' | 'r' | 'b'
export type TileGeometry = Partial<Record<LayerKey, string[]>>
export type TileEntry = 0 | 1 | TileGeometry
export type Place = [lat: number, lon: number, name: string, population: number]
export interface Pack {
  t: TileEntry[]
  p?: Place[]
}

export const SOLID_WATER = 0
export const SOLID_LAND = 1

/**
 * Quantises world-unit coordinates (stride 3, tile.ts) into tile (z, x, y)'s integer grid, dropping
 * points that round onto the previous one, and delta-encodes them.
 */
export function encodeCoords(coords: readonly number[], z: number, x: number, y: number, extent: number): number[] {
  const n = 2 ** z
  const out: number[] = []
  let px = 0
  let py = 0
  let first = true
  for (let i = 0; i < coords.length; i += 3) {
    const qx = Math.round((coords[i]! * n - x) * extent)
    const qy = Math.round((coords[i + 1]! * n - y) * extent)
    if (!first && qx === px && qy === py) continue
    out.push(qx - px, qy - py)
    px = qx
    py = qy
    first = false
  }
  return out
}

/** Undoes the delta encoding: absolute integer coordinates x0, y0, x1, y1, … */
export function decodeCoords(deltas: readonly number[]): number[] {
  const out = new Array<number>(deltas.length)
  let x = 0
  let y = 0
  for (let i = 0; i < deltas.length; i += 2) {
    x += deltas[i]!
    y += deltas[i + 1]!
    out[i] = x
    out[i + 1] = y
  }
  return out
}

/** Zig-zag varints of `deltas`, base64'd (the string a pack stores per ring or line). */
export function packDeltas(deltas: readonly number[]): string {
  let bin = ''
  for (const d of deltas) {
    let v = d < 0 ? -2 * d - 1 : 2 * d
    while (v >= 0x80) {
      bin += String.fromCharCode((v & 0x7f) | 0x80)
      v = Math.floor(v / 128)
    }
    bin += String.fromCharCode(v)
  }
  return btoa(bin)
}

/** A pack's ring or line back to absolute integer coordinates x0, y0, x1, y1, … */
export function unpackCoords(packed: string): number[] {
  const bin = atob(packed)
  const out: number[] = []
  let x = 0
  let y = 0
  let v = 0
  let shift = 1
  for (let i = 0; i < bin.length; i++) {
    const b = bin.charCodeAt(i)
    v += (b & 0x7f) * shift
    if (b & 0x80) {
      shift *= 128
      continue
    }
    const d = v % 2 === 1 ? -(v + 1) / 2 : v / 2
    if (out.length % 2 === 0) out.push((x += d))
    else out.push((y += d))
    v = 0
    shift = 1
  }
  return out
}
