import { useCallback, useEffect, useRef, useState } from 'react'
import { isApiError } from '@fleet/api'
import { httpClient } from '../../clients.ts'
import { config } from '../../config.ts'
import { useAuth } from '../auth/AuthContext.tsx'
import { DeviceList } from './DeviceList.tsx'
import { LiveMap } from './LiveMap.tsx'
import type { MapView } from './mapView.ts'
import { fleetStore } from './store.ts'
import { loadTrail } from './trail.ts'

/** Live Tracking: the map with one moving marker per vehicle, and the vehicle list. */
export function LiveTrackingPage() {
  const { state } = useAuth()
  const [selected, setSelected] = useState<string | null>(null)
  const [trailError, setTrailError] = useState<string | null>(null)
  const view = useRef<MapView | null>(null)

  // A different organization: nothing of the old one stays selected.
  useEffect(() => setSelected(null), [state.orgId])

  useEffect(() => {
    view.current?.setSelected(selected)
    setTrailError(null)
    if (!selected) return
    const ctrl = new AbortController()
    loadTrail(httpClient, selected, { signal: ctrl.signal }).then(
      (points) => view.current?.setTrail(selected, points),
      (err: unknown) => {
        if (ctrl.signal.aborted) return
        setTrailError(isApiError(err) ? err.message : String(err))
      },
    )
    return () => ctrl.abort()
  }, [selected])

  const onSelect = useCallback((id: string) => {
    setSelected((cur) => (cur === id ? null : id))
  }, [])
  const onListSelect = useCallback((id: string) => {
    setSelected((cur) => (cur === id ? null : id))
    view.current?.focus(id)
  }, [])
  const onView = useCallback((v: MapView | null) => {
    view.current = v
  }, [])

  return (
    <div className="live-page">
      <LiveMap store={fleetStore} onSelect={onSelect} onView={onView} />
      <aside className="sidebar">
        <DeviceList store={fleetStore} selectedId={selected} onSelect={onListSelect} staleAfterMs={config.staleAfterMs} />
        {trailError && (
          <p className="error" role="alert">
            Trail unavailable: {trailError}
          </p>
        )}
      </aside>
    </div>
  )
}
