import type { AuthOk, ClientMessage, Hello, Pong, ServerMessage, Snapshot, StreamFormat, TelemetryEvent, View, ViewChange } from '../types/protocol.ts'
import { CloseCode } from '../types/protocol.ts'
import { DEFAULT_BACKOFF, backoffDelay, type BackoffOptions } from './backoff.ts'
import { closeAction } from './closeReasons.ts'
import { DeviceTable } from './compact.ts'
import { TypedEmitter, type Listener } from './emitter.ts'
import { peekIdentity, type TokenIdentity } from './jwt.ts'
import { parseServerMessage, type ParsedTelemetryFrame } from './parse.ts'
import { checkFrame } from './sequence.ts'
import { echoMismatch, streamMembers, streamQuery, type StreamMembers, type StreamOptions } from './streamOptions.ts'
import { toWebSocketUrl } from './url.ts'
import { isScoped, viewMembers, type ViewSpec } from './viewSpec.ts'

/**
 * Connection status as shown to users.
 * - `idle`: no token yet, `disconnect()` was called, or the server refused the token (1008, see
 *   `authRejected`) and the client waits for a new one (`tokenRequired` asked the app for it).
 * - `connecting`: first attempt with the current user and organization (socket opening, waiting for `hello`).
 * - `live`: `hello` received; snapshot and telemetry flow. In-band token refreshes keep it `live`.
 * - `reconnecting`: the connection dropped; waiting for the backoff timer or retrying.
 * - `signed-out`: the token was cleared with `setToken(null)`; stays closed until a new token.
 * - `ended`: the server ended the session for good (`1008 Share expired` / `Share revoked`): no reconnect,
 *   whatever the token; `lastClose` says why.
 */
export type ConnectionStatus = 'idle' | 'connecting' | 'live' | 'reconnecting' | 'signed-out' | 'ended'

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
  /** True after a 1008 close that needs a new token, until a new token or the next `hello`. */
  authRejected: boolean
  /** Failed attempts since the last `hello` (drives the backoff). */
  attempt: number
  /** Delay of the pending retry timer, when one is scheduled. */
  retryInMs: number | null
  /** When the pending retry fires (the client's clock, epoch ms); null when none is scheduled. */
  retryAt: number | null
  /** Tenant from the last `hello` of the current user and organization, if any. */
  tenant: string | null
  /** Expiry (Unix seconds) of the token the session runs on: from `hello`, then from each `auth_ok`. */
  tokenExp: number | null
  /** `hello.recovered` of the current session; null when it did not ask to resume. */
  recovered: boolean | null
  /** The telemetry encoding of the current session per its `hello` (`json` without an echo); null before. */
  format: StreamFormat | null
}

export interface ClientStats {
  /** Sockets created / opened over the client's lifetime, and whether one is open now (0 or 1). */
  created: number
  opened: number
  open: number
  /** In-band token refreshes answered with `auth_ok`. */
  refreshes: number
  /** Events the server reported as coalesced away (`skipped`), in total. */
  skipped: number
  /** Frames that broke the sequence rule; each one closed the socket and resumed. */
  gaps: number
  /** Reconnects answered with `recovered: true` / with `recovered: false` and a snapshot. */
  recovered: number
  notRecovered: number
}

export interface WebSocketClientEvents {
  status: ConnectionState
  hello: Hello
  /** An in-band refresh was accepted; the session goes on with the new token. */
  authOk: AuthOk
  /**
   * A snapshot: the connection's (no `view`), or the scoped one answering the newest view this client
   * sent (`view` = its id; it lists only the devices in that view). Snapshots answering an older view are
   * not emitted.
   */
  snapshot: Snapshot
  /** Devices crossed the edge of the newest view (`view_change` of an older view are not emitted). */
  viewChange: ViewChange
  /**
   * All events of one consistent `telemetry` frame, or of a compact `tc` frame decoded into the same
   * event objects (batched; oldest first, ascending `seq`).
   */
  telemetry: TelemetryEvent[]
  pong: Pong
  /** Every parsed server message (after the specific event); `tc` frames come as `telemetry`. */
  message: ServerMessage
  /** Emitted on every 1008 close that refused the token (invalid, expired, no organization, …). */
  authRejected: CloseInfo
  /**
   * The client needs a new token to go on: at once after the first refusal since the last `hello`, then
   * after a backoff delay for each further one. Answer with `setToken()` (the same token retries it).
   */
  tokenRequired: CloseInfo
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

export interface WebSocketClientOptions {
  /**
   * Base URL (http, https, ws or wss), or a function returning it at connect time.
   * Default: `location.origin` (same-origin deployment).
   */
  baseUrl?: string | (() => string)
  /** Endpoint path (default `/ws`). */
  path?: string
  /**
   * How the token reaches the server: `message` (default, protocol 2: the first message is `auth`, the
   * URL never holds the token) or `query` (protocol 1: `?token=`, for servers that predate protocol 2).
   */
  auth?: 'message' | 'query'
  /** WebSocket constructor (default `globalThis.WebSocket`). */
  WebSocketImpl?: WebSocketConstructor
  /** Timer functions (default the global ones). */
  timers?: Timers
  /** Clock for `retryAt` (default `Date.now`). */
  now?: () => number
  /** Random source in [0, 1) for the jitter (default `Math.random`). */
  random?: () => number
  backoff?: BackoffOptions
  /**
   * Stream options (docs/protocol.md, "Stream options"), sent in the first `auth` message of every
   * connection (or in the query with `auth: 'query'`), each only when set. `compact` telemetry is decoded
   * into the same events as JSON. Throws a RangeError at construction for a value fleetd would refuse.
   */
  stream?: StreamOptions
  /** Logger (default `console`); `null` silences the client. */
  logger?: Logger | null
}

const CONNECTING = 0
const OPEN = 1

const SILENT: Logger = { log() {}, warn() {}, error() {} }

/** One socket and what the server said on it. */
interface Session {
  readonly ws: WebSocketLike
  readonly gen: number
  /** The token this session authenticated with, or the last one the server accepted in-band. */
  token: string
  hello: Hello | null
  /** The token of the in-band `auth` awaiting `auth_ok`: never more than one in flight. */
  refreshing: string | null
  /** The compact device indexes this connection announced: every connection starts with none. */
  readonly devices: DeviceTable
  /** The `id` of the last `view` sent on this socket (null: none; the stream is the whole tenant). */
  viewId: number | null
  /**
   * Gaps in `seq` are normal here: a filtering view (boxes, groups, devices, a minimum interval) was sent
   * on this socket and no snapshot of a later unfiltered one has arrived since.
   */
  gapsExpected: boolean
}

/** The view the app asked for, as `view` members, and whether it filters (gaps in `seq` then are normal). */
interface ViewState {
  members: Omit<View, 'type' | 'id'>
  filters: boolean
}

/** Where the stream stands, for a resume: `hello.epoch` and the last `seq` applied. */
interface Cursor {
  epoch: string
  seq: number
  tenant: string
  user: string
}

/**
 * Fleet Live WebSocket client (protocol 2).
 *
 * Nothing connects on construction. `setToken(token)` connects; a later token for the same user and
 * organization is sent in-band on the open socket (`auth` → `auth_ok`, no new snapshot), a token for
 * another one reconnects; `setToken(null)` disconnects for good (until the next token). The token travels
 * in the first message, never in the URL.
 *
 * Exactly one socket exists at a time: a replaced socket has its handlers detached and is closed, and
 * every handler also checks its generation, so late events of an old socket never act. Drops are retried
 * with exponential backoff and full jitter (the window bounded by how long the stream has been down), and
 * every reconnect resumes from the last applied `seq`. A
 * frame that breaks the sequence rule is loss: the client closes and resumes at once. A refused token
 * (1008) asks the app for a new one (`tokenRequired`) at once, then with backoff.
 *
 * With `stream: { format: 'compact' }` telemetry arrives as `tc` frames naming devices by per-connection
 * indexes; each connection keeps its own index table, and a frame that cannot be decoded with it (an
 * index never announced on this connection, a malformed chunk) is loss like a gap.
 */
export class WebSocketClient {
  private readonly emitter = new TypedEmitter<WebSocketClientEvents>()
  private readonly opts: {
    baseUrl: string | (() => string) | undefined
    path: string
    auth: 'message' | 'query'
    timers: Timers
    now: () => number
    random: () => number
    backoff: Required<BackoffOptions>
    logger: Logger
    WebSocketImpl: WebSocketConstructor | undefined
    stream: StreamMembers | null
  }

  /** The newest token the app gave us. */
  private authToken: string | null = null
  /** The token the server refused with 1008 (connecting with it again waits for `setToken`). */
  private rejectedToken: string | null = null
  private session: Session | null = null
  private wsIsOpen = false
  private generation = 0
  private cursor: Cursor | null = null
  /** Who the current session is for: its `hello`, else the readable payload of the token last used. */
  private identity: TokenIdentity | null = null
  private retryTimer: unknown = null
  /** What the pending retry does: reconnect, or ask the app for a token first. */
  private retryKind: 'open' | 'token' = 'open'
  private retryAttempt = 0
  /** Token refusals since the last `hello`: the first asks for a token at once, later ones back off. */
  private refusals = 0
  private waitingForToken = false
  /** Consecutive sequence breaks: the first resumes at once, repeats back off. */
  private gapStreak = 0
  /** When the stream was last lost (the client's clock); null while live. Bounds the backoff window. */
  private downSince: number | null = null
  /** The view the app asked for (null: the whole tenant); sent after every `hello`. */
  private view: ViewState | null = null
  /** The last view `id` used: ids increase over the client's lifetime, across sockets. */
  private viewSeq = 0
  private state: ConnectionState = {
    status: 'idle',
    lastClose: null,
    authRejected: false,
    attempt: 0,
    retryInMs: null,
    retryAt: null,
    tenant: null,
    tokenExp: null,
    recovered: null,
    format: null,
  }
  private counters = { created: 0, opened: 0, refreshes: 0, skipped: 0, gaps: 0, recovered: 0, notRecovered: 0 }

  constructor(options: WebSocketClientOptions = {}) {
    this.opts = {
      baseUrl: options.baseUrl,
      path: options.path ?? '/ws',
      auth: options.auth ?? 'message',
      timers: options.timers ?? {
        setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
        clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof globalThis.setTimeout>),
      },
      now: options.now ?? Date.now,
      random: options.random ?? Math.random,
      backoff: { ...DEFAULT_BACKOFF, ...definedOnly(options.backoff) },
      logger: options.logger === null ? SILENT : (options.logger ?? console),
      WebSocketImpl: options.WebSocketImpl,
      stream: streamMembers(options.stream),
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

  getStats(): ClientStats {
    return { ...this.counters, open: this.wsIsOpen ? 1 : 0 }
  }

  /**
   * Sets the auth token. `null` (or '') closes the socket and keeps it closed (`signed-out`) until the
   * next token. A token for the same user and organization as the open session (or one whose payload
   * cannot be read: the server decides) is sent in-band; one for another user or organization closes
   * the socket and connects with it, without resuming. Without a socket, connects at once.
   */
  setToken(token: string | null): void {
    const next = token ? token : null
    if (next === this.authToken) {
      // After `tokenRequired` the app may have nothing newer: retry the same token.
      if (next && this.waitingForToken) this.openNow('reconnecting')
      return
    }
    this.authToken = next
    this.rejectedToken = null
    this.waitingForToken = false
    if (!next) {
      this.opts.logger.log('[WebSocket] Token cleared, disconnecting')
      this.clearRetry()
      this.resetIdentity()
      this.dropSocket(CloseCode.Normal, 'Signed out')
      this.setState({ status: 'signed-out', ...NO_SESSION, authRejected: false, attempt: 0 })
      return
    }
    const same = this.sameAsCurrent(next)
    if (same === false) {
      this.opts.logger.log('[WebSocket] Token for another user or organization, reconnecting')
      this.resetIdentity()
      this.setState({ ...NO_SESSION, authRejected: false, attempt: 0 })
      this.openNow('connecting')
      return
    }
    const s = this.session
    if (s) {
      // The open socket carries on; a session still authenticating is reconciled on `hello`.
      if (s.hello) this.refreshInBand(s)
      return
    }
    this.setState({ authRejected: false })
    this.openNow(this.cursor ? 'reconnecting' : 'connecting')
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
    if (this.session) return
    this.openNow(this.retryAttempt > 0 ? 'reconnecting' : 'connecting')
  }

  /**
   * Skips a pending backoff (the "Retry now" button, the browser's `online` event, a tab becoming
   * visible). While waiting for a new token it asks the app again. Otherwise (live, connecting,
   * signed out) it does nothing.
   */
  reconnectNow(): void {
    if (this.retryTimer !== null) {
      this.clearRetry()
      this.fireRetry()
    } else if (this.waitingForToken && this.state.lastClose) {
      this.emitter.emit('tokenRequired', this.state.lastClose)
    }
  }

  /** Closes the socket without clearing the token; no reconnect until `connect()` or a new token. */
  disconnect(): void {
    this.clearRetry()
    this.retryAttempt = 0
    this.waitingForToken = false
    this.dropSocket(CloseCode.Normal, 'Client disconnect')
    this.setState({
      status: this.state.status === 'signed-out' ? 'signed-out' : 'idle',
      attempt: 0,
      retryInMs: null,
      retryAt: null,
    })
  }

  /** Sends a client message when the socket is open; returns whether it was sent. */
  send(message: ClientMessage): boolean {
    const ws = this.session?.ws
    if (!ws || ws.readyState !== OPEN) return false
    ws.send(JSON.stringify(message))
    return true
  }

  ping(): boolean {
    return this.send({ type: 'ping' })
  }

  /**
   * Scopes the stream to a view (docs/protocol.md, "Views"), or back to the whole tenant with null. The
   * view is sent at once when the session is live, else in the first `auth` message of the next socket
   * (after its `hello` when the token goes in the URL), and so again on every reconnect, each time with a
   * new, increasing `id`: a socket's first snapshot is then already scoped. Its scoped `snapshot` (carrying that id) and
   * `view_change` events are emitted; those of an older view are not. While a filtering view is in force,
   * gaps in `seq` are other devices' events, not loss. Throws a RangeError for a view fleetd would refuse
   * (over its limits, coordinates out of range), before anything is sent.
   */
  setView(spec: ViewSpec | null): void {
    const members = spec ? viewMembers(spec) : null
    const next: ViewState | null =
      members && (isScoped(members) || (members.min_interval_ms ?? 0) > 0) ? { members, filters: true } : null
    const had = this.view
    this.view = next
    const s = this.session
    if (!s?.hello || s.ws.readyState !== OPEN) return // sent after the next `hello`
    // Back to the whole tenant: tell the server only if this socket has a view to undo.
    if (next || (had && s.viewId !== null)) this.sendView(s)
  }

  /** The view the app asked for, as the `view` members sent (null: the whole tenant). */
  getView(): Omit<View, 'type' | 'id'> | null {
    return this.view ? this.view.members : null
  }

  // ------------------------------------------------------------------ identity and tokens

  /**
   * Does `token` belong to the current user and organization (the live session's `hello`, else the
   * token last connected with)? null when it cannot be told: a payload that cannot be read, or no `o.id`
   * / `org_id` (fleetd may take the tenant from another claim); then the server decides in-band.
   */
  private sameAsCurrent(token: string): boolean | null {
    const id = peekIdentity(token)
    const h = this.session?.hello
    const cur = h ? { sub: h.user, org: h.tenant } : this.identity
    if (!id || !cur) return null
    if (id.sub !== cur.sub) return false
    if (id.org === null || cur.org === null) return null
    return id.org === cur.org
  }

  /** Another user or organization: nothing of the old stream carries over. */
  private resetIdentity(): void {
    this.identity = null
    this.cursor = null
    this.downSince = null
    this.retryAttempt = 0
    this.refusals = 0
    this.gapStreak = 0
  }

  /** Sends the newest token on the open socket unless it is the session's or a refresh is in flight. */
  private refreshInBand(s: Session): void {
    const token = this.authToken
    if (!token || s.refreshing !== null || token === s.token) return
    if (s.ws.readyState !== OPEN) return
    this.opts.logger.log('[WebSocket] Refreshing the token in-band')
    s.ws.send(JSON.stringify({ type: 'auth', token }))
    s.refreshing = token
  }

  /** After `hello` or `auth_ok`: a token that arrived meanwhile is refreshed in-band or reconnects. */
  private reconcile(s: Session): void {
    const token = this.authToken
    if (!token || token === s.token || this.session !== s) return
    if (this.sameAsCurrent(token) === false) {
      this.resetIdentity()
      this.setState({ ...NO_SESSION })
      this.openNow('connecting')
      return
    }
    this.refreshInBand(s)
  }

  // ------------------------------------------------------------------ sockets

  private resolveBase(): string | null {
    const b = this.opts.baseUrl
    if (typeof b === 'function') return b()
    if (typeof b === 'string') return b
    const loc = (globalThis as { location?: { origin?: string } }).location
    return loc?.origin ?? null
  }

  private openNow(mode: 'connecting' | 'reconnecting'): void {
    this.clearRetry()
    this.open(mode)
  }

  private open(mode: 'connecting' | 'reconnecting'): void {
    const token = this.authToken
    if (!token) return
    this.waitingForToken = false
    this.dropSocket(CloseCode.Normal, 'Reconnecting')
    const base = this.resolveBase()
    if (!base) {
      this.opts.logger.error('[WebSocket] No base URL (no location.origin and no baseUrl option)')
      this.setState({ status: 'idle' })
      return
    }
    const Impl = this.opts.WebSocketImpl ?? ((globalThis as { WebSocket?: unknown }).WebSocket as WebSocketConstructor | undefined)
    if (!Impl) {
      this.opts.logger.error('[WebSocket] No WebSocket implementation available')
      this.setState({ status: 'idle' })
      return
    }
    const id = peekIdentity(token)
    if (id) this.identity = id
    // A resume never crosses users or tenants (the epoch is per tenant; this keeps the client honest too).
    if (this.cursor && id && (id.sub !== this.cursor.user || id.org !== this.cursor.tenant)) this.cursor = null
    const resume = this.cursor ? { since: this.cursor.seq, epoch: this.cursor.epoch } : null
    const byQuery = this.opts.auth === 'query'
    const stream = this.opts.stream
    const url = toWebSocketUrl(base, this.opts.path, byQuery ? { token, ...resume, ...streamQuery(stream) } : {})
    const gen = ++this.generation
    this.opts.logger.log(`[WebSocket] Connecting to: ${url.split('?')[0]}${resume ? ` (resuming after ${resume.since})` : ''}`)
    let ws: WebSocketLike
    try {
      ws = new Impl(url)
    } catch (err) {
      this.opts.logger.error('[WebSocket] Could not create socket', err)
      this.scheduleRetry('open')
      return
    }
    this.counters.created++
    const s: Session = {
      ws,
      gen,
      token,
      hello: null,
      refreshing: null,
      devices: new DeviceTable(),
      viewId: null,
      gapsExpected: false,
    }
    this.session = s
    this.wsIsOpen = false
    this.setState({ status: mode, retryInMs: null, retryAt: null })

    const current = () => gen === this.generation && this.session === s
    ws.onopen = () => {
      if (!current()) return
      this.wsIsOpen = true
      this.counters.opened++
      this.opts.logger.log('[WebSocket] Connected')
      // Stream options go with the first message only: a session's options are fixed at its start. So
      // does the view, so the first snapshot is already scoped (never the whole tenant, to be replaced).
      if (!byQuery) {
        const view = this.view ? { view: this.nextView(s) } : {}
        ws.send(JSON.stringify({ type: 'auth', token, ...resume, ...stream, ...view }))
      }
    }
    ws.onmessage = (ev) => {
      if (!current()) return
      this.handleMessage(s, ev.data)
    }
    ws.onerror = () => {
      // A close event always follows; nothing to do here.
    }
    ws.onclose = (ev) => {
      if (!current()) return
      this.handleClose(s, ev)
    }
  }

  private handleMessage(s: Session, data: unknown): void {
    const msg = parseServerMessage(data, s.devices)
    if (!msg) return
    switch (msg.type) {
      case 'hello':
        this.onHello(s, msg)
        break
      case 'auth_ok':
        this.onAuthOk(s, msg)
        break
      case 'snapshot':
        if (!this.onSnapshot(s, msg)) return
        break
      case 'view_change':
        if (msg.view !== s.viewId) return // an older view's edge; the newer view's snapshot supersedes it
        this.emitter.emit('viewChange', msg)
        break
      case 'telemetry':
        if (!this.onTelemetry(s, msg)) return
        break
      case 'pong':
        this.emitter.emit('pong', msg)
        break
      case 'devices':
        break // the parser has put the indexes in the session's table
    }
    if (this.session === s) this.emitter.emit('message', msg)
  }

  private onHello(s: Session, h: Hello): void {
    s.hello = h
    this.identity = { sub: h.user, org: h.tenant }
    this.downSince = null
    this.retryAttempt = 0
    this.refusals = 0
    this.rejectedToken = null
    // A protocol 1 server sends no epoch: no resume, and no sequence rule (its gaps are unexplained).
    this.cursor = h.epoch ? { epoch: h.epoch, seq: h.seq, tenant: h.tenant, user: h.user } : null
    if (h.recovered === true) this.counters.recovered++
    else if (h.recovered === false) this.counters.notRecovered++
    const asked = this.opts.stream
    const mismatch = asked && echoMismatch(asked, h)
    if (mismatch) this.opts.logger.warn(`[WebSocket] Stream options: ${mismatch}`)
    this.setState({
      status: 'live',
      attempt: 0,
      retryInMs: null,
      retryAt: null,
      authRejected: false,
      tenant: h.tenant,
      tokenExp: h.token_exp,
      recovered: h.recovered ?? null,
      format: h.format ?? 'json',
    })
    this.emitter.emit('hello', h)
    // Views are per connection: one that did not go with the auth message (a token in the URL) follows.
    if (this.view && this.session === s && s.viewId === null) this.sendView(s)
    this.reconcile(s)
  }

  /** Sends the app's view (or an empty one: the whole tenant) on a live socket, with a new id. */
  private sendView(s: Session): void {
    s.ws.send(JSON.stringify({ type: 'view', ...this.nextView(s) } satisfies View))
  }

  /** Numbers the app's view for this socket: the `view` members to send, with a new id. */
  private nextView(s: Session): Omit<View, 'type'> {
    const id = ++this.viewSeq
    const v = this.view
    s.viewId = id
    // Until the answer to an unfiltered view arrives, events may still follow the filtering one.
    if (v?.filters) s.gapsExpected = true
    return { id, ...(v ? v.members : {}) }
  }

  /** Returns false for a scoped snapshot of an older view, which is dropped. */
  private onSnapshot(s: Session, m: Snapshot): boolean {
    if (m.view !== undefined) {
      if (m.view !== s.viewId) return false
      // The view takes effect at the snapshot's seq: from here on gaps are normal only if it filters.
      s.gapsExpected = this.view !== null
    }
    if (this.cursor) this.cursor.seq = m.seq
    this.emitter.emit('snapshot', m)
    return true
  }

  private onAuthOk(s: Session, m: AuthOk): void {
    if (s.refreshing === null) return // not ours to act on
    s.token = s.refreshing
    s.refreshing = null
    this.counters.refreshes++
    this.setState({ tokenExp: m.token_exp })
    this.emitter.emit('authOk', m)
    this.reconcile(s)
  }

  /** Applies the sequence rule; returns false when the frame was loss and the socket is gone. */
  private onTelemetry(s: Session, f: ParsedTelemetryFrame): boolean {
    const c = this.cursor
    if (f.loss !== undefined) {
      // A `tc` frame that cannot be decoded: its events are lost, exactly as for a gap.
      if (c && s.hello) this.onLoss(c, f.loss)
      else this.opts.logger.warn(`[WebSocket] Dropped a telemetry frame (${f.loss})`)
      return false
    }
    if (c && s.hello && s.gapsExpected) {
      // A filtered stream: other devices' events are missing by design. Resume from the newest one seen.
      for (const seq of f.wireSeqs) if (seq > c.seq) c.seq = seq
      this.gapStreak = 0
    } else if (c && s.hello) {
      const r = checkFrame(c.seq, f.wireSeqs, f.skipped)
      if (!r.ok) {
        this.onLoss(c, r.reason)
        return false
      }
      c.seq = r.last
      this.counters.skipped += f.skipped
      this.gapStreak = 0
    }
    if (f.events.length > 0) this.emitter.emit('telemetry', f.events)
    return true
  }

  private onLoss(c: Cursor, reason: string): void {
    this.counters.gaps++
    this.gapStreak++
    this.opts.logger.warn(`[WebSocket] Events lost (${reason}); resuming after ${c.seq}`)
    this.dropSocket(CloseCode.Normal, 'Resuming')
    // A server that keeps breaking the rule would otherwise be reconnected to in a tight loop.
    if (this.gapStreak > 1) this.scheduleRetry('open')
    else this.open('reconnecting')
  }

  private handleClose(s: Session, ev: { code: number; reason: string; wasClean: boolean }): void {
    this.detach(s.ws)
    this.session = null
    this.wsIsOpen = false
    const info: CloseInfo = { code: ev.code, reason: ev.reason, wasClean: ev.wasClean, at: this.opts.now() }
    this.opts.logger.log(`[WebSocket] Closed: ${ev.code} ${ev.reason}`)
    this.setState({ lastClose: info })
    if (!this.authToken) {
      this.setState({ status: 'signed-out' })
      return
    }
    switch (closeAction(ev.code, ev.reason)) {
      case 'reauth':
        // The in-band refresh was for another organization or user: that is a new session.
        this.resetIdentity()
        this.setState({ ...NO_SESSION })
        if (this.authToken !== s.token) this.open('connecting')
        else this.scheduleRetry('open')
        return
      case 'fresh':
        this.cursor = null
        this.scheduleRetry('open')
        return
      case 'token':
        this.onRefused(s, info)
        return
      case 'backoff':
        this.scheduleRetry('open')
        return
      case 'end':
        // A share that expired or was revoked: no token brings it back.
        this.clearRetry()
        this.setState({ status: 'ended', retryInMs: null, retryAt: null })
        return
    }
  }

  private onRefused(s: Session, info: CloseInfo): void {
    // `Token expired` is about the session's token; any other refusal during a refresh is about the new one.
    const refused = info.reason === 'Token expired' ? s.token : (s.refreshing ?? s.token)
    this.setState({ authRejected: true })
    this.emitter.emit('authRejected', info)
    if (this.authToken !== refused) {
      // A newer token arrived while the refused one was in use: it may be the remedy.
      this.open('reconnecting')
      return
    }
    this.rejectedToken = refused
    this.refusals++
    if (this.refusals === 1) this.requestToken(info)
    else this.scheduleRetry('token')
  }

  private requestToken(info: CloseInfo): void {
    this.waitingForToken = true
    this.setState({ status: 'idle', retryInMs: null, retryAt: null })
    this.emitter.emit('tokenRequired', info)
  }

  private scheduleRetry(kind: 'open' | 'token'): void {
    this.clearRetry()
    const now = this.opts.now()
    this.downSince ??= now
    const delay = backoffDelay(this.retryAttempt, this.opts.random, this.opts.backoff, now - this.downSince)
    this.retryAttempt++
    this.retryKind = kind
    this.setState({ status: 'reconnecting', attempt: this.retryAttempt, retryInMs: delay, retryAt: now + delay })
    this.retryTimer = this.opts.timers.setTimeout(() => {
      this.retryTimer = null
      this.fireRetry()
    }, delay)
  }

  private fireRetry(): void {
    if (this.retryKind === 'token' && this.state.lastClose) this.requestToken(this.state.lastClose)
    else this.open('reconnecting')
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
    const s = this.session
    if (!s) return
    this.session = null
    this.wsIsOpen = false
    this.generation++
    this.detach(s.ws)
    if (s.ws.readyState === CONNECTING || s.ws.readyState === OPEN) {
      try {
        s.ws.close(code, reason)
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

/** The session fields of `ConnectionState` when no session of the current identity exists. */
const NO_SESSION = { tenant: null, tokenExp: null, recovered: null, format: null, retryInMs: null, retryAt: null } as const

function definedOnly<T extends object>(o: T | undefined): Partial<T> {
  if (!o) return {}
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}
