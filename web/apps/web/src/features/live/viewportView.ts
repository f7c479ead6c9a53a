import type { ViewBox, ViewSpec } from '@fleet/api'
import type { StreamScope } from './settings.ts'

/** "Automatic" scopes the stream to the map view when the fleet has more vehicles than this. */
export const AUTO_SCOPE_ABOVE = 1000

/** The wait after the last pan or zoom before the view goes out (fleetd allows 5 views a second). */
export const VIEW_DEBOUNCE_MS = 250

/** The map's visible area in degrees, as Leaflet's bounds give it (longitudes may pass ±180 on world copies). */
export interface Bounds {
  west: number
  south: number
  east: number
  north: number
}

/**
 * The boxes of a view covering `b`: latitudes clamped to ±90, longitudes brought into −180 … 180, and two
 * boxes when the area spans the antimeridian (one ending at 180, one starting at −180). An area 360° wide or
 * more is the whole world in one box.
 */
export function viewportBoxes(b: Bounds): ViewBox[] {
  const south = clamp(Math.min(b.south, b.north), -90, 90)
  const north = clamp(Math.max(b.south, b.north), -90, 90)
  const width = b.east - b.west
  if (!(width < 360)) return [[-180, south, 180, north]]
  const west = wrap(b.west)
  // Shifted by whole turns, so a viewport within ±180 keeps its exact numbers.
  const east = Math.max(west, b.east + (west - b.west))
  if (east <= 180) return [[west, south, east, north]]
  return [
    [west, south, 180, north],
    [-180, south, east - 360, north],
  ]
}

/** Whether the stream should be scoped to the map view, for the setting and the fleet's size. */
export function scopesToView(scope: StreamScope, vehicles: number): boolean {
  return scope === 'view' || (scope === 'auto' && vehicles > AUTO_SCOPE_ABOVE)
}

/** The view for a viewport and the vehicles always kept in it (followed, selected), without duplicates. */
export function viewportView(b: Bounds, keep: readonly (string | null)[]): ViewSpec {
  const devices = [...new Set(keep.filter((id): id is string => id !== null))]
  return devices.length > 0 ? { boxes: viewportBoxes(b), devices } : { boxes: viewportBoxes(b) }
}

/** What the sync needs of the map (Leaflet's `L.Map` fits): its bounds and its `moveend` event. */
export interface ViewportSource {
  getBounds(): { getWest(): number; getSouth(): number; getEast(): number; getNorth(): number }
  on(type: 'moveend', fn: () => void): unknown
  off(type: 'moveend', fn: () => void): unknown
}

export interface ViewTimers {
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

export interface ViewportSyncOptions {
  /** Whether the stream should be scoped now (the setting and the fleet's size); asked at each send. */
  scoped: () => boolean
  debounceMs?: number
  timers?: ViewTimers
}

/**
 * Keeps the live stream's view on the map's viewport: after the last pan or zoom (`moveend`), a change of
 * the followed or selected vehicle, or a change of scope, it waits `VIEW_DEBOUNCE_MS` and then sends the
 * viewport's boxes and those vehicles as the client's view, or no view at all ("whole fleet"). Only a view
 * that differs from the last one sent goes out; the client sends it again itself after a reconnect.
 */
export class ViewportSync {
  private timer: unknown = null
  private keep: (string | null)[] = []
  private last: string | null = null
  private readonly timers: ViewTimers
  private readonly debounceMs: number

  constructor(
    private readonly map: ViewportSource,
    private readonly client: { setView(spec: ViewSpec | null): void },
    private readonly opts: ViewportSyncOptions,
  ) {
    this.timers = opts.timers ?? {
      setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
      clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof globalThis.setTimeout>),
    }
    this.debounceMs = opts.debounceMs ?? VIEW_DEBOUNCE_MS
    map.on('moveend', this.schedule)
    this.schedule()
  }

  /** The vehicles kept in view wherever they are: the followed and the selected one. */
  setKept(ids: readonly (string | null)[]): void {
    this.keep = [...ids]
    this.schedule()
  }

  /** Something that decides the scope changed (the setting, the fleet's size): check it after the wait. */
  readonly schedule = (): void => {
    if (this.timer !== null) this.timers.clearTimeout(this.timer)
    this.timer = this.timers.setTimeout(() => {
      this.timer = null
      this.send()
    }, this.debounceMs)
  }

  /**
   * Called on every change of the fleet (many a second): schedules a send only when the scope it decides
   * differs from the one sent, and never postpones a send already waiting.
   */
  checkScope(): void {
    if (this.timer !== null) return
    const sentScoped = this.last !== null && this.last !== 'null'
    if (this.opts.scoped() !== sentScoped) this.schedule()
  }

  /** Stops listening and returns the stream to the whole fleet (the page is going away). */
  destroy(): void {
    this.map.off('moveend', this.schedule)
    if (this.timer !== null) this.timers.clearTimeout(this.timer)
    this.timer = null
    if (this.last !== null && this.last !== 'null') this.client.setView(null)
    this.last = null
  }

  private send(): void {
    let spec: ViewSpec | null = null
    if (this.opts.scoped()) {
      const b = this.map.getBounds()
      spec = viewportView({ west: b.getWest(), south: b.getSouth(), east: b.getEast(), north: b.getNorth() }, this.keep)
    }
    const key = JSON.stringify(spec)
    if (key === this.last) return
    // The first decision may be "whole fleet": that is what the stream already is, but it costs nothing.
    this.last = key
    this.client.setView(spec)
  }
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x))
}

/** A longitude in [−180, 180). */
function wrap(lon: number): number {
  if (lon >= -180 && lon < 180) return lon // exact: no arithmetic on the common case
  return ((((lon + 180) % 360) + 360) % 360) - 180
}
