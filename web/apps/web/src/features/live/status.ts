/**
 * A vehicle's status, from how long ago its last point arrived and how fast it went.
 *
 * | status    | rule                                                                   |
 * | --------- | ---------------------------------------------------------------------- |
 * | `moving`  | fresh (last point ≤ 30 s ago) and speed ≥ 3 km/h                       |
 * | `idle`    | fresh and slower than 3 km/h, or no speed reported                     |
 * | `stale`   | last point more than 30 s ago (`config.staleAfterMs`), up to 10 min    |
 * | `offline` | last point more than 10 min ago, or never                              |
 *
 * "Ago" is measured from when the page received the point (`Vehicle.updatedAt`), so a device with a wrong
 * clock is judged by what the operator actually sees. The map greys exactly the stale and offline ones.
 */
import { config } from '../../config.ts'

/**
 * `outside`: the stream is scoped to the map view (web/README, "Stream") and the vehicle is not in it; its
 * last known position is kept, and its age says nothing about the vehicle (the server just does not send
 * it), so it is neither stale nor offline.
 */
export type VehicleStatus = 'moving' | 'idle' | 'stale' | 'offline' | 'outside'

/** The statuses by age, which the list offers as filters; `outside` only matters in a scoped stream. */
export const STATUSES: readonly Exclude<VehicleStatus, 'outside'>[] = ['moving', 'idle', 'stale', 'offline']

/** How each status reads in the list, the details and the counts. */
export const STATUS_LABEL: Record<VehicleStatus, string> = {
  moving: 'moving',
  idle: 'idle',
  stale: 'stale',
  offline: 'offline',
  outside: 'outside the map view',
}

export const STATUS_THRESHOLDS = {
  /** A point older than this makes the vehicle stale. */
  staleAfterMs: config.staleAfterMs,
  /** A point older than this (or none) makes the vehicle offline. */
  offlineAfterMs: 10 * 60_000,
  /** A fresh vehicle at least this fast is moving; slower (or no speed) is idle. */
  movingMinKph: 3,
} as const

/** What each status means, for tooltips and help text (kept beside the thresholds it quotes). */
export const STATUS_HELP: Record<VehicleStatus, string> = {
  moving: `Moving: last update at most ${STATUS_THRESHOLDS.staleAfterMs / 1000} s ago and speed at least ${STATUS_THRESHOLDS.movingMinKph} km/h`,
  idle: `Idle: last update at most ${STATUS_THRESHOLDS.staleAfterMs / 1000} s ago, slower than ${STATUS_THRESHOLDS.movingMinKph} km/h or no speed reported`,
  stale: `Stale: no update for more than ${STATUS_THRESHOLDS.staleAfterMs / 1000} s (up to ${STATUS_THRESHOLDS.offlineAfterMs / 60_000} min)`,
  offline: `Offline: no update for more than ${STATUS_THRESHOLDS.offlineAfterMs / 60_000} min, or never`,
  outside: 'Outside the map view: only vehicles in the map view are streamed; this one shows its last known position until the map shows it again',
}

export interface StatusInput {
  /** Local time (ms) the last point was received; null: never. */
  updatedAt: number | null
  speedKph: number | null
  /** false: the stream is scoped and the vehicle is outside its view (absent: in view). */
  inView?: boolean
}

/** The status of `v` at `now` (pure; see the table above). */
export function vehicleStatus(v: StatusInput, now: number, t = STATUS_THRESHOLDS): VehicleStatus {
  if (v.inView === false) return 'outside'
  if (v.updatedAt === null) return 'offline'
  const age = now - v.updatedAt
  if (age > t.offlineAfterMs) return 'offline'
  if (age > t.staleAfterMs) return 'stale'
  return v.speedKph !== null && v.speedKph >= t.movingMinKph ? 'moving' : 'idle'
}

export type StatusCounts = Record<VehicleStatus, number>

export function emptyCounts(): StatusCounts {
  return { moving: 0, idle: 0, stale: 0, offline: 0, outside: 0 }
}
