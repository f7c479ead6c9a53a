import type { WebSocketClient } from '@fleet/api'
import type { AuthProvider } from './features/auth/types.ts'
import type { FleetStore } from './features/live/fleetStore.ts'

/** Read-only view of the app's state for end-to-end tests and debugging (`window.__fleet`). */
export interface FleetDebug {
  /** WebSocket client status: idle | connecting | live | reconnecting | signed-out. */
  readonly status: string
  /** Tenant from the current session's `hello` (null before it / after sign-out). */
  readonly tenant: string | null
  /** Organization the user is signed in to (auth layer). */
  readonly org: string | null
  readonly user: string | null
  /** Vehicles in the store / markers on the map. */
  readonly deviceCount: number
  readonly markerCount: number
  /** Sockets open right now (0 or 1) — compare with fleetd's `fleet_ws_connections`. */
  readonly socketOpenCount: number
  /** Sockets opened / created since the page loaded. */
  readonly socketsOpenedTotal: number
  readonly socketsCreatedTotal: number
  readonly lastClose: { code: number; reason: string } | null
  /** Tokens received from the auth provider since the page loaded (refreshes included). */
  readonly tokenSerial: number
  readonly tokenExpiresAt: number | null
  /** Expiry (Unix s) of the token the session runs on, per the server (`hello`, then `auth_ok`). */
  readonly sessionTokenExp: number | null
  /** In-band refreshes answered with `auth_ok`. */
  readonly authOkCount: number
  /** `hello.recovered` of the current session (null when it did not resume). */
  readonly recovered: boolean | null
  /** Reconnects answered with `recovered: true` / with a snapshot instead. */
  readonly recoveredCount: number
  readonly notRecoveredCount: number
  /** Events the server coalesced away (`skipped`), and frames that broke the sequence rule (loss). */
  readonly skippedEvents: number
  readonly gaps: number
  /** The telemetry encoding of the current session per its `hello` (`json` or `compact`; null before). */
  readonly format: string | null
  /** The view the client keeps its stream to (the `view` members; null: the whole tenant). */
  readonly view: unknown
  /** Vehicles kept at their last position outside the scoped stream's view. */
  readonly outsideCount: number
}

const registry: { provider: AuthProvider | null; markerCount: () => number } = {
  provider: null,
  markerCount: () => 0,
}

export function registerDebugProvider(p: AuthProvider | null): void {
  registry.provider = p
}

export function registerMarkerCount(fn: (() => number) | null): void {
  registry.markerCount = fn ?? (() => 0)
}

export function installDebug(ws: WebSocketClient, store: FleetStore): void {
  if (typeof window === 'undefined' || '__fleet' in window) return
  const auth = () => registry.provider?.getSnapshot() ?? null
  const obj: FleetDebug = Object.freeze({
    get status() {
      return ws.getState().status
    },
    get tenant() {
      return ws.getState().tenant
    },
    get org() {
      return auth()?.orgId ?? null
    },
    get user() {
      return auth()?.userId ?? null
    },
    get deviceCount() {
      return store.vehicles.size
    },
    get markerCount() {
      return registry.markerCount()
    },
    get socketOpenCount() {
      return ws.getStats().open
    },
    get socketsOpenedTotal() {
      return ws.getStats().opened
    },
    get socketsCreatedTotal() {
      return ws.getStats().created
    },
    get lastClose() {
      const c = ws.getState().lastClose
      return c ? { code: c.code, reason: c.reason } : null
    },
    get tokenSerial() {
      return auth()?.tokenSerial ?? 0
    },
    get tokenExpiresAt() {
      return auth()?.expiresAt ?? null
    },
    get sessionTokenExp() {
      return ws.getState().tokenExp
    },
    get authOkCount() {
      return ws.getStats().refreshes
    },
    get recovered() {
      return ws.getState().recovered
    },
    get recoveredCount() {
      return ws.getStats().recovered
    },
    get notRecoveredCount() {
      return ws.getStats().notRecovered
    },
    get skippedEvents() {
      return ws.getStats().skipped
    },
    get gaps() {
      return ws.getStats().gaps
    },
    get format() {
      return ws.getState().format
    },
    get view() {
      return ws.getView()
    },
    get outsideCount() {
      let n = 0
      for (const v of store.vehicles.values()) if (!v.inView) n++
      return n
    },
  })
  Object.defineProperty(window, '__fleet', { value: obj, writable: false, configurable: false, enumerable: false })
}
