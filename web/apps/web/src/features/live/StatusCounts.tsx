import { STATUSES, STATUS_HELP, STATUS_LABEL, type StatusCounts as Counts, type VehicleStatus } from './status.ts'
import './StatusCounts.css'

export interface StatusCountsProps {
  counts: Counts
  /** The status the list is filtered to (its button is pressed), or null. */
  active: VehicleStatus | null
  /** Pressing the active status again clears the filter (null). */
  onSelect: (status: VehicleStatus | null) => void
}

/**
 * How many vehicles are moving, idle, stale and offline; each count is a button that filters the list.
 * In a scoped stream (some vehicles outside the map view) the four count the vehicles in the map view, and
 * a fifth counts those outside it.
 */
export function StatusCounts({ counts, active, onSelect }: StatusCountsProps) {
  const scoped = counts.outside > 0 || active === 'outside'
  const shown: readonly VehicleStatus[] = scoped ? [...STATUSES, 'outside'] : STATUSES
  return (
    <div className="status-counts">
      <div
        className="status-count-buttons"
        role="group"
        aria-label={scoped ? 'Filter by status (counts of the vehicles in the map view, and outside it)' : 'Filter by status'}
      >
        {shown.map((s) => (
          <button
            key={s}
            type="button"
            className={`status-count status-${s}`}
            aria-pressed={active === s}
            title={STATUS_HELP[s]}
            data-testid={`status-count-${s}`}
            onClick={() => onSelect(active === s ? null : s)}
          >
            <span className="status-count-n">{counts[s]}</span> {s === 'outside' ? 'outside the view' : STATUS_LABEL[s]}
          </button>
        ))}
      </div>
      <details className="status-help">
        <summary>What do these mean?</summary>
        <ul>
          {shown.map((s) => (
            <li key={s}>{STATUS_HELP[s]}</li>
          ))}
        </ul>
      </details>
    </div>
  )
}
