import type { FleetStore } from './fleetStore.ts'
import { formatCoordinates, formatDateTime, formatHeading, formatMeters, formatPercent, formatSpeed, relativeTime } from './format.ts'
import { resolveTimeZone } from './settings.ts'
import { STATUS_HELP, STATUS_LABEL, vehicleStatus } from './status.ts'
import { useSettings } from './useSettings.ts'
import { useThrottledStore } from './useThrottledStore.ts'
import './DetailsPanel.css'
import './statusTag.css'

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

/**
 * Details of the selected vehicle, updated live (throttled like the list) in the viewer's units and time
 * zone. Every value has a `data-testid="details-…"` for tests.
 */
export function DetailsPanel({ store, vehicleId, followed, onFollowChange, onReplay, onClose }: DetailsPanelProps) {
  const now = useThrottledStore(store)
  const { speedUnit, timeZone } = useSettings()
  const v = vehicleId ? store.vehicles.get(vehicleId) : undefined
  if (!v) return null
  const status = vehicleStatus(v, now)
  const attrs = v.attrs ? Object.entries(v.attrs) : []
  return (
    <section className="details-panel" aria-label={`Details of ${v.name}`} data-testid="details-panel">
      <div className="details-head">
        <h2 data-testid="details-name">{v.name}</h2>
        <span className={`status-tag status-${status}`} title={STATUS_HELP[status]} data-testid="details-status">
          {STATUS_LABEL[status]}
        </span>
      </div>
      <dl className="details-fields">
        <Field label="Id" testId="details-id" value={v.id} />
        <Field label="Speed" testId="details-speed" value={formatSpeed(v.speedKph, speedUnit)} />
        <Field label="Heading" testId="details-heading" value={formatHeading(v.headingDeg)} />
        <Field label="Battery" testId="details-battery" value={formatPercent(v.batteryPct)} />
        <Field
          label="Position"
          testId="details-coords"
          value={v.lat === null || v.lon === null ? 'no position' : formatCoordinates(v.lat, v.lon)}
        />
        {v.altitudeM !== null && <Field label="Altitude" testId="details-altitude" value={formatMeters(v.altitudeM)} />}
        {v.accuracyM !== null && <Field label="Accuracy" testId="details-accuracy" value={`± ${formatMeters(v.accuracyM)}`} />}
        <div className="details-field">
          <dt>Last seen</dt>
          {/* The device's time of its last point, and how long ago the page received it (what status uses). */}
          <dd>
            <span data-testid="details-time">{v.ts === null ? 'never' : formatDateTime(v.ts, resolveTimeZone(timeZone))}</span>
            <span className="details-seen" data-testid="details-seen">
              {relativeTime(v.updatedAt, now)}
            </span>
          </dd>
        </div>
      </dl>
      {status === 'outside' && (
        <p className="details-note" data-testid="details-outside">
          Outside the map view: shown where it was last seen; it updates again once the map shows it.
        </p>
      )}
      {attrs.length > 0 && (
        <>
          <h3 className="details-subhead">Attributes</h3>
          <dl className="details-fields" data-testid="details-attrs">
            {attrs.map(([k, value]) => (
              <Field key={k} label={k} testId={`details-attr-${k}`} value={String(value)} />
            ))}
          </dl>
        </>
      )}
      <div className="details-actions">
        <button type="button" aria-pressed={followed} data-testid="details-follow" onClick={() => onFollowChange(!followed)}>
          Follow
        </button>
        <button type="button" data-testid="details-replay" onClick={onReplay}>
          Replay
        </button>
        <button type="button" aria-label={`Close details of ${v.name}`} data-testid="details-close" onClick={onClose}>
          Close
        </button>
      </div>
    </section>
  )
}

function Field({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <div className="details-field">
      <dt>{label}</dt>
      <dd data-testid={testId}>{value}</dd>
    </div>
  )
}
