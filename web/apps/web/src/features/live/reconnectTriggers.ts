import type { WebSocketClient } from '@fleet/api'

interface Events {
  addEventListener(type: string, listener: () => void): void
  removeEventListener(type: string, listener: () => void): void
}

/**
 * Skips the backoff wait when the reasons for it are likely gone: the browser is back online, or the tab
 * becomes visible again (timers of hidden tabs are throttled, and a laptop may have slept). The client
 * ignores both while live or connecting. Returns the uninstall function.
 */
export function installReconnectTriggers(
  win: Events,
  doc: Events & { readonly visibilityState: string },
  client: Pick<WebSocketClient, 'reconnectNow'>,
): () => void {
  const onOnline = () => client.reconnectNow()
  const onVisibility = () => {
    if (doc.visibilityState === 'visible') client.reconnectNow()
  }
  win.addEventListener('online', onOnline)
  doc.addEventListener('visibilitychange', onVisibility)
  return () => {
    win.removeEventListener('online', onOnline)
    doc.removeEventListener('visibilitychange', onVisibility)
  }
}
