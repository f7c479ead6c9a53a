import type { ConnectionState } from '@fleet/api'
import { useEffect, useState } from 'react'
import { useConnectionState } from '../../hooks/useWebSocket.ts'

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
    case 'idle':
      return s.authRejected ? `Refused: ${s.lastClose?.reason || 'policy violation'}` : 'Offline'
  }
}

/** Connection badge: `data-status` is the client's status (idle, connecting, live, reconnecting, signed-out). */
export function ConnectionBadge() {
  const s = useConnectionState()
  const [now, setNow] = useState(() => Date.now())
  const [since, setSince] = useState(() => Date.now())
  useEffect(() => setSince(Date.now()), [s])
  useEffect(() => {
    if (s.status !== 'reconnecting' || s.retryInMs === null) return
    const t = setInterval(() => setNow(Date.now()), 500)
    return () => clearInterval(t)
  }, [s])
  const retryInS = s.retryInMs === null ? null : Math.max(0, Math.ceil((since + s.retryInMs - now) / 1000))
  const title = s.lastClose ? `Last close: ${s.lastClose.code} ${s.lastClose.reason}`.trim() : undefined
  return (
    <span
      className={`badge badge-${s.status}${s.authRejected ? ' badge-rejected' : ''}`}
      data-testid="connection-badge"
      data-status={s.status}
      data-close-code={s.lastClose?.code ?? ''}
      title={title}
      role="status"
    >
      <span className="badge-dot" aria-hidden="true" />
      {badgeLabel(s, retryInS)}
    </span>
  )
}
