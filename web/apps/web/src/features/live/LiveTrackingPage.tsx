import { useCallback, useEffect, useRef, useState } from 'react'
import { flushSync } from 'react-dom'
import { isApiError } from '@fleet/api'
import { httpClient, wsClient } from '../../clients.ts'
import { useAuth } from '../auth/AuthContext.tsx'
import { ReplayPanel } from '../replay/ReplayPanel.tsx'
import { SKIP_TARGETS, onRevealRequest } from '../shell/reveal.ts'
import { DetailsPanel } from './DetailsPanel.tsx'
import { DeviceList } from './DeviceList.tsx'
import { LiveMap } from '../map/LiveMap.tsx'
import { PhoneViewSwitch, type PhoneView } from './PhoneViewSwitch.tsx'
import type { MapView } from '../map/mapView.ts'
import { fleetStore } from './store.ts'
import { settingsStore } from './settings.ts'
import { loadTrail } from './trail.ts'
import { ViewportSync, scopesToView } from './viewportView.ts'

/** Live Tracking: the map with one moving marker per vehicle, and the vehicle list. */
export function LiveTrackingPage() {
  const { state } = useAuth()
  const [selected, setSelected] = useState<string | null>(null)
  const [followed, setFollowed] = useState<string | null>(null)
  const [replayDevice, setReplayDevice] = useState<string | null>(null)
  const [trailError, setTrailError] = useState<string | null>(null)
  const view = useRef<MapView | null>(null)
  const [mapView, setMapView] = useState<MapView | null>(null)
  const [phoneView, setPhoneView] = useState<PhoneView>('map')

  // A skip link asks for the list or the map: show it before the link moves focus there.
  useEffect(() => onRevealRequest((target) => flushSync(() => setPhoneView(target))), [])

  // A different organization: nothing of the old one stays selected, followed or replayed.
  useEffect(() => {
    setSelected(null)
    setFollowed(null)
    setReplayDevice(null)
  }, [state.orgId])

  useEffect(() => view.current?.setFollowed(followed), [followed])

  // The stream follows the map: its viewport (debounced) plus the followed and selected vehicles, when the
  // setting (or, on automatic, the fleet's size) scopes it; else the whole fleet.
  const viewport = useRef<ViewportSync | null>(null)
  useEffect(() => {
    if (!mapView) return
    const sync = new ViewportSync(mapView.map, wsClient, {
      scoped: () => scopesToView(settingsStore.get().stream, fleetStore.vehicles.size),
    })
    viewport.current = sync
    const offStore = fleetStore.subscribe(() => sync.checkScope())
    const offSettings = settingsStore.subscribe(sync.schedule)
    return () => {
      offStore()
      offSettings()
      sync.destroy()
      viewport.current = null
    }
  }, [mapView])
  useEffect(() => viewport.current?.setKept([followed, selected]), [followed, selected, mapView])

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
  const onFollowEnd = useCallback(() => setFollowed(null), [])
  const onView = useCallback((v: MapView | null) => {
    view.current = v
    setMapView(v)
  }, [])

  return (
    <div className="live-page" data-phone-view={phoneView} data-has-selection={selected !== null}>
      <PhoneViewSwitch view={phoneView} onChange={setPhoneView} />
      <section className="map-region" id={SKIP_TARGETS.map} aria-label="Map" tabIndex={-1}>
        <LiveMap store={fleetStore} onSelect={onSelect} onView={onView} followed={followed} onFollowEnd={onFollowEnd} />
        {replayDevice && mapView && (
          <ReplayPanel deviceId={replayDevice} store={fleetStore} view={mapView} onClose={() => setReplayDevice(null)} />
        )}
      </section>
      {/* Phone: the list part shows in "List" only; the details part shows in both, as a card over the map. */}
      <aside className="sidebar" aria-label="Vehicles and details">
        <div className="sidebar-list" id={SKIP_TARGETS.list} tabIndex={-1}>
          <DeviceList store={fleetStore} selectedId={selected} onSelect={onListSelect} />
        </div>
        <div className="sidebar-details">
          <DetailsPanel
            store={fleetStore}
            vehicleId={selected}
            followed={selected !== null && followed === selected}
            onFollowChange={(follow) => setFollowed(follow ? selected : null)}
            onReplay={() => {
              // Following would pan the map away from the replayed track every second.
              setFollowed(null)
              setReplayDevice(selected)
            }}
            onClose={() => setSelected(null)}
          />
          {trailError && (
            <p className="error" role="alert">
              Trail unavailable: {trailError}
            </p>
          )}
        </div>
      </aside>
    </div>
  )
}
