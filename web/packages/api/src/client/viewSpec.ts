import type { View, ViewBox } from '../types/protocol.ts'

/**
 * What a client asks its stream to be scoped to (docs/protocol.md, "Views: scope the stream"). Every member
 * is optional; a spec with none of `boxes`, `groups`, `devices` is the whole tenant.
 */
export interface ViewSpec {
  /** `[west, south, east, north]` in degrees; `west > east` crosses the antimeridian. At most 16. */
  boxes?: readonly ViewBox[]
  /** Device group ids (at most 16). */
  groups?: readonly string[]
  /** Devices always in view wherever they are, and never coalesced: followed, selected (at most 1,000). */
  devices?: readonly string[]
  /** At most one event per device per interval: 0 (off) or 100 … 10,000 ms. */
  minIntervalMs?: number
}

/** The protocol's limits for a view (fleetd closes with `1008 Invalid view` beyond them). */
export const VIEW_LIMITS = { boxes: 16, groups: 16, devices: 1000, minIntervalMs: [100, 10_000] } as const

/**
 * Checks a spec against the protocol's limits and returns its `view` members (without `type` and `id`),
 * only those set. Throws a RangeError for what fleetd would refuse, so a bad view is a clear error in the
 * caller and not a closed session.
 */
export function viewMembers(spec: ViewSpec): Omit<View, 'type' | 'id'> {
  const m: Omit<View, 'type' | 'id'> = {}
  if (spec.boxes !== undefined) {
    if (spec.boxes.length > VIEW_LIMITS.boxes) throw new RangeError(`a view has at most ${VIEW_LIMITS.boxes} boxes, not ${spec.boxes.length}`)
    m.boxes = spec.boxes.map(checkBox)
  }
  if (spec.groups !== undefined) {
    if (spec.groups.length > VIEW_LIMITS.groups) throw new RangeError(`a view has at most ${VIEW_LIMITS.groups} groups, not ${spec.groups.length}`)
    m.groups = [...spec.groups]
  }
  if (spec.devices !== undefined) {
    if (spec.devices.length > VIEW_LIMITS.devices) {
      throw new RangeError(`a view names at most ${VIEW_LIMITS.devices} devices, not ${spec.devices.length}`)
    }
    m.devices = [...spec.devices]
  }
  if (spec.minIntervalMs !== undefined) {
    const ms = spec.minIntervalMs
    const [lo, hi] = VIEW_LIMITS.minIntervalMs
    if (!Number.isInteger(ms) || (ms !== 0 && (ms < lo || ms > hi))) {
      throw new RangeError(`minIntervalMs must be 0 or an integer from ${lo} to ${hi}, not ${String(ms)}`)
    }
    m.min_interval_ms = ms
  }
  return m
}

/** Whether a view narrows the stream (any of boxes, groups, devices), as opposed to the whole tenant. */
export function isScoped(v: Omit<View, 'type' | 'id'> | null): boolean {
  return v !== null && (v.boxes !== undefined || v.groups !== undefined || v.devices !== undefined)
}

function checkBox(b: ViewBox): ViewBox {
  const [w, s, e, n] = b
  const lon = (x: number) => Number.isFinite(x) && x >= -180 && x <= 180
  const lat = (x: number) => Number.isFinite(x) && x >= -90 && x <= 90
  if (b.length !== 4 || !lon(w) || !lon(e) || !lat(s) || !lat(n) || s > n) {
    throw new RangeError(`a view box is [west, south, east, north] with -180 <= lon <= 180 and -90 <= south <= north <= 90, not ${JSON.stringify(b)}`)
  }
  return [w, s, e, n]
}
