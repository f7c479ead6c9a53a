import type { HttpClient, WebSocketClient } from '@fleet/api'
import type { FleetStore } from './fleetStore.ts'

/** Feeds the WebSocket client's events into the store. Returns the unsubscribe function. */
export function wireStore(store: FleetStore, ws: WebSocketClient): () => void {
  const offs = [
    ws.on('hello', (h) => store.handleHello(h)),
    // A snapshot answering a filtering view lists only what is in it (the client drops older views' ones).
    ws.on('snapshot', (s) => store.handleSnapshot(s, s.view !== undefined && ws.getView() !== null)),
    ws.on('viewChange', (c) => store.handleViewChange(c)),
    ws.on('telemetry', (events) => store.handleTelemetry(events)),
  ]
  return () => offs.forEach((off) => off())
}

/**
 * Returns an `onUnknownDevice` handler that refetches device names (debounced), for devices created
 * after the snapshot.
 */
export function nameRefresher(getStore: () => FleetStore, http: Pick<HttpClient, 'devices'>, delayMs = 1000): (id: string) => void {
  let timer: ReturnType<typeof setTimeout> | undefined
  return () => {
    if (timer !== undefined) return
    timer = setTimeout(() => {
      timer = undefined
      http.devices().then(
        (devices) => getStore().setNames(devices),
        (err: unknown) => console.warn('[live] could not refresh device names', err),
      )
    }, delayMs)
  }
}
