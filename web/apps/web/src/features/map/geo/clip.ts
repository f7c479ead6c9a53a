/**
 * Clipping of flat coordinate arrays against axis-aligned slabs, the one operation the tiler repeats at
 * every level. Coordinates are stored with a stride of 3: x, y, and the point's simplification
 * importance (simplify.ts); points a clip creates get importance 1 so every zoom keeps them.
 */

export type Axis = 0 | 1

/** Sutherland–Hodgman clip of a closed ring (first point repeated last) to lo ≤ coord[axis] ≤ hi. */
export function clipRing(ring: readonly number[], axis: Axis, lo: number, hi: number): number[] {
  return clipHalf(clipHalf(ring, axis, lo, 1), axis, hi, -1)
}

/** Keeps the part of the ring where sign · (coord − k) ≥ 0. The result is closed again (or empty). */
function clipHalf(ring: readonly number[], axis: Axis, k: number, sign: 1 | -1): number[] {
  const out: number[] = []
  const n = ring.length / 3
  if (n < 2) return out
  let allIn = true
  for (let i = 0; i < n; i++) {
    if (sign * (ring[i * 3 + axis]! - k) < 0) {
      allIn = false
      break
    }
  }
  // Shared, not copied: rings are never modified after markImportance.
  if (allIn) return ring as number[]
  // The ring is closed, so edges run from point i − 1 to point i for i = 1 … n − 1.
  for (let i = 1; i < n; i++) {
    const a = (i - 1) * 3
    const b = i * 3
    const aIn = sign * (ring[a + axis]! - k) >= 0
    const bIn = sign * (ring[b + axis]! - k) >= 0
    if (aIn !== bIn) pushIntersection(out, ring, a, b, axis, k)
    if (bIn) out.push(ring[b]!, ring[b + 1]!, ring[b + 2]!)
  }
  if (out.length >= 3) {
    const len = out.length
    if (out[0] !== out[len - 3] || out[1] !== out[len - 2]) out.push(out[0]!, out[1]!, out[2]!)
  }
  return out.length >= 12 ? out : []
}

/** Clips an open line to lo ≤ coord[axis] ≤ hi; a line leaving and re-entering becomes several pieces. */
export function clipLine(line: readonly number[], axis: Axis, lo: number, hi: number): number[][] {
  const pieces: number[][] = []
  let cur: number[] = []
  const n = line.length / 3
  for (let i = 0; i < n; i++) {
    const b = i * 3
    const v = line[b + axis]!
    const bIn = v >= lo && v <= hi
    if (i > 0) {
      const a = b - 3
      const u = line[a + axis]!
      // Entering or leaving through lo and/or hi (a segment can cross both).
      const crossings: number[] = []
      if ((u < lo) !== (v < lo)) crossings.push(lo)
      if ((u > hi) !== (v > hi)) crossings.push(hi)
      if (u > v) crossings.reverse()
      for (const k of crossings) {
        const wasIn = cur.length > 0
        pushIntersection(cur, line, a, b, axis, k)
        if (wasIn) {
          pieces.push(cur)
          cur = []
        }
      }
    }
    if (bIn) cur.push(line[b]!, line[b + 1]!, line[b + 2]!)
  }
  if (cur.length >= 6) pieces.push(cur)
  return pieces.filter((p) => p.length >= 6)
}

function pushIntersection(out: number[], c: readonly number[], a: number, b: number, axis: Axis, k: number): void {
  const t = (k - c[a + axis]!) / (c[b + axis]! - c[a + axis]!)
  const other = (1 - axis) as Axis
  const o = c[a + other]! + (c[b + other]! - c[a + other]!) * t
  if (axis === 0) out.push(k, o, 1)
  else out.push(o, k, 1)
}

/** Signed area of a closed ring (shoelace), in squared coordinate units. */
export function ringArea(ring: readonly number[]): number {
  let sum = 0
  for (let i = 3; i < ring.length; i += 3) sum += ring[i - 3]! * ring[i + 1]! - ring[i]! * ring[i - 2]!
  return sum / 2
}
