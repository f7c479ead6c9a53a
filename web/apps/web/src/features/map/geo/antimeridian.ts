/**
 * Cutting geometry at ±180° longitude. Sources drawn on a sphere (Natural Earth via world-atlas v2, and
 * any ring or line that steps across the date line) have edges from 179.9° to −179.9°; drawn on a flat
 * map such an edge spans the whole world, which is where "Russia and Fiji as bands" came from. Here such
 * geometry is unwrapped (longitudes made continuous), then split into pieces that each stay within
 * [−180, 180]. Coordinates are [lon, lat] pairs.
 */
export type LonLat = readonly [number, number]

/** Splits a line wherever it crosses the antimeridian; each piece ends (or starts) exactly on ±180. */
export function cutLine(line: readonly LonLat[]): LonLat[][] {
  const pieces: LonLat[][] = []
  let cur: LonLat[] = []
  for (let i = 0; i < line.length; i++) {
    const p = line[i]!
    if (i > 0) {
      const a = line[i - 1]!
      const d = p[0] - a[0]
      if (Math.abs(d) > 180) {
        // Crossing eastwards (179 → −179) when d < 0: leave at +180, come back at −180.
        const edge = d < 0 ? 180 : -180
        const bLon = p[0] + (d < 0 ? 360 : -360)
        const t = (edge - a[0]) / (bLon - a[0])
        const lat = a[1] + (p[1] - a[1]) * t
        cur.push([edge, lat])
        if (cur.length >= 2) pieces.push(cur)
        cur = [[-edge, lat]]
      }
    }
    cur.push(p)
  }
  if (cur.length >= 2) pieces.push(cur)
  return pieces
}

/**
 * Splits a closed ring (first point repeated last) into rings within [−180, 180]. A ring that goes
 * round a pole (its unwrapped longitudes end 360° from where they started, as Antarctica's does on a
 * sphere) is closed along that pole's edge of the map first, so it covers the polar cap and not the rest.
 */
export function cutRing(ring: readonly LonLat[]): LonLat[][] {
  if (ring.length < 4) return []
  const unwrapped: [number, number][] = [[ring[0]![0], ring[0]![1]]]
  let jumps = false
  for (let i = 1; i < ring.length; i++) {
    const prev = unwrapped[i - 1]![0]
    let lon = ring[i]![0]
    while (lon - prev > 180) lon -= 360
    while (lon - prev < -180) lon += 360
    if (lon !== ring[i]![0]) jumps = true
    unwrapped.push([lon, ring[i]![1]])
  }
  if (!jumps) return [ring.slice()]
  const first = unwrapped[0]!
  const last = unwrapped[unwrapped.length - 1]!
  if (Math.abs(last[0] - first[0]) > 180) {
    // Round a pole: the side the ring's points are on says which.
    const meanLat = unwrapped.reduce((s, p) => s + p[1], 0) / unwrapped.length
    const pole = meanLat < 0 ? -90 : 90
    unwrapped.push([last[0], pole], [first[0], pole], [first[0], first[1]])
  }
  let min = Infinity
  let max = -Infinity
  for (const [lon] of unwrapped) {
    if (lon < min) min = lon
    if (lon > max) max = lon
  }
  const out: LonLat[][] = []
  for (let k = Math.floor((min + 180) / 360); k <= Math.floor((max + 180) / 360); k++) {
    const lo = -180 + 360 * k
    const piece = clipLon(unwrapped, lo, lo + 360)
    if (piece.length >= 4) out.push(piece.map(([lon, lat]) => [lon - 360 * k, lat] as const))
  }
  return out
}

/** Sutherland–Hodgman clip of a closed ring to lo ≤ lon ≤ hi. */
function clipLon(ring: readonly LonLat[], lo: number, hi: number): LonLat[] {
  const half = (pts: readonly LonLat[], k: number, sign: 1 | -1): LonLat[] => {
    const out: LonLat[] = []
    for (let i = 1; i < pts.length; i++) {
      const a = pts[i - 1]!
      const b = pts[i]!
      const aIn = sign * (a[0] - k) >= 0
      const bIn = sign * (b[0] - k) >= 0
      if (aIn !== bIn) out.push([k, a[1] + ((b[1] - a[1]) * (k - a[0])) / (b[0] - a[0])])
      if (bIn) out.push(b)
    }
    if (out.length > 0) out.push(out[0]!)
    return out
  }
  return half(half(ring, lo, 1), hi, -1)
}
