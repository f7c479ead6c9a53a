/**
 * Fleet Live protocol version 2 — TypeScript mirror of docs/protocol.md.
 * Times are Unix epoch milliseconds unless a field name says `_s`.
 */

export const PROTOCOL_VERSION = 2

/** Flat attribute map sent by devices (string ≤ 256 bytes, number or bool; ≤ 32 members). */
export type Attributes = Record<string, string | number | boolean>

/** One stored telemetry point as the server sends it (WebSocket and history). */
export interface TelemetryEvent {
  /** The tenant's sequence number. */
  seq: number
  /** Device id (`dev_…`). */
  device: string
  /** Device time, epoch ms. */
  ts: number
  lat: number
  lon: number
  speed_kph?: number
  heading_deg?: number
  altitude_m?: number
  accuracy_m?: number
  battery_pct?: number
  attributes?: Attributes
}

// ---------------------------------------------------------------- WebSocket: server → client

export interface Hello {
  type: 'hello'
  protocol: number
  /** Organization id from the token. */
  tenant: string
  /** The token's `sub`. */
  user: string
  /** Organization role (`admin`, `org:admin`, `org:member`, … or ""); `share` on a share link's session. */
  role: string
  /** Token expiry, Unix **seconds** (a share session: the share's expiry). */
  token_exp: number
  /** `fleetd/<version>`. */
  server: string
  /** The stream continues at `seq + 1`: the snapshot's `seq`, or the client's `since` with `recovered: true`. */
  seq: number
  /** Names the tenant's `seq` space (protocol 2; absent from a protocol 1 server). Opaque. */
  epoch?: string
  /** Seconds after `token_exp` before the server closes with `1008 Token expired` (protocol 2). */
  token_grace_s?: number
  /**
   * Only when the client asked to resume: `true` (the missed events follow, no snapshot) or `false`
   * (a snapshot follows).
   */
  recovered?: boolean
  /**
   * The session's stream options, echoed only when the client asked for any (see `Auth`): its telemetry
   * encoding, flush window and whether it may coalesce.
   */
  format?: StreamFormat
  flush_ms?: number
  coalesce?: boolean
}

/** The answer to an in-band token refresh: the session now ends at `token_exp + token_grace_s`. */
export interface AuthOk {
  type: 'auth_ok'
  /** The new token's expiry, Unix **seconds**. */
  token_exp: number
}

export interface SnapshotDevice {
  id: string
  name: string
  last: TelemetryEvent | null
}

/**
 * `snapshot`. On a compact session each device on the wire also carries its index `i`; the client keeps
 * those for itself (see `DeviceAnnouncement`), so the snapshot it emits is the same in either encoding.
 */
export interface Snapshot {
  type: 'snapshot'
  seq: number
  devices: SnapshotDevice[]
  /**
   * Present on a scoped snapshot: the `id` of the `view` it answers. It lists only the devices in that
   * view (plus every named device); the view takes effect at `seq`.
   */
  view?: number
  /** Named devices and groups of the view that are not the tenant's (present only when non-empty). */
  unknown?: string[]
}

/** A scoped stream: devices that crossed the view's edge (`entered` before their first event in view). */
export interface ViewChange {
  type: 'view_change'
  /** The `id` of the view this change belongs to. */
  view: number
  entered: string[]
  left: string[]
}

/**
 * Compact sessions only: announces the indexes that name devices in later `tc` frames, before their
 * first use on this connection. A later announcement of an index overwrites it; a new connection starts
 * with none.
 */
export interface DeviceAnnouncement {
  type: 'devices'
  devices: { i: number; id: string }[]
}

/** One or more events, oldest first, ascending `seq`. */
export interface TelemetryFrame {
  type: 'telemetry'
  events: TelemetryEvent[]
  /**
   * Events the server deliberately left out (coalescing) between the previous frame's last event and this
   * frame's last event; 0 when absent.
   */
  skipped: number
}

export interface Pong {
  type: 'pong'
}

/**
 * Compact sessions only, as it arrives: `telemetry` in chunks of `[seq0, ts0, event…]`, each event
 * `[o, dt, i, lat_e6, lon_e6, speed_kph?, heading_deg?, altitude_m?, accuracy_m?, battery_pct?,
 * attributes?]` (null for a field the device did not send, trailing ones left out). The client decodes it
 * into a `TelemetryFrame`; apps never see this shape.
 */
export interface CompactTelemetryFrame {
  type: 'tc'
  skipped?: number
  chunks: [number, number, ...CompactEvent[]][]
}

export type CompactEvent = [number, number, number, number, number, ...(number | Attributes | null)[]]

/** `tc` frames arrive decoded as `telemetry`, so apps handle one shape whichever encoding ran. */
export type ServerMessage = Hello | AuthOk | Snapshot | ViewChange | DeviceAnnouncement | TelemetryFrame | Pong

// ---------------------------------------------------------------- WebSocket: client → server

export interface Ping {
  type: 'ping'
}

/** How `telemetry` is encoded on the wire: `json` (the default and the contract) or `compact`. */
export type StreamFormat = 'json' | 'compact'

/**
 * Authenticates a tokenless connection (first message), or refreshes the token of an open session.
 * `since` and `epoch` come together or not at all, and only in the first message; so do the stream
 * options `format`, `flush_ms` (0–1000) and `coalesce`, each only when the client sets it.
 */
export interface Auth {
  type: 'auth'
  token: string
  since?: number
  epoch?: string
  format?: StreamFormat
  flush_ms?: number
  coalesce?: boolean
}

/** `[west, south, east, north]` in degrees (WGS 84); `west > east` crosses the antimeridian. */
export type ViewBox = [number, number, number, number]

/**
 * Scopes the stream (docs/protocol.md, "Views"): only events of devices in `devices`, or inside one of
 * `boxes` (and in one of `groups`, when given); at most one event per device per `min_interval_ms`. A view
 * with none of `boxes`, `groups`, `devices` is the whole tenant. Each view replaces the previous one.
 */
export interface View {
  type: 'view'
  /** Echoed by the `snapshot` that answers this view (0 … 2^53 − 1). */
  id?: number
  /** ≤ 16 boxes. */
  boxes?: ViewBox[]
  /** ≤ 16 group ids. */
  groups?: string[]
  /** ≤ 1,000 device ids, always in view and never coalesced. */
  devices?: string[]
  /** 0 (off) or 100 … 10,000. */
  min_interval_ms?: number
}

export type ClientMessage = Ping | Auth | View

// ---------------------------------------------------------------- close codes

export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  ProtocolError: 1002,
  Unsupported: 1003,
  /** Abnormal closure (no close frame; set by the browser). */
  Abnormal: 1006,
  InvalidPayload: 1007,
  PolicyViolation: 1008,
  TooBig: 1009,
  Internal: 1011,
  TryAgainLater: 1013,
} as const

/** Reasons the server sends with close code 1008. */
export type PolicyCloseReason =
  | 'Missing token'
  | 'Authentication timeout'
  | 'Invalid token'
  | 'No organization'
  | 'Session pending'
  | 'Token expired'
  | 'Organization changed'
  | 'Token mismatch'
  | 'Too many auth messages'
  | 'Invalid resume'
  | 'Protocol violation'
  | 'Invalid options'
  | 'Invalid view'
  | 'Too many views'
  | 'Share expired'
  | 'Share revoked'

// ---------------------------------------------------------------- HTTP API

export interface Device {
  id: string
  name: string
  created_ms: number
  last: TelemetryEvent | null
  /** Present on a revoked device (DELETE answer). */
  revoked_ms?: number
}

export interface Me {
  tenant: string
  user: string
  role: string
  /** Unix seconds. */
  token_exp: number
}

export interface DevicesResponse {
  devices: Device[]
}

export interface CreateDeviceResponse {
  device: Device
  /** Device key (`fk_…`), shown once. */
  key: string
}

export interface RevokeDeviceResponse {
  device: Device
}

export interface HistoryQuery {
  /** Inclusive device-time lower bound: epoch ms, RFC 3339 string or Date. */
  from?: number | string | Date
  /** Exclusive device-time upper bound: epoch ms, RFC 3339 string or Date. */
  to?: number | string | Date
  /** 1–1000, server default 100. */
  limit?: number
  /** The `next` cursor of the previous page. */
  after?: string
}

export interface HistoryPage {
  points: TelemetryEvent[]
  next: string | null
}

export interface DevTokenRequest {
  user: string
  /** Empty or absent: personal-account token (no organization). */
  org?: string
  /** Defaults to `admin`. */
  role?: string
  /** Defaults to 60, max 86400. */
  ttl_s?: number
}

export interface DevTokenResponse {
  token: string
  /** Unix seconds. */
  expires_at_s: number
}

export type ApiErrorCode =
  | 'bad_request'
  | 'invalid_json'
  | 'invalid_point'
  | 'invalid_field'
  | 'payload_too_large'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'unavailable'
  | 'internal'

export interface ApiErrorBody {
  error: {
    code: ApiErrorCode | string
    message: string
    index?: number
    field?: string
  }
}
