import { useCallback, useEffect, useRef, useState } from 'react'
import { isApiError } from '@fleet/api'
import { httpClient } from '../../clients.ts'
import { config } from '../../config.ts'
import { useAuth } from '../auth/AuthContext.tsx'
import { ReplayPanel } from '../replay/ReplayPanel.tsx'
import { DetailsPanel } from './DetailsPanel.tsx'
import { DeviceList } from './DeviceList.tsx'
import { LiveMap } from './LiveMap.tsx'
import type { MapView } from './mapView.ts'
import { fleetStore } from './store.ts'
import { loadTrail } from './trail.ts'

/** Live Tracking: the map with one moving marker per vehicle, and the vehicle list. */
export function LiveTrackingPage() {
  const { state } = useAuth()
  const [selected, setSelected] = useState<string | null>(null)
  const [followed, setFollowed] = useState<string | null>(null)
  const [replayDevice, setReplayDevice] = useState<string | null>(null)
  const [trailError, setTrailError] = useState<string | null>(null)
  const view = useRef<MapView | null>(null)
  const [mapView, setMapView] = useState<MapView | null>(null)

  // A different organization: nothing of the old one stays selected, followed or replayed.
  useEffect(() => {
    setSelected(null)
    setFollowed(null)
    setReplayDevice(null)
  }, [state.orgId])

  useEffect(() => view.current?.setFollowed(followed), [followed])

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
    setMapView(v)
  }, [])

  return (
    <div className="live-page">
      <LiveMap store={fleetStore} onSelect={onSelect} onView={onView} />
      <aside className="sidebar">
        <DeviceList store={fleetStore} selectedId={selected} onSelect={onListSelect} staleAfterMs={config.staleAfterMs} />
        <DetailsPanel
          store={fleetStore}
          vehicleId={selected}
          followed={selected !== null && followed === selected}
          onFollowChange={(follow) => setFollowed(follow ? selected : null)}
          onReplay={() => setReplayDevice(selected)}
          onClose={() => setSelected(null)}
        />
        {trailError && (
          <p className="error" role="alert">
            Trail unavailable: {trailError}
          </p>
        )}
      </aside>
      {replayDevice && mapView && (
        <ReplayPanel deviceId={replayDevice} store={fleetStore} view={mapView} onClose={() => setReplayDevice(null)} />
      )}
    </div>
  )
}
