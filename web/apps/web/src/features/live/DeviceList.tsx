import { useLayoutEffect, useRef, useState } from 'react'
import { filterVehicles, NO_FILTER, type VehicleFilter } from './filter.ts'
import type { FleetStore, Vehicle } from './fleetStore.ts'
import { formatSpeed, relativeTime } from './format.ts'
import type { SpeedUnit } from './settings.ts'
import { StatusCounts } from './StatusCounts.tsx'
import { STATUS_LABEL, type VehicleStatus } from './status.ts'
import { useSettings } from './useSettings.ts'
import { useThrottledStore } from './useThrottledStore.ts'
import { VehicleFilters } from './VehicleFilters.tsx'
import './statusTag.css'

const ROW_HEIGHT = 52
const OVERSCAN = 6

export interface DeviceListProps {
  store: FleetStore
  selectedId: string | null
  onSelect: (id: string) => void
}

/**
 * Vehicle list: natural name order, filtered by search text, status and attributes, with status counts.
 * Virtualised (only visible rows are in the DOM) and throttled (at most 4 renders a second); each render
 * computes every vehicle's status and the filter in one pass, so 5,000 vehicles cost one loop per render.
 */
export function DeviceList({ store, selectedId, onSelect }: DeviceListProps) {
  const now = useThrottledStore(store)
  const { speedUnit } = useSettings()
  const [filter, setFilter] = useState<VehicleFilter>(NO_FILTER)
  const scroller = useRef<HTMLDivElement>(null)
  const section = useRef<HTMLElement>(null)
  const [scrollTop, setScrollTop] = useState(0)
  const [viewport, setViewport] = useState(600)

  useLayoutEffect(() => {
    const el = scroller.current
    if (!el) return
    setViewport(el.clientHeight)
    const ro = new ResizeObserver(() => setViewport(el.clientHeight))
    ro.observe(el)
    return () => ro.disconnect()
  }, [])

  const all = store.list()
  const { shown, statusOf, counts, active, invalidAttrs } = filterVehicles(all, filter, now)
  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN)
  const last = Math.min(shown.length, Math.ceil((scrollTop + viewport) / ROW_HEIGHT) + OVERSCAN)

  return (
    <section className="device-list" aria-label="Vehicles" ref={section}>
      <VehicleFilters filter={filter} onChange={setFilter} invalidAttrs={invalidAttrs} />
      <StatusCounts counts={counts} active={filter.status} onSelect={(status) => setFilter({ ...filter, status })} />
      <header className="device-list-header">
        <span data-testid="device-count">
          {active ? `${shown.length} of ${all.length} vehicles` : `${all.length} vehicles`}
          {counts.outside > 0 && `, ${counts.outside} outside the map view`}
        </span>
        {active && (
          <button
            type="button"
            className="link-button"
            onClick={() => {
              setFilter(NO_FILTER)
              // The button goes away with the filter: keep keyboard focus in the list's controls.
              section.current?.querySelector<HTMLInputElement>('input[type="search"]')?.focus()
            }}
          >
            Clear filters
          </button>
        )}
      </header>
      <div className="device-list-scroll" ref={scroller} onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}>
        {all.length === 0 && <p className="empty">No vehicles yet.</p>}
        {all.length > 0 && shown.length === 0 && <p className="empty">No vehicle matches.</p>}
        <div style={{ height: shown.length * ROW_HEIGHT, position: 'relative' }}>
          {shown.slice(first, last).map((v, i) => (
            <Row
              key={v.id}
              v={v}
              top={(first + i) * ROW_HEIGHT}
              now={now}
              status={statusOf[first + i]!}
              speedUnit={speedUnit}
              selected={v.id === selectedId}
              onSelect={onSelect}
            />
          ))}
        </div>
      </div>
    </section>
  )
}

interface RowProps {
  v: Vehicle
  top: number
  now: number
  status: VehicleStatus
  speedUnit: SpeedUnit
  selected: boolean
  onSelect: (id: string) => void
}

function Row({ v, top, now, status, speedUnit, selected, onSelect }: RowProps) {
  const stale = status === 'stale' || status === 'offline'
  const outside = status === 'outside'
  return (
    <button
      type="button"
      className={`device-row${selected ? ' selected' : ''}${stale ? ' stale' : ''}${outside ? ' outside' : ''}`}
      style={{ top, height: ROW_HEIGHT }}
      data-testid="device-row"
      data-device-id={v.id}
      data-stale={stale ? 'true' : 'false'}
      data-status={status}
      data-in-view={outside ? 'false' : 'true'}
      aria-pressed={selected}
      onClick={() => onSelect(v.id)}
    >
      <span className="device-name" title={v.id}>
        {v.name}
      </span>
      <span className="device-meta">
        <span className="device-speed">{formatSpeed(v.speedKph, speedUnit)}</span>
        <span className="device-seen">{v.lat === null ? 'no position' : relativeTime(v.updatedAt, now)}</span>
        {status !== 'moving' && <span className={`status-tag status-${status}`}>{STATUS_LABEL[status]}</span>}
      </span>
    </button>
  )
}
