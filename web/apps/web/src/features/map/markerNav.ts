/**
 * Keyboard navigation over what the map draws (vehicles and clusters), as pure functions: the map's
 * keyboard layer (mapKeyboard.ts) asks them which item an arrow key moves to and what to announce.
 */
import { formatSpeed } from '../live/format.ts'
import type { VehicleStatus } from '../live/status.ts'

/** Something drawn on the map that keyboard focus can rest on; container px. */
export interface NavItem {
  /** `v:<device id>` for a vehicle, `c:<cell>` for a cluster. */
  key: string
  x: number
  y: number
}

export type NavDirection = 'left' | 'right' | 'up' | 'down'

const DIRECTIONS: Record<NavDirection, readonly [number, number]> = {
  left: [-1, 0],
  right: [1, 0],
  up: [0, -1],
  down: [0, 1],
}

// How much a step sideways counts against a candidate, relative to a step in the key's direction: an item
// roughly in line wins over a nearer one far off to the side.
const SIDEWAYS_WEIGHT = 2

/** Maps a KeyboardEvent.key to a direction (null for other keys). */
export function directionOf(key: string): NavDirection | null {
  switch (key) {
    case 'ArrowLeft':
      return 'left'
    case 'ArrowRight':
      return 'right'
    case 'ArrowUp':
      return 'up'
    case 'ArrowDown':
      return 'down'
    default:
      return null
  }
}

/** The item nearest a point (the map's centre when focus enters the map); null when there are none. */
export function nearestItem(items: readonly NavItem[], x: number, y: number): NavItem | null {
  let best: NavItem | null = null
  let bestD2 = Infinity
  for (const it of items) {
    const d2 = (it.x - x) ** 2 + (it.y - y) ** 2
    if (d2 < bestD2) {
      best = it
      bestD2 = d2
    }
  }
  return best
}

/**
 * The item an arrow key moves to from `from`: the nearest one on that side (sideways distance counting
 * double), or null when nothing lies that way (focus stays).
 */
export function nextItem(items: readonly NavItem[], from: NavItem, dir: NavDirection): NavItem | null {
  const [dx, dy] = DIRECTIONS[dir]
  let best: NavItem | null = null
  let bestScore = Infinity
  for (const it of items) {
    if (it.key === from.key) continue
    const ox = it.x - from.x
    const oy = it.y - from.y
    const along = ox * dx + oy * dy
    const sideways = Math.abs(ox * dy - oy * dx)
    // Only what lies on the key's side of the current item.
    if (along <= 0) continue
    const score = along + SIDEWAYS_WEIGHT * sideways
    if (score < bestScore) {
      best = it
      bestScore = score
    }
  }
  return best
}

/** A vehicle's state in a few words: the list's status (status.ts). */
export type VehicleState = VehicleStatus

/** The accessible name of a vehicle on the map: "van-7, moving, 42 km/h". */
export function vehicleLabel(name: string, state: VehicleState, speedKph: number | null): string {
  return speedKph === null ? `${name}, ${state}` : `${name}, ${state}, ${formatSpeed(speedKph)}`
}

/** The accessible name of a cluster: "12 vehicles, press Enter to zoom in". */
export function clusterLabel(count: number): string {
  return `${count} vehicles, press Enter to zoom in`
}
