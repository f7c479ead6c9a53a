import type { FleetStore } from '../live/fleetStore.ts'
import type { MapView } from '../live/mapView.ts'

export interface ReplayPanelProps {
  deviceId: string
  store: FleetStore
  /** The live map; replay draws its own layers on `view.map` and removes them on close. */
  view: MapView
  onClose: () => void
}

/** History replay of one vehicle over a time range. */
export function ReplayPanel({ deviceId, store, onClose }: ReplayPanelProps) {
  const name = store.vehicles.get(deviceId)?.name ?? deviceId
  return (
    <section className="replay-panel" aria-label={`Replay of ${name}`} data-testid="replay-panel">
      <h2>Replay: {name}</h2>
      <button type="button" onClick={onClose}>
        Close replay
      </button>
    </section>
  )
}
