import { useEffect, useRef } from 'react'
import { config } from '../../config.ts'
import { registerMarkerCount } from '../../debug.ts'
import type { FleetStore } from './fleetStore.ts'
import { MapView } from './mapView.ts'

export interface LiveMapProps {
  store: FleetStore
  onSelect: (id: string) => void
  onView: (view: MapView | null) => void
}

/** Hosts the imperative MapView; renders once. */
export function LiveMap({ store, onSelect, onView }: LiveMapProps) {
  const container = useRef<HTMLDivElement>(null)
  const select = useRef(onSelect)
  select.current = onSelect
  const viewCb = useRef(onView)
  viewCb.current = onView

  useEffect(() => {
    const view = new MapView(container.current!, store, {
      tileUrl: config.tileUrl,
      tileAttribution: config.tileAttribution,
      staleAfterMs: config.staleAfterMs,
      onSelect: (id) => select.current(id),
    })
    registerMarkerCount(() => view.markerCount)
    viewCb.current(view)
    return () => {
      viewCb.current(null)
      registerMarkerCount(null)
      view.destroy()
    }
  }, [store])

  return <div className="live-map" ref={container} data-testid="live-map" />
}
