import { WebSocketClient } from '@fleet/api'
import { config, wsBaseUrl } from '../../config.ts'
import { FleetStore } from '../live/fleetStore.ts'
import { wireStore } from '../live/wire.ts'

/** A share page's own client and vehicle store: no sign-in, no HTTP client, nothing of the live page. */
export interface ShareSession {
  readonly client: WebSocketClient
  readonly store: FleetStore
  /** The link's token is well formed (else the page says the link is invalid and never connects). */
  readonly tokenValid: boolean
  /** Connects with the share token (its first-message auth); a refused or ended share never reconnects. */
  start(): void
}

/**
 * Builds the session for `/share/<token>`. The token goes only into the WebSocket's first message: the
 * page makes no authenticated HTTP request (fleetd refuses a share token on every endpoint), so the store
 * has no name refresher, and a share session is never refreshed in band.
 */
export function createShareSession(token: string): ShareSession {
  const client = new WebSocketClient({
    baseUrl: wsBaseUrl,
    backoff: { maxMs: config.reconnectMaxMs },
    stream: config.stream,
  })
  const store = new FleetStore()
  store.reset(null) // whatever tenant the share belongs to
  wireStore(store, client)
  return {
    client,
    store,
    tokenValid: token !== '',
    start() {
      if (token !== '') client.setToken(token)
    },
  }
}
