import type {
  AuthOk,
  Hello,
  ServerMessage,
  Snapshot,
  SnapshotDevice,
  TelemetryEvent,
  TelemetryFrame,
} from '../types/protocol.ts'

type Obj = Record<string, unknown>

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function isNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v)
}

function str(v: unknown, fallback = ''): string {
  return typeof v === 'string' ? v : fallback
}

const OPTIONAL_NUMBERS = ['speed_kph', 'heading_deg', 'altitude_m', 'accuracy_m', 'battery_pct'] as const

/** Validates one telemetry event; returns null when a required field is missing or mistyped. */
export function parseTelemetryEvent(v: unknown): TelemetryEvent | null {
  if (!isObj(v)) return null
  const { seq, device, ts, lat, lon } = v
  if (!isNum(seq) || typeof device !== 'string' || !isNum(ts) || !isNum(lat) || !isNum(lon)) return null
  const ev: TelemetryEvent = { seq, device, ts, lat, lon }
  for (const k of OPTIONAL_NUMBERS) {
    const x = v[k]
    if (isNum(x)) ev[k] = x
  }
  if (isObj(v.attributes)) {
    const attrs: Record<string, string | number | boolean> = {}
    for (const [k, x] of Object.entries(v.attributes)) {
      if (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean') attrs[k] = x
    }
    ev.attributes = attrs
  }
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
  return h
}

function parseAuthOk(v: Obj): AuthOk | null {
  return isNum(v.token_exp) ? { type: 'auth_ok', token_exp: v.token_exp } : null
}

function parseSnapshot(v: Obj): Snapshot | null {
  if (!Array.isArray(v.devices)) return null
  const devices: SnapshotDevice[] = []
  for (const d of v.devices) {
    if (!isObj(d) || typeof d.id !== 'string') continue
    devices.push({ id: d.id, name: str(d.name, d.id), last: d.last == null ? null : parseTelemetryEvent(d.last) })
  }
  return { type: 'snapshot', seq: isNum(v.seq) ? v.seq : 0, devices }
}

/**
 * A telemetry frame as parsed, with the `seq` of every event on the wire (NaN where an event has none),
 * valid or not: the sequence check counts what the server sent, not what survived validation.
 */
export interface ParsedTelemetryFrame extends TelemetryFrame {
  wireSeqs: number[]
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
  const skipped = v.skipped === undefined ? 0 : isNum(v.skipped) && v.skipped >= 0 ? v.skipped : Number.NaN
  return { type: 'telemetry', events, skipped, wireSeqs }
}

/**
 * Parses one WebSocket text frame. Returns null for anything that is not a known, well-formed server
 * message (unknown types are reserved for later protocol versions and are ignored).
 * A telemetry frame may carry any number of events; malformed events are dropped individually (their
 * `seq` still counts in `wireSeqs`). A malformed `skipped` becomes NaN, which fails the sequence check.
 */
export function parseServerMessage(data: unknown): ParsedServerMessage | null {
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
      return parseSnapshot(v)
    case 'telemetry':
      return parseTelemetryFrame(v)
    case 'pong':
      return { type: 'pong' }
    default:
      return null
  }
}
