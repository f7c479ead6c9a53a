import { useCallback, useEffect, useRef, useState } from 'react'
import { useConnectionState } from '../../hooks/useWebSocket.ts'
import { formatDateTime, relativeTime } from '../live/format.ts'
import { resolveTimeZone } from '../live/settings.ts'
import { STATUS_LABEL, vehicleStatus } from '../live/status.ts'
import { useThrottledStore } from '../live/useThrottledStore.ts'
import { LiveMap } from '../map/LiveMap.tsx'
import type { MapView } from '../map/mapView.ts'
import type { ShareSession } from './shareSession.ts'
import { isFinal, shareMessage, shareStatus } from './shareStatus.ts'
import './SharePage.css'

/**
 * `/share/<token>`: the shared vehicles live on a map and in a small list, with the share's expiry, for a
 * viewer who has no account. When the share expires or is revoked (or the link is refused) the page says
 * so plainly and stops; the vehicles stay where they were last seen.
 */
export function SharePage({ session }: { session: ShareSession }) {
  const { client, store } = session
  const state = useConnectionState(client)
  const status = shareStatus(state, session.tokenValid)
  const final = isFinal(status)
  const [selected, setSelected] = useState<string | null>(null)
  const view = useRef<MapView | null>(null)
  const [expS, setExpS] = useState<number | null>(null)

  useEffect(() => client.on('hello', (h) => setExpS(h.token_exp)), [client])
  useEffect(() => session.start(), [session])
  useEffect(() => view.current?.setSelected(selected), [selected])

  const onSelect = useCallback((id: string) => setSelected((cur) => (cur === id ? null : id)), [])
  const onListSelect = useCallback((id: string) => {
    setSelected((cur) => (cur === id ? null : id))
    view.current?.focus(id)
  }, [])
  const onView = useCallback((v: MapView | null) => {
    view.current = v
  }, [])
  const noFollow = useCallback(() => {}, [])

  return (
    <div className="app share-app">
      <header className="topbar">
        <h1 className="title">
          Fleet Live <span className="subtitle">Shared vehicles</span>
        </h1>
        {expS !== null && !final && (
          <span className="share-expiry" data-testid="share-expiry">
            Shared until {formatDateTime(expS * 1000, resolveTimeZone('browser'))}
          </span>
        )}
      </header>
      <main className="content share-content" id="main">
        <p
          className={`share-status share-${status.kind}`}
          role={final ? 'alert' : 'status'}
          data-testid="share-status"
          data-kind={status.kind}
        >
          {shareMessage(status)}
        </p>
        <div className="share-page">
          <section className="share-map" aria-label="Map">
            <LiveMap store={store} onSelect={onSelect} onView={onView} followed={null} onFollowEnd={noFollow} />
          </section>
          <ShareList session={session} selected={selected} onSelect={onListSelect} />
        </div>
      </main>
    </div>
  )
}

/** The shared vehicles: name, status and last seen; a press shows the vehicle on the map. */
function ShareList({ session, selected, onSelect }: { session: ShareSession; selected: string | null; onSelect: (id: string) => void }) {
  const now = useThrottledStore(session.store)
  const vehicles = session.store.list()
  return (
    <section className="share-list" aria-labelledby="share-list-title">
      <h2 id="share-list-title" data-testid="device-count">
        {vehicles.length === 1 ? '1 vehicle' : `${vehicles.length} vehicles`}
      </h2>
      <ul>
        {vehicles.map((v) => {
          const status = vehicleStatus(v, now)
          return (
            <li key={v.id}>
              <button
                type="button"
                className={`share-row${v.id === selected ? ' selected' : ''}`}
                aria-pressed={v.id === selected}
                data-testid="device-row"
                data-device-id={v.id}
                data-status={status}
                onClick={() => onSelect(v.id)}
              >
                <span className="share-row-name">{v.name}</span>
                <span className="share-row-meta">
                  {STATUS_LABEL[status]} · {v.lat === null ? 'no position' : relativeTime(v.updatedAt, now)}
                </span>
              </button>
            </li>
          )
        })}
      </ul>
    </section>
  )
}
