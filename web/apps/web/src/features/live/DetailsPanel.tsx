import type { FleetStore } from './fleetStore.ts'

export interface DetailsPanelProps {
  store: FleetStore
  /** The selected vehicle, or null (the panel renders nothing). */
  vehicleId: string | null
  /** The map keeps this vehicle centred. */
  followed: boolean
  onFollowChange: (follow: boolean) => void
  /** Opens history replay for this vehicle. */
  onReplay: () => void
  onClose: () => void
}

/** Details of the selected vehicle. */
export function DetailsPanel({ store, vehicleId, followed, onFollowChange, onReplay, onClose }: DetailsPanelProps) {
  const v = vehicleId ? store.vehicles.get(vehicleId) : undefined
  if (!v) return null
  return (
    <section className="details-panel" aria-label={`Details of ${v.name}`} data-testid="details-panel">
      <h2>{v.name}</h2>
      <button type="button" aria-pressed={followed} onClick={() => onFollowChange(!followed)}>
        Follow
      </button>
      <button type="button" onClick={onReplay}>
        Replay
      </button>
      <button type="button" onClick={onClose}>
        Close
      </button>
    </section>
  )
}
