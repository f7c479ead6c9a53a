import type { Track } from './track.ts'

/**
 * The stop rule: a vehicle stopped where consecutive points stay within `radiusM` (50 m) of the first of
 * them for at least `minDurationMs` (2 min) of device time. Distance, not reported speed, decides: speed is
 * optional in telemetry and GPS drift at rest shows as a few km/h, while 50 m absorbs that drift.
 */
export const STOP_RADIUS_M = 50
export const STOP_MIN_DURATION_MS = 2 * 60_000

export interface Stop {
  /** Index of the stop's first and last point in the track. */
  first: number
  last: number
  /** Device time of its first and last point (epoch ms). */
  startTs: number
  endTs: number
  durationMs: number
  /** The mean position of its points. */
  lat: number
  lon: number
}

const EARTH_RADIUS_M = 6_371_008.8

/** Great-circle distance in metres (haversine). */
export function distanceM(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180
  const dLat = (lat2 - lat1) * rad
  const dLon = (lon2 - lon1) * rad
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(a)))
}

/**
 * The stops of a track, in time order, never overlapping. Greedy: from each point, take the run of following
 * points within `radiusM` of it; a run lasting `minDurationMs` is a stop and the search resumes after it,
 * otherwise it resumes at the next point. Each point is compared with the anchors of at most one
 * `minDurationMs` window before it, so this stays near-linear for real tracks.
 */
export function detectStops(track: Track, radiusM = STOP_RADIUS_M, minDurationMs = STOP_MIN_DURATION_MS): Stop[] {
  const { ts, lat, lon, length: n } = track
  const stops: Stop[] = []
  let i = 0
  while (i < n) {
    let j = i
    while (j + 1 < n && distanceM(lat[i]!, lon[i]!, lat[j + 1]!, lon[j + 1]!) <= radiusM) j++
    if (j > i && ts[j]! - ts[i]! >= minDurationMs) {
      let sumLat = 0
      let sumLon = 0
      for (let k = i; k <= j; k++) {
        sumLat += lat[k]!
        sumLon += lon[k]!
      }
      const count = j - i + 1
      stops.push({
        first: i,
        last: j,
        startTs: ts[i]!,
        endTs: ts[j]!,
        durationMs: ts[j]! - ts[i]!,
        lat: sumLat / count,
        lon: sumLon / count,
      })
      i = j + 1
    } else {
      i++
    }
  }
  return stops
}
