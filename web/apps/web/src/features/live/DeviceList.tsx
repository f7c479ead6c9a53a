import { useEffect, useLayoutEffect, useRef, useState } from 'react'
import type { FleetStore, Vehicle } from './fleetStore.ts'
import { formatSpeed, relativeTime } from './format.ts'

const ROW_HEIGHT = 52
const OVERSCAN = 6
/** Re-render at most this often on data changes (plus once a second for "last seen"). */
const MIN_RENDER_INTERVAL_MS = 250

export interface DeviceListProps {
  store: FleetStore
  selectedId: string | null
  onSelect: (id: string) => void
  staleAfterMs: number
}

/** Re-renders when the store changes, throttled, and once a second. Returns the current time. */
function useThrottledStore(store: FleetStore): number {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    let last = 0
    let timer: ReturnType<typeof setTimeout> | undefined
    const schedule = () => {
      if (timer !== undefined) return
      const wait = Math.max(0, MIN_RENDER_INTERVAL_MS - (performance.now() - last))
      timer = setTimeout(() => {
        timer = undefined
        last = performance.now()
        setNow(Date.now())
      }, wait)
    }
    const off = store.subscribe(schedule)
    const tick = setInterval(schedule, 1000)
    return () => {
      off()
      clearInterval(tick)
      if (timer !== undefined) clearTimeout(timer)
    }
  }, [store])
  return now
}

/**
 * Vehicle list: virtualised (only visible rows are in the DOM) and throttled (a few renders per second),
 * so 500 vehicles updating twice a second never re-render the whole list per message.
 */
export function DeviceList({ store, selectedId, onSelect, staleAfterMs }: DeviceListProps) {
  const now = useThrottledStore(store)
  const scroller = useRef<HTMLDivElement>(null)
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

  const vehicles = store.list()
  let stale = 0
  for (const v of vehicles) if (store.isStale(v, staleAfterMs, now)) stale++
  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN)
  const last = Math.min(vehicles.length, Math.ceil((scrollTop + viewport) / ROW_HEIGHT) + OVERSCAN)

  return (
    <section className="device-list" aria-label="Vehicles">
      <header className="device-list-header">
        <span data-testid="device-count">{vehicles.length} vehicles</span>
        {stale > 0 && <span className="stale-count">{stale} stale</span>}
      </header>
      <div className="device-list-scroll" ref={scroller} onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}>
        {vehicles.length === 0 && <p className="empty">No vehicles yet.</p>}
        <div style={{ height: vehicles.length * ROW_HEIGHT, position: 'relative' }}>
          {vehicles.slice(first, last).map((v, i) => (
            <Row
              key={v.id}
              v={v}
              top={(first + i) * ROW_HEIGHT}
              now={now}
              stale={store.isStale(v, staleAfterMs, now)}
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
  stale: boolean
  selected: boolean
  onSelect: (id: string) => void
}

function Row({ v, top, now, stale, selected, onSelect }: RowProps) {
  return (
    <button
      type="button"
      className={`device-row${selected ? ' selected' : ''}${stale ? ' stale' : ''}`}
      style={{ top, height: ROW_HEIGHT }}
      data-testid="device-row"
      data-device-id={v.id}
      data-stale={stale ? 'true' : 'false'}
      aria-pressed={selected}
      onClick={() => onSelect(v.id)}
    >
      <span className="device-name" title={v.id}>
        {v.name}
      </span>
      <span className="device-meta">
        <span className="device-speed">{formatSpeed(v.speedKph)}</span>
        <span className="device-seen">{v.lat === null ? 'no position' : relativeTime(v.updatedAt, now)}</span>
        {stale && <span className="stale-tag">stale</span>}
      </span>
    </button>
  )
}
