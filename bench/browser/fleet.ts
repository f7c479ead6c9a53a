/**
 * A synthetic fleet as the page sees it: N vehicles within about 2.5 km of a centre (as `fleetctl simulate`
 * places them), each reporting once a second, delivered in batches every 50 ms (the app's stream: compact,
 * 50 ms flush), i.e. one twentieth of the fleet per batch.
 */
export interface SimVehicle {
  id: string
  lat: number
  lon: number
  heading: number
}

export const CENTRE = { lat: 48.8566, lon: 2.3522 }
const RADIUS_DEG = 0.022
const BATCH_MS = 50
const STEP_DEG = 0.0001 // about 10 m a second: 36 km/h

export function makeFleet(n: number): SimVehicle[] {
  const out: SimVehicle[] = []
  // A fixed pseudo-random spread (same for both renderers).
  let seed = 12345
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648)
  for (let i = 0; i < n; i++) {
    const r = RADIUS_DEG * Math.sqrt(rnd())
    const a = rnd() * 2 * Math.PI
    out.push({ id: `v${i}`, lat: CENTRE.lat + r * Math.sin(a), lon: CENTRE.lon + (r * Math.cos(a)) / Math.cos((CENTRE.lat * Math.PI) / 180), heading: Math.floor(rnd() * 360) })
  }
  return out
}

/** Moves 1/20 of the fleet every 50 ms (each vehicle once a second) and hands each batch to `apply`. */
export function drive(fleet: SimVehicle[], apply: (moved: SimVehicle[]) => void): void {
  const batches = 1000 / BATCH_MS
  let k = 0
  setInterval(() => {
    const moved: SimVehicle[] = []
    for (let i = k; i < fleet.length; i += batches) {
      const v = fleet[i]!
      v.heading = (v.heading + 7) % 360
      const h = (v.heading * Math.PI) / 180
      v.lat += STEP_DEG * Math.cos(h)
      v.lon += STEP_DEG * Math.sin(h)
      moved.push(v)
    }
    k = (k + 1) % batches
    apply(moved)
  }, BATCH_MS)
}
