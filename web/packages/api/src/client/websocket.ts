import type {
  ClientMessage,
  Hello,
  Pong,
  ServerMessage,
  Snapshot,
  TelemetryEvent,
} from '../types/protocol.ts'
import { CloseCode } from '../types/protocol.ts'
import { TypedEmitter, type Listener } from './emitter.ts'
import { parseServerMessage } from './parse.ts'
import { toWebSocketUrl } from './url.ts'

/**
 * Connection status as shown to users.
 * - `idle`: no token yet, `disconnect()` was called, or the server refused the token (1008, see
 *   `authRejected`) and we wait for a new one.
 * - `connecting`: first attempt with the current token (socket opening, waiting for `hello`).
 * - `live`: `hello` received; snapshot and telemetry flow.
 * - `reconnecting`: the connection dropped; waiting for the backoff timer or retrying.
 * - `signed-out`: the token was cleared with `setToken(null)`; stays closed until a new token.
 */
export type ConnectionStatus = 'idle' | 'connecting' | 'live' | 'reconnecting' | 'signed-out'

export interface CloseInfo {
  code: number
  reason: string
  wasClean: boolean
  /** Local time (ms) of the close. */
  at: number
}

export interface ConnectionState {
  status: ConnectionStatus
  /** The last close reported by the server/browser for one of our sockets (null before any). */
  lastClose: CloseInfo | null
  /** True after a 1008 close: no retry until `setToken()` brings a different token. */
  authRejected: boolean
  /** Failed attempts since the last `hello` (drives the backoff). */
  attempt: number
  /** Delay of the pending retry timer, when one is scheduled. */
  retryInMs: number | null
  /** Tenant from the last `hello` of the current token, if any. */
  tenant: string | null
}

export interface WebSocketClientEvents {
  status: ConnectionState
  hello: Hello
  snapshot: Snapshot
  /** All events of one `telemetry` frame (batched; oldest first, ascending `seq`). */
  telemetry: TelemetryEvent[]
  pong: Pong
  /** Every parsed server message (after the specific event). */
  message: ServerMessage
  /** Emitted on a 1008 close: the token was refused or expired. */
  authRejected: CloseInfo
}

/** The subset of the browser WebSocket API the client uses (so tests can inject a fake). */
export interface WebSocketLike {
  readonly readyState: number
  onopen: ((ev: unknown) => void) | null
  onmessage: ((ev: { data: unknown }) => void) | null
  onclose: ((ev: { code: number; reason: string; wasClean: boolean }) => void) | null
  onerror: ((ev: unknown) => void) | null
  send(data: string): void
  close(code?: number, reason?: string): void
}

export type WebSocketConstructor = new (url: string) => WebSocketLike

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

export interface Logger {
  log(...args: unknown[]): void
  warn(...args: unknown[]): void
  error(...args: unknown[]): void
}

export interface BackoffOptions {
  /** Base delay of the first retry window (default 500 ms). */
  initialMs?: number
  /** Cap of the retry window (default 30 s). */
  maxMs?: number
  /** Window growth per failed attempt (default 2). */
  factor?: number
}

export interface WebSocketClientOptions {
  /**
   * Base URL (http, https, ws or wss), or a function returning it at connect time.
   * Default: `location.origin` (same-origin deployment).
   */
  baseUrl?: string | (() => string)
  /** Endpoint path (default `/ws`). */
  path?: string
  /** WebSocket constructor (default `globalThis.WebSocket`). */
  WebSocketImpl?: WebSocketConstructor
  /** Timer functions (default the global ones). */
  timers?: Timers
  /** Random source in [0, 1) for the jitter (default `Math.random`). */
  random?: () => number
  backoff?: BackoffOptions
  /** Logger (default `console`); `null` silences the client. */
  logger?: Logger | null
}

const CONNECTING = 0
const OPEN = 1

const SILENT: Logger = { log() {}, warn() {}, error() {} }

/**
 * Exponential backoff with full jitter: a uniformly random delay in
 * [0, min(maxMs, initialMs · factor^attempt)).
 */
export function backoffDelay(attempt: number, random: () => number, opts: Required<BackoffOptions>): number {
  const window = Math.min(opts.maxMs, opts.initialMs * Math.pow(opts.factor, Math.max(0, attempt)))
  return Math.floor(Math.max(0, Math.min(1, random())) * window)
}

/**
 * Fleet Live WebSocket client.
 *
 * Nothing connects on construction. `setToken(token)` (re)connects whenever the token changes and
 * `setToken(null)` disconnects for good (until the next token). Exactly one socket exists at a time: a
 * replaced socket has its handlers detached and is closed, and every handler also checks its generation,
 * so late events of an old socket never act. Dropped connections are retried with exponential backoff and
 * full jitter; a 1008 close (token refused/expired) is not retried until a different token arrives.
 */
export class WebSocketClient {
  private readonly emitter = new TypedEmitter<WebSocketClientEvents>()
  private readonly opts: {
    baseUrl: string | (() => string) | undefined
    path: string
    timers: Timers
    random: () => number
    backoff: Required<BackoffOptions>
    logger: Logger
    WebSocketImpl: WebSocketConstructor | undefined
  }

  private authToken: string | null = null
  /** The token the server refused with 1008; connecting with it again is pointless. */
  private rejectedToken: string | null = null
  private ws: WebSocketLike | null = null
  private wsIsOpen = false
  private generation = 0
  private retryTimer: unknown = null
  private retryAttempt = 0
  private state: ConnectionState = {
    status: 'idle',
    lastClose: null,
    authRejected: false,
    attempt: 0,
    retryInMs: null,
    tenant: null,
  }
  private counters = { created: 0, opened: 0 }

  constructor(options: WebSocketClientOptions = {}) {
    this.opts = {
      baseUrl: options.baseUrl,
      path: options.path ?? '/ws',
      timers: options.timers ?? {
        setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
        clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof globalThis.setTimeout>),
      },
      random: options.random ?? Math.random,
      backoff: {
        initialMs: options.backoff?.initialMs ?? 500,
        maxMs: options.backoff?.maxMs ?? 30_000,
        factor: options.backoff?.factor ?? 2,
      },
      logger: options.logger === null ? SILENT : (options.logger ?? console),
      WebSocketImpl: options.WebSocketImpl,
    }
  }

  // ------------------------------------------------------------------ public API

  on<K extends keyof WebSocketClientEvents>(type: K, listener: Listener<WebSocketClientEvents[K]>): () => void {
    return this.emitter.on(type, listener)
  }

  off<K extends keyof WebSocketClientEvents>(type: K, listener: Listener<WebSocketClientEvents[K]>): void {
    this.emitter.off(type, listener)
  }

  /** The current connection state (a new object on every change; safe for `useSyncExternalStore`). */
  getState(): ConnectionState {
    return this.state
  }

  getToken(): string | null {
    return this.authToken
  }

  /** Sockets created / opened over the client's lifetime, and whether one is open now. */
  getStats(): { created: number; opened: number; open: number } {
    return { created: this.counters.created, opened: this.counters.opened, open: this.wsIsOpen ? 1 : 0 }
  }

  /**
   * Sets the auth token. A different token closes the current socket (if any) and connects with the new
   * one; `null` (or '') closes the socket and keeps it closed (`signed-out`) until the next token.
   */
  setToken(token: string | null): void {
    const next = token ? token : null
    if (next === this.authToken) return
    this.authToken = next
    this.rejectedToken = null
    this.clearRetry()
    this.retryAttempt = 0
    if (!next) {
      this.opts.logger.log('[WebSocket] Token cleared, disconnecting')
      this.dropSocket(CloseCode.Normal, 'Signed out')
      this.setState({ status: 'signed-out', authRejected: false, attempt: 0, retryInMs: null, tenant: null })
      return
    }
    this.opts.logger.log('[WebSocket] Token updated, reconnecting...')
    this.setState({ status: 'connecting', authRejected: false, attempt: 0, retryInMs: null, tenant: null })
    this.open('connecting')
  }

  /**
   * Connects with the current token if not connected. Without a token it warns and returns; with a token
   * the server refused (1008) it warns and waits for a new one.
   */
  connect(): void {
    if (!this.authToken) {
      this.opts.logger.warn('[WebSocket] No auth token, skipping connection')
      return
    }
    if (this.rejectedToken === this.authToken) {
      this.opts.logger.warn('[WebSocket] Token was refused by the server; waiting for a new token')
      return
    }
    if (this.ws) return
    this.clearRetry()
    this.open(this.retryAttempt > 0 ? 'reconnecting' : 'connecting')
  }

  /** Retries immediately when waiting for a backoff timer (e.g. on the browser's `online` event). */
  reconnectNow(): void {
    if (this.retryTimer === null) return
    this.clearRetry()
    this.open('reconnecting')
  }

  /** Closes the socket without clearing the token; no reconnect until `connect()` or a new token. */
  disconnect(): void {
    this.clearRetry()
    this.retryAttempt = 0
    this.dropSocket(CloseCode.Normal, 'Client disconnect')
    this.setState({ status: this.state.status === 'signed-out' ? 'signed-out' : 'idle', attempt: 0, retryInMs: null })
  }

  /** Sends a client message when the socket is open; returns whether it was sent. */
  send(message: ClientMessage): boolean {
    if (!this.ws || this.ws.readyState !== OPEN) return false
    this.ws.send(JSON.stringify(message))
    return true
  }

  ping(): boolean {
    return this.send({ type: 'ping' })
  }

  // ------------------------------------------------------------------ internals

  private resolveBase(): string | null {
    const b = this.opts.baseUrl
    if (typeof b === 'function') return b()
    if (typeof b === 'string') return b
    const loc = (globalThis as { location?: { origin?: string } }).location
    return loc?.origin ?? null
  }

  private open(mode: 'connecting' | 'reconnecting'): void {
    const token = this.authToken
    if (!token) return
    this.dropSocket(CloseCode.Normal, 'Reconnecting')
    const base = this.resolveBase()
    if (!base) {
      this.opts.logger.error('[WebSocket] No base URL (no location.origin and no baseUrl option)')
      this.setState({ status: 'idle' })
      return
    }
    const Impl = this.opts.WebSocketImpl ?? (globalThis as { WebSocket?: unknown }).WebSocket as WebSocketConstructor | undefined
    if (!Impl) {
      this.opts.logger.error('[WebSocket] No WebSocket implementation available')
      this.setState({ status: 'idle' })
      return
    }
    const url = toWebSocketUrl(base, token, this.opts.path)
    const gen = ++this.generation
    this.opts.logger.log(`[WebSocket] Connecting to: ${url.slice(0, url.indexOf('?'))}`)
    let ws: WebSocketLike
    try {
      ws = new Impl(url)
    } catch (err) {
      this.opts.logger.error('[WebSocket] Could not create socket', err)
      this.setState({ status: 'reconnecting' })
      this.scheduleRetry()
      return
    }
    this.counters.created++
    this.ws = ws
    this.wsIsOpen = false
    this.setState({ status: mode, retryInMs: null })

    const current = () => gen === this.generation && this.ws === ws
    ws.onopen = () => {
      if (!current()) return
      this.wsIsOpen = true
      this.counters.opened++
      this.opts.logger.log('[WebSocket] Connected')
    }
    ws.onmessage = (ev) => {
      if (!current()) return
      this.handleMessage(ev.data)
    }
    ws.onerror = () => {
      if (!current()) return
      // A close event always follows; nothing to do here.
    }
    ws.onclose = (ev) => {
      if (!current()) return
      this.handleClose(ws, ev)
    }
  }

  private handleMessage(data: unknown): void {
    const msg = parseServerMessage(data)
    if (!msg) return
    switch (msg.type) {
      case 'hello':
        this.retryAttempt = 0
        this.setState({ status: 'live', attempt: 0, retryInMs: null, authRejected: false, tenant: msg.tenant })
        this.emitter.emit('hello', msg)
        break
      case 'snapshot':
        this.emitter.emit('snapshot', msg)
        break
      case 'telemetry':
        if (msg.events.length > 0) this.emitter.emit('telemetry', msg.events)
        break
      case 'pong':
        this.emitter.emit('pong', msg)
        break
    }
    this.emitter.emit('message', msg)
  }

  private handleClose(ws: WebSocketLike, ev: { code: number; reason: string; wasClean: boolean }): void {
    this.detach(ws)
    this.ws = null
    this.wsIsOpen = false
    const info: CloseInfo = { code: ev.code, reason: ev.reason, wasClean: ev.wasClean, at: Date.now() }
    this.opts.logger.log(`[WebSocket] Closed: ${ev.code} ${ev.reason}`)
    if (ev.code === CloseCode.PolicyViolation) {
      // Token missing/invalid/expired, no organization, pending session: do not retry until a new token.
      this.rejectedToken = this.authToken
      this.retryAttempt = 0
      this.setState({ status: 'idle', lastClose: info, authRejected: true, attempt: 0, retryInMs: null })
      this.emitter.emit('authRejected', info)
      return
    }
    this.setState({ lastClose: info })
    if (!this.authToken) {
      this.setState({ status: 'signed-out' })
      return
    }
    this.scheduleRetry()
  }

  private scheduleRetry(): void {
    this.clearRetry()
    const delay = backoffDelay(this.retryAttempt, this.opts.random, this.opts.backoff)
    this.retryAttempt++
    this.setState({ status: 'reconnecting', attempt: this.retryAttempt, retryInMs: delay })
    this.retryTimer = this.opts.timers.setTimeout(() => {
      this.retryTimer = null
      this.open('reconnecting')
    }, delay)
  }

  private clearRetry(): void {
    if (this.retryTimer !== null) {
      this.opts.timers.clearTimeout(this.retryTimer)
      this.retryTimer = null
    }
  }

  private detach(ws: WebSocketLike): void {
    ws.onopen = null
    ws.onmessage = null
    ws.onerror = null
    ws.onclose = null
  }

  /** Detaches and closes the current socket (if any). Its later events never reach us. */
  private dropSocket(code: number, reason: string): void {
    const ws = this.ws
    if (!ws) return
    this.ws = null
    this.wsIsOpen = false
    this.generation++
    this.detach(ws)
    if (ws.readyState === CONNECTING || ws.readyState === OPEN) {
      try {
        ws.close(code, reason)
      } catch (err) {
        this.opts.logger.warn('[WebSocket] close() threw', err)
      }
    }
  }

  private setState(patch: Partial<ConnectionState>): void {
    let changed = false
    for (const k of Object.keys(patch) as (keyof ConnectionState)[]) {
      if (this.state[k] !== patch[k]) {
        changed = true
        break
      }
    }
    if (!changed) return
    this.state = Object.freeze({ ...this.state, ...patch })
    this.emitter.emit('status', this.state)
  }
}
