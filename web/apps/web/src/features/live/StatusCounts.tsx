import { STATUSES, STATUS_HELP, type StatusCounts as Counts, type VehicleStatus } from './status.ts'
import './StatusCounts.css'

export interface StatusCountsProps {
  counts: Counts
  /** The status the list is filtered to (its button is pressed), or null. */
  active: VehicleStatus | null
  /** Pressing the active status again clears the filter (null). */
  onSelect: (status: VehicleStatus | null) => void
}

/** How many vehicles are moving, idle, stale and offline; each count is a button that filters the list. */
export function StatusCounts({ counts, active, onSelect }: StatusCountsProps) {
  return (
    <div className="status-counts">
      <div className="status-count-buttons" role="group" aria-label="Filter by status">
        {STATUSES.map((s) => (
          <button
            key={s}
            type="button"
            className={`status-count status-${s}`}
            aria-pressed={active === s}
            title={STATUS_HELP[s]}
            data-testid={`status-count-${s}`}
            onClick={() => onSelect(active === s ? null : s)}
          >
            <span className="status-count-n">{counts[s]}</span> {s}
          </button>
        ))}
      </div>
      <details className="status-help">
        <summary>What do these mean?</summary>
        <ul>
          {STATUSES.map((s) => (
            <li key={s}>{STATUS_HELP[s]}</li>
          ))}
        </ul>
      </details>
    </div>
  )
}
