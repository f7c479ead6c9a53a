import { useEffect, useRef } from 'react'
import { config } from '../../config.ts'
import { registerMarkerCount } from '../../debug.ts'
import { FollowChip } from './FollowChip.tsx'
import type { FleetStore } from '../live/fleetStore.ts'
import { MapView } from './mapView.ts'

export interface LiveMapProps {
  store: FleetStore
  onSelect: (id: string) => void
  onView: (view: MapView | null) => void
  /** The vehicle the map follows (the page calls `MapView.setFollowed`), shown in a chip with Stop. */
  followed: string | null
  /** Following ended: Stop in the chip, a drag of the map, or the vehicle was removed. */
  onFollowEnd: () => void
}

/** Hosts the imperative MapView; renders once, and again only when the followed vehicle changes. */
export function LiveMap({ store, onSelect, onView, followed, onFollowEnd }: LiveMapProps) {
  const container = useRef<HTMLDivElement>(null)
  const select = useRef(onSelect)
  select.current = onSelect
  const viewCb = useRef(onView)
  viewCb.current = onView
  const followEnd = useRef(onFollowEnd)
  followEnd.current = onFollowEnd

  useEffect(() => {
    const view = new MapView(container.current!, store, {
      tileUrl: config.tileUrl,
      tileAttribution: config.tileAttribution,
      staleAfterMs: config.staleAfterMs,
      onSelect: (id) => select.current(id),
      onFollowEnd: () => followEnd.current(),
    })
    registerMarkerCount(() => view.markerCount)
    viewCb.current(view)
    return () => {
      viewCb.current(null)
      registerMarkerCount(null)
      view.destroy()
    }
  }, [store])

  const followedName = followed ? (store.vehicles.get(followed)?.name ?? followed) : null
  // The chip is positioned over the map by the map's region (the page's `.map-region`).
  return (
    <>
      <div className="live-map" ref={container} data-testid="live-map" />
      {followedName !== null && <FollowChip name={followedName} onStop={onFollowEnd} />}
    </>
  )
}
