import { useEffect, useState } from 'react'
import type { FleetStore } from './fleetStore.ts'

/** Re-render at most this often on data changes (plus once a second, so relative times and statuses age). */
export const MIN_RENDER_INTERVAL_MS = 250

/**
 * Re-renders the caller when the store changes, at most every 250 ms, and once a second; returns the time
 * of the render. 5,000 vehicles reporting every second therefore cost 4 renders a second, not 5,000.
 */
export function useThrottledStore(store: FleetStore): number {
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
