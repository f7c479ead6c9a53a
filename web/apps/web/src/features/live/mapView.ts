import L from 'leaflet'
import type { TelemetryEvent } from '@fleet/api'
import { addBasemap } from './basemap.ts'
import type { FleetStore, Vehicle } from './fleetStore.ts'

interface MarkerEntry {
  marker: L.Marker
  el: HTMLElement | null
  arrow: HTMLElement | null
  heading: number | null
  stale: boolean
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
 * The imperative map: Leaflet markers are created and moved directly, once per animation frame, from the
 * changes the FleetStore accumulated since the previous frame. React never renders markers.
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
  private trail: L.Polyline | null = null
  private trailFor: string | null = null

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
    this.map.remove()
  }

  /** Highlights a vehicle and shows its trail (history points, oldest first). */
  setSelected(id: string | null): void {
    if (this.selected) this.markers.get(this.selected)?.el?.classList.remove('selected')
    this.selected = id
    if (id) this.markers.get(id)?.el?.classList.add('selected')
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
      for (const m of this.markers.values()) m.marker.remove()
      this.markers.clear()
      this.clearTrail()
      this.selected = null
      this.autoFit = true
    }
    for (const id of changes.removed) {
      const m = this.markers.get(id)
      if (m) {
        m.marker.remove()
        this.markers.delete(id)
      }
      if (this.trailFor === id) this.clearTrail()
    }
    for (const v of changes.moved) {
      if (this.upsert(v)) this.fitDue = true
      if (v.id === this.trailFor && this.trail && v.lat !== null && v.lon !== null) {
        this.trail.addLatLng([v.lat, v.lon])
      }
    }
    const now = performance.now()
    if (this.fitDue && this.autoFit && now - this.lastFit > 1000) this.fit(now)
    this.raf = requestAnimationFrame(this.frame)
  }

  private fit(now: number): void {
    this.fitDue = false
    this.lastFit = now
    if (this.markers.size === 0) return
    const bounds = L.latLngBounds([...this.markers.values()].map((m) => m.marker.getLatLng()))
    this.map.fitBounds(bounds.pad(0.15), { maxZoom: 15, animate: false })
  }

  /** Creates or moves a marker; returns true when it was created. */
  private upsert(v: Vehicle): boolean {
    if (v.lat === null || v.lon === null) return false
    let m = this.markers.get(v.id)
    let created = false
    if (!m) {
      const marker = L.marker([v.lat, v.lon], {
        icon: L.divIcon({
          className: 'vehicle-marker',
          html: '<div class="vehicle-arrow"></div>',
          iconSize: [22, 22],
          iconAnchor: [11, 11],
        }),
        keyboard: false,
        title: v.name,
        riseOnHover: true,
      })
      marker.on('click', () => this.opts.onSelect(v.id))
      marker.addTo(this.map)
      const el = marker.getElement() ?? null
      m = { marker, el, arrow: (el?.firstElementChild as HTMLElement | null) ?? null, heading: null, stale: false, name: v.name }
      if (el) {
        el.dataset.testid = 'vehicle-marker'
        el.dataset.deviceId = v.id
        el.dataset.tenant = v.tenant
        if (v.id === this.selected) el.classList.add('selected')
      }
      this.markers.set(v.id, m)
      created = true
    } else {
      m.marker.setLatLng([v.lat, v.lon])
    }
    if (m.el) {
      m.el.dataset.lat = String(v.lat)
      m.el.dataset.lon = String(v.lon)
    }
    if (m.name !== v.name) {
      m.name = v.name
      m.el?.setAttribute('title', v.name)
    }
    if (v.headingDeg !== null && v.headingDeg !== m.heading && m.arrow) {
      m.heading = v.headingDeg
      m.arrow.style.transform = `rotate(${v.headingDeg}deg)`
    }
    this.setStale(m, this.store.isStale(v, this.opts.staleAfterMs))
    return created
  }

  private setStale(m: MarkerEntry, stale: boolean): void {
    if (m.stale === stale) return
    m.stale = stale
    m.el?.classList.toggle('stale', stale)
  }

  private refreshStale(): void {
    const now = Date.now()
    for (const [id, m] of this.markers) {
      const v = this.store.vehicles.get(id)
      if (v) this.setStale(m, this.store.isStale(v, this.opts.staleAfterMs, now))
    }
  }
}
