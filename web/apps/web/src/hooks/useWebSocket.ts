import type { ConnectionState, ConnectionStatus, WebSocketClient, WebSocketClientEvents } from '@fleet/api'
import { useCallback, useEffect, useRef, useSyncExternalStore } from 'react'
import { wsClient } from '../clients.ts'

/** The WebSocket client's connection state (status, last close code/reason, retry info, tenant). */
export function useConnectionState(client: Pick<WebSocketClient, 'on' | 'getState'> = wsClient): ConnectionState {
  const subscribe = useCallback((cb: () => void) => client.on('status', cb), [client])
  const get = useCallback(() => client.getState(), [client])
  return useSyncExternalStore(subscribe, get, get)
}

export function useConnectionStatus(client: WebSocketClient = wsClient): ConnectionStatus {
  return useConnectionState(client).status
}

/**
 * Subscribes to one WebSocket client event for the component's lifetime. The handler may change between
 * renders without resubscribing. Keep handlers cheap: telemetry arrives many times a second.
 */
export function useWebSocketEvent<K extends keyof WebSocketClientEvents>(
  type: K,
  handler: (payload: WebSocketClientEvents[K]) => void,
  client: WebSocketClient = wsClient,
): void {
  const ref = useRef(handler)
  ref.current = handler
  useEffect(() => client.on(type, (p) => ref.current(p)), [client, type])
}

/** Connection state plus the client itself (for `ping()`, `reconnectNow()`, stats). */
export function useWebSocket(client: WebSocketClient = wsClient): ConnectionState & { client: WebSocketClient } {
  const state = useConnectionState(client)
  return { ...state, client }
}
