import type { TelemetryEvent } from '@fleet/api'

/**
 * A loaded history in columns: device times, positions and headings as typed arrays, so the playback's
 * per-frame lookup is a binary search over `ts` with no allocation, even at 50,000 points.
 */
export interface Track {
  readonly length: number
  /** Device time (epoch ms), ascending (the history API's order). */
  readonly ts: Float64Array
  readonly lat: Float64Array
  readonly lon: Float64Array
  /** Heading in degrees, NaN where the point has none. */
  readonly heading: Float64Array
  /** Speed in km/h, NaN where the point has none. */
  readonly speed: Float64Array
}

export function toTrack(points: readonly TelemetryEvent[]): Track {
  const n = points.length
  const t: Track = {
    length: n,
    ts: new Float64Array(n),
    lat: new Float64Array(n),
    lon: new Float64Array(n),
    heading: new Float64Array(n),
    speed: new Float64Array(n),
  }
  for (let i = 0; i < n; i++) {
    const p = points[i]!
    t.ts[i] = p.ts
    t.lat[i] = p.lat
    t.lon[i] = p.lon
    t.heading[i] = p.heading_deg ?? NaN
    t.speed[i] = p.speed_kph ?? NaN
  }
  return t
}

/**
 * The index of the newest point with `ts <= t` (the last one among equal times), or -1 when `t` is before
 * the first point. O(log n), allocation-free: it runs once per animation frame during playback.
 */
export function indexAtTime(ts: Float64Array, t: number): number {
  let lo = 0
  let hi = ts.length // invariant: ts[0..lo) <= t < ts[hi..)
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (ts[mid]! <= t) lo = mid + 1
    else hi = mid
  }
  return lo - 1
}
