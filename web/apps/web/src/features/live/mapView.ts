import L from 'leaflet'
import type { TelemetryEvent } from '@fleet/api'
import { addBasemap } from './basemap.ts'
import type { FleetStore, Vehicle } from './fleetStore.ts'
import { VehicleCanvas, type VehicleGlyph } from './vehicleCanvas.ts'

interface MarkerEntry extends VehicleGlyph {
  /** The vehicle's hidden DOM record (test hook: data-* attributes, classes `selected`, `stale`). */
  el: HTMLElement
  name: string
}

export interface MapViewOptions {
  tileUrl: string
  tileAttribution: string
  staleAfterMs: number
  onSelect: (id: string) => void
}

const TRAIL_MAX_POINTS = 5000

/**
 * The imperative map: once per animation frame, the changes the FleetStore accumulated since the previous
 * frame move the vehicles, which one canvas draws (VehicleCanvas; one DOM element per vehicle costs too much
 * at thousands of moving vehicles). React never renders vehicles.
 *
 * Each vehicle also has an element in a hidden (never rendered) container, carrying its state as the test
 * hooks `data-testid="vehicle-marker"`, `data-device-id`, `data-tenant`, `data-lat`, `data-lon`, `title`
 * and the classes `selected` and `stale` (web/README, "Test hooks").
 */
export class MapView {
  readonly map: L.Map
  private readonly markers = new Map<string, MarkerEntry>()
  private raf = 0
  private staleTimer: ReturnType<typeof setInterval> | undefined
  private destroyed = false
  private autoFit = true
  private fitDue = false
  private lastFit = 0
  private selected: string | null = null
  private followed: string | null = null
  private trail: L.Polyline | null = null
  private trailFor: string | null = null
  private readonly canvas: VehicleCanvas
  private readonly records: HTMLElement

  constructor(
    container: HTMLElement,
    private readonly store: FleetStore,
    private readonly opts: MapViewOptions,
  ) {
    this.map = L.map(container, {
      center: [48.8566, 2.3522],
      zoom: 4,
      worldCopyJump: true,
      zoomControl: true,
      attributionControl: true,
    })
    L.control.scale({ imperial: false }).addTo(this.map)
    this.canvas = new VehicleCanvas(this.map, this.markers, () => this.selected)
    this.records = document.createElement('div')
    this.records.hidden = true
    this.records.dataset.testid = 'vehicle-markers'
    container.appendChild(this.records)
    this.map.on('click', (e: L.LeafletMouseEvent) => {
      const id = this.canvas.hit(e.containerPoint)
      if (id) this.opts.onSelect(id)
    })
    // Stop auto-fitting once the user moves the map themselves.
    this.map.on('dragstart', () => (this.autoFit = false))
    this.map.getContainer().addEventListener('wheel', () => (this.autoFit = false), { passive: true })
    addBasemap(this.map, opts.tileUrl, opts.tileAttribution).catch((err: unknown) => {
      console.warn('[map] basemap unavailable', err)
    })
    // Markers for what the store already holds (e.g. after a remount).
    this.store.flush()
    for (const v of this.store.vehicles.values()) if (v.lat !== null) this.upsert(v)
    this.fitDue = this.markers.size > 0
    this.raf = requestAnimationFrame(this.frame)
    this.staleTimer = setInterval(() => this.refreshStale(), 1000)
  }

  get markerCount(): number {
    return this.markers.size
  }

  destroy(): void {
    this.destroyed = true
    cancelAnimationFrame(this.raf)
    clearInterval(this.staleTimer)
    this.markers.clear()
    this.canvas.destroy()
    this.records.remove()
    this.map.remove()
  }

  /** Highlights a vehicle and shows its trail (history points, oldest first). */
  setSelected(id: string | null): void {
    if (this.selected) this.markers.get(this.selected)?.el.classList.remove('selected')
    this.selected = id
    if (id) this.markers.get(id)?.el.classList.add('selected')
    this.canvas.invalidateNow()
    if (this.trailFor !== id) this.clearTrail()
  }

  setTrail(id: string, points: readonly TelemetryEvent[]): void {
    if (this.selected !== id) return
    this.clearTrail()
    const latlngs = points.slice(-TRAIL_MAX_POINTS).map((p) => L.latLng(p.lat, p.lon))
    const v = this.store.vehicles.get(id)
    if (v && v.lat !== null && v.lon !== null) {
      const last = latlngs[latlngs.length - 1]
      if (!last || last.lat !== v.lat || last.lng !== v.lon) latlngs.push(L.latLng(v.lat, v.lon))
    }
    this.trail = L.polyline(latlngs, { color: '#d9480f', weight: 3, opacity: 0.8, interactive: false }).addTo(this.map)
    this.trail.getElement()?.setAttribute('data-testid', 'trail')
    this.trailFor = id
  }

  /** Keeps a vehicle centred as it moves (null: stop following). */
  setFollowed(id: string | null): void {
    this.followed = id
    if (id) {
      this.autoFit = false
      this.focus(id)
    }
  }

  focus(id: string): void {
    const v = this.store.vehicles.get(id)
    if (v && v.lat !== null && v.lon !== null) {
      this.autoFit = false
      this.map.panTo([v.lat, v.lon])
    }
  }

  private clearTrail(): void {
    this.trail?.remove()
    this.trail = null
    this.trailFor = null
  }

  private readonly frame = (): void => {
    if (this.destroyed) return
    const changes = this.store.flush()
    if (changes.reset) {
      this.records.replaceChildren()
      this.markers.clear()
      // Gone vehicles (another organization's, after a switch) leave the screen on this frame.
      this.canvas.invalidateNow()
      this.clearTrail()
      this.selected = null
      this.autoFit = true
    }
    for (const id of changes.removed) {
      const m = this.markers.get(id)
      if (m) {
        m.el.remove()
        this.markers.delete(id)
        this.canvas.invalidateNow()
      }
      if (this.trailFor === id) this.clearTrail()
    }
    for (const v of changes.moved) {
      if (this.upsert(v)) this.fitDue = true
      if (v.id === this.followed && v.lat !== null && v.lon !== null) this.map.panTo([v.lat, v.lon], { animate: false })
      if (v.id === this.trailFor && this.trail && v.lat !== null && v.lon !== null) {
        this.trail.addLatLng([v.lat, v.lon])
      }
    }
    const now = performance.now()
    if (this.fitDue && this.autoFit && now - this.lastFit > 1000) this.fit(now)
    this.canvas.drawIfDirty(now)
    this.raf = requestAnimationFrame(this.frame)
  }

  private fit(now: number): void {
    this.fitDue = false
    this.lastFit = now
    if (this.markers.size === 0) return
    const bounds = L.latLngBounds([...this.markers.values()].map((m) => L.latLng(m.lat, m.lon)))
    this.map.fitBounds(bounds.pad(0.15), { maxZoom: 15, animate: false })
  }

  /** Creates or moves a vehicle; returns true when it was created. */
  private upsert(v: Vehicle): boolean {
    if (v.lat === null || v.lon === null) return false
    let m = this.markers.get(v.id)
    let created = false
    if (!m) {
      const el = document.createElement('div')
      el.className = 'vehicle-marker'
      el.dataset.testid = 'vehicle-marker'
      el.dataset.deviceId = v.id
      el.dataset.tenant = v.tenant
      el.title = v.name
      if (v.id === this.selected) el.classList.add('selected')
      m = { el, lat: v.lat, lon: v.lon, heading: null, stale: false, name: v.name }
      this.markers.set(v.id, m)
      created = true
    }
    m.lat = v.lat
    m.lon = v.lon
    m.el.dataset.lat = String(v.lat)
    m.el.dataset.lon = String(v.lon)
    if (created) this.records.appendChild(m.el)
    if (m.name !== v.name) {
      m.name = v.name
      m.el.title = v.name
    }
    if (v.headingDeg !== null) m.heading = v.headingDeg
    this.setStale(m, this.store.isStale(v, this.opts.staleAfterMs))
    this.canvas.invalidate()
    return created
  }

  private setStale(m: MarkerEntry, stale: boolean): void {
    if (m.stale === stale) return
    m.stale = stale
    m.el.classList.toggle('stale', stale)
    this.canvas.invalidate()
  }

  private refreshStale(): void {
    const now = Date.now()
    for (const [id, m] of this.markers) {
      const v = this.store.vehicles.get(id)
      if (v) this.setStale(m, this.store.isStale(v, this.opts.staleAfterMs, now))
    }
  }
}
