import type { DeviceAnnouncement, TelemetryEvent } from '../types/protocol.ts'
import { attributesOf, baseEvent, isNum, isObj, type Obj } from './guards.ts'

/**
 * The compact encoding's device indexes (docs/protocol.md, "Stream options"), for one connection: the
 * snapshot's `i` and each `devices` message announce them, a later announcement of an index overwrites it.
 * A new connection, resumed or not, starts empty: indexes are valid only on the connection that
 * announced them.
 */
export class DeviceTable {
  // Indexes are small and dense from 0 per tenant: an array beats a Map for the per-event lookup.
  private ids: (string | undefined)[] = []

  set(index: number, id: string): void {
    this.ids[index] = id
  }

  /** The device an index names, or undefined when this connection has not announced it. */
  get(index: number): string | undefined {
    return this.ids[index]
  }

  clear(): void {
    this.ids = []
  }
}

/** A valid index: a non-negative integer within array bounds. */
export function isIndex(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 2 ** 31
}

/**
 * `{"type":"devices","devices":[{"i":57,"id":"dev_…"}]}`: applies each well-formed announcement to `table`
 * and returns them. A malformed entry is left out; should the server use its index, that frame is loss.
 */
export function parseDevices(v: Obj, table: DeviceTable | undefined): DeviceAnnouncement | null {
  if (!Array.isArray(v.devices)) return null
  const devices: { i: number; id: string }[] = []
  for (const d of v.devices as unknown[]) {
    if (!isObj(d) || !isIndex(d.i) || typeof d.id !== 'string' || d.id === '') continue
    table?.set(d.i, d.id)
    devices.push({ i: d.i, id: d.id })
  }
  return { type: 'devices', devices }
}

/** The decoded events of a `tc` frame, or why it cannot be applied (then it is loss). */
export type CompactDecode =
  | { ok: true; events: TelemetryEvent[]; seqs: number[] }
  | { ok: false; reason: string }

// Positions in an event array: [o, dt, i, lat_e6, lon_e6, speed, heading, altitude, accuracy, battery, attrs].
const SPEED = 5
const HEADING = 6
const ALTITUDE = 7
const ACCURACY = 8
const BATTERY = 9
const ATTRS = 10
const MIN_EVENT = 5

/**
 * Decodes the `chunks` of a `tc` frame into the same event objects a JSON `telemetry` frame gives:
 * `seq = seq0 + o`, `ts = ts0 + dt`, the device named by its index in `table`, `lat = lat_e6 / 1e6`,
 * optional fields present only when not null. Anything that does not decode exactly (a chunk or event of
 * the wrong shape or type, an index this connection has not announced) makes the whole frame loss: the
 * client then resumes, and the server announces again.
 */
export function decodeChunks(chunks: unknown, table: DeviceTable | undefined): CompactDecode {
  if (!Array.isArray(chunks)) return { ok: false, reason: 'tc without chunks' }
  const events: TelemetryEvent[] = []
  const seqs: number[] = []
  for (let c = 0; c < chunks.length; c++) {
    const chunk: unknown = chunks[c]
    if (!Array.isArray(chunk) || chunk.length < 2) return { ok: false, reason: 'malformed tc chunk' }
    const seq0: unknown = chunk[0]
    const ts0: unknown = chunk[1]
    if (!isNum(seq0) || !isNum(ts0)) return { ok: false, reason: 'malformed tc chunk base' }
    for (let k = 2; k < chunk.length; k++) {
      const e: unknown = chunk[k]
      if (!Array.isArray(e) || e.length < MIN_EVENT) return { ok: false, reason: 'malformed tc event' }
      const o: unknown = e[0]
      const dt: unknown = e[1]
      const i: unknown = e[2]
      const lat: unknown = e[3]
      const lon: unknown = e[4]
      if (!Number.isInteger(o) || !isNum(dt) || !Number.isInteger(lat) || !Number.isInteger(lon)) {
        return { ok: false, reason: 'malformed tc event' }
      }
      const device = isIndex(i) ? table?.get(i) : undefined
      if (device === undefined) return { ok: false, reason: `unknown device index ${String(i)}` }
      const seq = seq0 + (o as number)
      const ev = baseEvent(seq, device, ts0 + dt, (lat as number) / 1e6, (lon as number) / 1e6)
      if (e.length > SPEED && !optionals(ev, e)) return { ok: false, reason: 'malformed tc event' }
      events.push(ev)
      seqs.push(seq)
    }
  }
  return { ok: true, events, seqs }
}

/** Copies the optional fields of event array `e` onto `ev` (null and absent = not sent); false if mistyped. */
function optionals(ev: TelemetryEvent, e: unknown[]): boolean {
  const n = e.length
  let x: unknown
  if ((x = e[SPEED]) != null) {
    if (!isNum(x)) return false
    ev.speed_kph = x
  }
  if (n > HEADING && (x = e[HEADING]) != null) {
    if (!isNum(x)) return false
    ev.heading_deg = x
  }
  if (n > ALTITUDE && (x = e[ALTITUDE]) != null) {
    if (!isNum(x)) return false
    ev.altitude_m = x
  }
  if (n > ACCURACY && (x = e[ACCURACY]) != null) {
    if (!isNum(x)) return false
    ev.accuracy_m = x
  }
  if (n > BATTERY && (x = e[BATTERY]) != null) {
    if (!isNum(x)) return false
    ev.battery_pct = x
  }
  if (n > ATTRS && (x = e[ATTRS]) != null) {
    if (!isObj(x)) return false
    ev.attributes = attributesOf(x)
  }
  return true
}
