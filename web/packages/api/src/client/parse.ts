import type {
  AuthOk,
  Hello,
  ServerMessage,
  Snapshot,
  SnapshotDevice,
  TelemetryEvent,
  TelemetryFrame,
  ViewChange,
} from '../types/protocol.ts'
import { decodeChunks, isIndex, parseDevices, type DeviceTable } from './compact.ts'
import { attributesOf, baseEvent, isNum, isObj, str, type Obj } from './guards.ts'

const OPTIONAL_NUMBERS = ['speed_kph', 'heading_deg', 'altitude_m', 'accuracy_m', 'battery_pct'] as const

/** Validates one telemetry event; returns null when a required field is missing or mistyped. */
export function parseTelemetryEvent(v: unknown): TelemetryEvent | null {
  if (!isObj(v)) return null
  const { seq, device, ts, lat, lon } = v
  if (!isNum(seq) || typeof device !== 'string' || !isNum(ts) || !isNum(lat) || !isNum(lon)) return null
  const ev = baseEvent(seq, device, ts, lat, lon)
  for (const k of OPTIONAL_NUMBERS) {
    const x = v[k]
    if (isNum(x)) ev[k] = x
  }
  if (isObj(v.attributes)) ev.attributes = attributesOf(v.attributes)
  return ev
}

function parseHello(v: Obj): Hello {
  const h: Hello = {
    type: 'hello',
    protocol: isNum(v.protocol) ? v.protocol : 0,
    tenant: str(v.tenant),
    user: str(v.user),
    role: str(v.role),
    token_exp: isNum(v.token_exp) ? v.token_exp : 0,
    server: str(v.server),
    seq: isNum(v.seq) ? v.seq : 0,
  }
  // Protocol 2 members: absent (not defaulted) from a protocol 1 server, so callers can tell.
  if (typeof v.epoch === 'string' && v.epoch !== '') h.epoch = v.epoch
  if (isNum(v.token_grace_s)) h.token_grace_s = v.token_grace_s
  if (typeof v.recovered === 'boolean') h.recovered = v.recovered
  // The stream options' echo: only when the client asked for any.
  if (v.format === 'json' || v.format === 'compact') h.format = v.format
  if (isNum(v.flush_ms)) h.flush_ms = v.flush_ms
  if (typeof v.coalesce === 'boolean') h.coalesce = v.coalesce
  return h
}

function parseAuthOk(v: Obj): AuthOk | null {
  return isNum(v.token_exp) ? { type: 'auth_ok', token_exp: v.token_exp } : null
}

/** A compact session's snapshot also announces each device's index `i` (kept in `table`, not emitted). */
function parseSnapshot(v: Obj, table: DeviceTable | undefined): Snapshot | null {
  if (!Array.isArray(v.devices)) return null
  const devices: SnapshotDevice[] = []
  for (const d of v.devices) {
    if (!isObj(d) || typeof d.id !== 'string') continue
    if (table && isIndex(d.i)) table.set(d.i, d.id)
    devices.push({ id: d.id, name: str(d.name, d.id), last: d.last == null ? null : parseTelemetryEvent(d.last) })
  }
  const snap: Snapshot = { type: 'snapshot', seq: isNum(v.seq) ? v.seq : 0, devices }
  // A scoped snapshot names the view it answers; an unparseable `view` is not a view's answer.
  if (isNum(v.view)) snap.view = v.view
  if (Array.isArray(v.unknown)) snap.unknown = v.unknown.filter((x): x is string => typeof x === 'string')
  return snap
}

/** `view_change`: null without a numeric `view`; non-string ids are dropped. */
function parseViewChange(v: Obj): ViewChange | null {
  if (!isNum(v.view)) return null
  return { type: 'view_change', view: v.view, entered: strings(v.entered), left: strings(v.left) }
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []
}

/**
 * A telemetry frame as parsed (from `telemetry` or a compact `tc`), with the `seq` of every event on the
 * wire (NaN where an event has none), valid or not: the sequence check counts what the server sent, not
 * what survived validation. `loss` says why a `tc` frame could not be decoded (no events then): the
 * client treats it as lost events.
 */
export interface ParsedTelemetryFrame extends TelemetryFrame {
  wireSeqs: number[]
  loss?: string
}

export type ParsedServerMessage = Exclude<ServerMessage, TelemetryFrame> | ParsedTelemetryFrame

function parseTelemetryFrame(v: Obj): ParsedTelemetryFrame | null {
  if (!Array.isArray(v.events)) return null
  const events: TelemetryEvent[] = []
  const wireSeqs: number[] = []
  for (const e of v.events) {
    wireSeqs.push(isObj(e) && isNum(e.seq) ? e.seq : Number.NaN)
    const ev = parseTelemetryEvent(e)
    if (ev) events.push(ev)
  }
  return { type: 'telemetry', events, skipped: skippedOf(v), wireSeqs }
}

/** Decodes a compact `tc` frame into the same frame (and event objects) a `telemetry` frame gives. */
function parseCompactFrame(v: Obj, table: DeviceTable | undefined): ParsedTelemetryFrame {
  const r = decodeChunks(v.chunks, table)
  if (!r.ok) return { type: 'telemetry', events: [], skipped: 0, wireSeqs: [], loss: r.reason }
  return { type: 'telemetry', events: r.events, skipped: skippedOf(v), wireSeqs: r.seqs }
}

/** `skipped`: absent = 0; malformed becomes NaN, which fails the sequence check. */
function skippedOf(v: Obj): number {
  return v.skipped === undefined ? 0 : isNum(v.skipped) && v.skipped >= 0 ? v.skipped : Number.NaN
}

/**
 * Parses one WebSocket text frame. Returns null for anything that is not a known, well-formed server
 * message (unknown types are reserved for later protocol versions and are ignored).
 * A telemetry frame may carry any number of events; malformed events are dropped individually (their
 * `seq` still counts in `wireSeqs`). A malformed `skipped` becomes NaN, which fails the sequence check.
 *
 * `devices` is the connection's compact index table: a snapshot's `i` and a `devices` message update it,
 * and a `tc` frame is decoded with it into a `telemetry` frame. Without a table every `tc` frame that
 * names a device is loss.
 */
export function parseServerMessage(data: unknown, devices?: DeviceTable): ParsedServerMessage | null {
  if (typeof data !== 'string') return null
  let v: unknown
  try {
    v = JSON.parse(data)
  } catch {
    return null
  }
  if (!isObj(v)) return null
  switch (v.type) {
    case 'hello':
      return parseHello(v)
    case 'auth_ok':
      return parseAuthOk(v)
    case 'snapshot':
      return parseSnapshot(v, devices)
    case 'view_change':
      return parseViewChange(v)
    case 'telemetry':
      return parseTelemetryFrame(v)
    case 'tc':
      return parseCompactFrame(v, devices)
    case 'devices':
      return parseDevices(v, devices)
    case 'pong':
      return { type: 'pong' }
    default:
      return null
  }
}
