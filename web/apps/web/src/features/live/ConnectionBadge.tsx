import type { ConnectionState, WebSocketClient } from '@fleet/api'
import { useEffect, useReducer } from 'react'
import { wsClient } from '../../clients.ts'
import { useConnectionState } from '../../hooks/useWebSocket.ts'

type BadgeClient = Pick<WebSocketClient, 'on' | 'getState' | 'reconnectNow'>

/** Whole seconds until `retryAt` (rounded up, never negative); null when no retry is scheduled. */
export function secondsLeft(retryAt: number | null, now: number): number | null {
  return retryAt === null ? null : Math.max(0, Math.ceil((retryAt - now) / 1000))
}

export function badgeLabel(s: ConnectionState, retryInS: number | null): string {
  switch (s.status) {
    case 'live':
      return 'Live'
    case 'connecting':
      return 'Connecting…'
    case 'reconnecting':
      return retryInS !== null && retryInS > 0 ? `Reconnecting in ${retryInS} s` : 'Reconnecting…'
    case 'signed-out':
      return 'Signed out'
    case 'ended':
      return `Ended: ${s.lastClose?.reason || 'closed by the server'}`
    case 'idle':
      return s.authRejected ? `Refused: ${s.lastClose?.reason || 'policy violation'}` : 'Offline'
  }
}

/** "Retry now" is offered while a retry is pending or a refused token waits for a new one. */
export function canRetryNow(s: ConnectionState): boolean {
  return s.status === 'reconnecting' || (s.status === 'idle' && s.authRejected)
}

/** Re-renders every `ms` while `active`, so a render that reads the clock stays current. */
function useTicker(active: boolean, ms: number): void {
  const [, tick] = useReducer((n: number) => n + 1, 0)
  useEffect(() => {
    if (!active) return
    const t = setInterval(tick, ms)
    return () => clearInterval(t)
  }, [active, ms])
}

export function RetryNowButton({ client }: { client: Pick<WebSocketClient, 'reconnectNow'> }) {
  return (
    <button type="button" className="retry-now" data-testid="retry-now" onClick={() => client.reconnectNow()}>
      Retry now
    </button>
  )
}

/**
 * Connection badge: `data-status` is the client's status (idle, connecting, live, reconnecting, signed-out).
 * The countdown is computed from the client's `retryAt` at every render (ticking 4 times a second), so it
 * shows the real time left. The badge itself is not a live region: a polite one beside it holds only the
 * spoken status ("Connection: Reconnecting…"), whose text changes with the state and never with the seconds,
 * so screen readers announce each change once and never the countdown.
 */
export function ConnectionBadge({ client = wsClient }: { client?: BadgeClient }) {
  const s = useConnectionState(client)
  useTicker(s.retryAt !== null, 250)
  const label = badgeLabel(s, secondsLeft(s.retryAt, Date.now()))
  const title = s.lastClose ? `Last close: ${s.lastClose.code} ${s.lastClose.reason}`.trim() : undefined
  return (
    <span className="connection">
      <span
        className={`badge badge-${s.status}${s.authRejected ? ' badge-rejected' : ''}`}
        data-testid="connection-badge"
        data-status={s.status}
        data-close-code={s.lastClose?.code ?? ''}
        title={title}
      >
        <span className="badge-dot" aria-hidden="true" />
        <span className="badge-label">{label}</span>
      </span>
      <span className="visually-hidden" role="status" data-testid="connection-announcer">
        {spokenStatus(s)}
      </span>
      {canRetryNow(s) && <RetryNowButton client={client} />}
    </span>
  )
}

/** What the live region says: the state without the countdown, so it changes only when the state does. */
export function spokenStatus(s: ConnectionState): string {
  return `Connection: ${badgeLabel(s, null)}`
}
