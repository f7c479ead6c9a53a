import L from 'leaflet'
import type { TelemetryEvent } from '@fleet/api'
import { addBasemap } from './basemap.ts'
import type { FleetStore, Vehicle } from '../live/fleetStore.ts'
import type { Cluster } from './cluster.ts'
import { MapKeyboard } from './mapKeyboard.ts'
import { clusterLabel, vehicleLabel } from './markerNav.ts'
import { vehicleStatus } from '../live/status.ts'
import { VehicleCanvas, type Drawn, type VehicleGlyph } from './vehicleCanvas.ts'
import './mapView.css'

interface MarkerEntry extends VehicleGlyph {
  /** The vehicle's hidden DOM record (test hook: data-* attributes, classes `selected`, `stale`, `outside`). */
  el: HTMLElement
  /** Outside the scoped stream's view: drawn greyed like a stale vehicle, but not called stale. */
  outside: boolean
  name: string
}

export interface MapViewOptions {
  tileUrl: string
  tileAttribution: string
  staleAfterMs: number
  onSelect: (id: string) => void
  /** Following ended from the map's side: the user dragged the map, or the vehicle was removed. */
  onFollowEnd: () => void
}

const TRAIL_MAX_POINTS = 5000
// A followed vehicle's move pans the map in this long an animation (s): smooth, and over well before the
// next point (about a second later); each animated frame redraws the vehicle canvas.
const FOLLOW_PAN_S = 0.25
// A vehicle moving faster than a recentring animation is worth (further than this share of the view's
// smaller side): jump instead of animating across the map.
const FOLLOW_JUMP_SHARE = 0.5

/**
 * The imperative map: once per animation frame, the changes the FleetStore accumulated since the previous
 * frame move the vehicles, which one canvas draws (VehicleCanvas; one DOM element per vehicle costs too much
 * at thousands of moving vehicles). React never renders vehicles.
 *
 * Each vehicle also has an element in a hidden (never rendered) container, carrying its state as the test
 * hooks `data-testid="vehicle-marker"`, `data-device-id`, `data-tenant`, `data-lat`, `data-lon`, `title`
 * and the classes `selected` and `stale` (web/README, "Test hooks"); each cluster drawn at low zoom has one
 * too (`data-testid="vehicle-cluster"`, `data-count`, `data-lat`, `data-lon`), rewritten after each redraw.
 *
 * Following a vehicle pans the map to it on each of its moves. Zooming keeps following (the wheel and a
 * double click zoom around the centre, i.e. the vehicle); dragging the map ends it, as in the navigation
 * apps operators know: the user wants to look elsewhere, and a map that pulls back would fight them.
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
  private readonly clusterRecords: HTMLElement
  private readonly keyboard: MapKeyboard
  private readonly tooltip: HTMLElement
  private readonly keepApart = new Set<string>()
  private hoverAt: L.Point | null = null
  private hoverRaf = 0

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
    this.canvas = new VehicleCanvas(this.map, this.markers, {
      selected: () => this.selected,
      keepApart: () => this.keepApart,
      focused: () => this.keyboard.focused,
      drawn: (d) => this.writeClusterRecords(d),
    })
    this.records = document.createElement('div')
    this.records.hidden = true
    this.records.dataset.testid = 'vehicle-markers'
    container.appendChild(this.records)
    this.clusterRecords = document.createElement('div')
    this.clusterRecords.hidden = true
    this.clusterRecords.dataset.testid = 'vehicle-clusters'
    container.appendChild(this.clusterRecords)
    this.keyboard = new MapKeyboard(container, {
      drawn: () => this.canvas.drawn,
      label: (key) => this.label(key),
      activate: (key) => this.activate(key),
      changed: this.canvas.invalidateNow,
    })
    this.tooltip = document.createElement('div')
    this.tooltip.className = 'vehicle-tooltip'
    this.tooltip.dataset.testid = 'vehicle-tooltip'
    this.tooltip.hidden = true
    container.appendChild(this.tooltip)
    this.map.on('click', (e: L.LeafletMouseEvent) => {
      const hit = this.canvas.hit(e.containerPoint)
      if (hit?.kind === 'vehicle') this.opts.onSelect(hit.id)
      else if (hit?.kind === 'cluster') this.zoomTo(hit.cluster)
    })
    this.map.on('mousemove', (e: L.LeafletMouseEvent) => this.hover(e.containerPoint))
    container.addEventListener('mouseleave', () => this.hover(null))
    this.map.on('movestart zoomstart', () => this.hover(null))
    // Stop auto-fitting once the user moves the map themselves; a drag also ends following.
    this.map.on('dragstart', () => {
      this.autoFit = false
      this.endFollowing()
    })
    this.map.getContainer().addEventListener('wheel', () => (this.autoFit = false), { passive: true })
    // The geography loads once the first vehicles are drawn: they come first on a slow link.
    addBasemap(this.map, opts.tileUrl, opts.tileAttribution, () => this.markers.size > 0).catch((err: unknown) => {
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
    cancelAnimationFrame(this.hoverRaf)
    this.markers.clear()
    this.keyboard.destroy()
    this.canvas.destroy()
    this.records.remove()
    this.map.remove()
  }

  /** Highlights a vehicle and shows its trail (history points, oldest first). */
  setSelected(id: string | null): void {
    if (this.selected) this.markers.get(this.selected)?.el.classList.remove('selected')
    this.selected = id
    if (id) this.markers.get(id)?.el.classList.add('selected')
    this.updateKeepApart()
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

  /** Keeps a vehicle centred as it moves (null: stop following). It is never put in a cluster. */
  setFollowed(id: string | null): void {
    if (this.followed === id) return
    this.followed = id
    this.updateKeepApart()
    // While following, zooming by wheel or double click keeps the vehicle centred.
    const around = id ? 'center' : true
    this.map.options.scrollWheelZoom = around
    this.map.options.doubleClickZoom = around
    if (id) {
      this.autoFit = false
      this.focus(id)
    }
    this.canvas.invalidateNow()
  }

  /** The vehicle the map follows, if any. */
  get followedId(): string | null {
    return this.followed
  }

  /** Stops fitting the map to the fleet: a panel (history replay) chose the view, as a user's drag would. */
  keepView(): void {
    this.autoFit = false
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
      this.endFollowing()
      this.updateKeepApart()
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
      if (this.followed === id) this.endFollowing()
    }
    for (const v of changes.moved) {
      if (this.upsert(v)) this.fitDue = true
      if (v.id === this.followed && v.lat !== null && v.lon !== null) this.recentre(v.lat, v.lon)
      if (v.id === this.trailFor && this.trail && v.lat !== null && v.lon !== null) {
        this.trail.addLatLng([v.lat, v.lon])
      }
    }
    const now = performance.now()
    if (this.fitDue && this.autoFit && now - this.lastFit > 1000) this.fit(now)
    this.canvas.drawIfDirty(now)
    this.raf = requestAnimationFrame(this.frame)
  }

  /** Pans to the followed vehicle: a short animation, or a jump when it moved far. */
  private recentre(lat: number, lon: number): void {
    const size = this.map.getSize()
    const shift = this.map.latLngToContainerPoint([lat, lon]).subtract(size.divideBy(2))
    const far = Math.hypot(shift.x, shift.y) > FOLLOW_JUMP_SHARE * Math.min(size.x, size.y)
    this.map.panTo([lat, lon], far ? { animate: false } : { animate: true, duration: FOLLOW_PAN_S, easeLinearity: 1 })
  }

  private endFollowing(): void {
    if (!this.followed) return
    this.setFollowed(null)
    this.opts.onFollowEnd()
  }

  private updateKeepApart(): void {
    this.keepApart.clear()
    if (this.selected) this.keepApart.add(this.selected)
    if (this.followed) this.keepApart.add(this.followed)
  }

  /** Zooms in to a cluster's vehicles. */
  private zoomTo(c: Cluster): void {
    this.autoFit = false
    const bounds = L.latLngBounds([c.south, c.west], [c.north, c.east])
    // At least one zoom level deeper, even if the members stand at one point.
    const zoom = Math.max(this.map.getZoom() + 1, Math.min(this.map.getBoundsZoom(bounds.pad(0.2)), 17))
    this.map.setView(bounds.getCenter(), zoom)
  }

  /** Enter on a keyboard-focused item. */
  private activate(key: string): void {
    if (key.startsWith('v:')) this.opts.onSelect(key.slice(2))
    else {
      const c = this.canvas.drawn.clusters.find((c) => c.key === key.slice(2))
      if (c) this.zoomTo(c)
    }
  }

  /** The accessible name of a drawn item (mapKeyboard.ts). */
  private label(key: string): string {
    if (key.startsWith('c:')) {
      const c = this.canvas.drawn.clusters.find((c) => c.key === key.slice(2))
      return clusterLabel(c?.count ?? 0)
    }
    const v = this.store.vehicles.get(key.slice(2))
    if (!v) return key.slice(2)
    // The same status as the list and the details panel (status.ts thresholds).
    const state = vehicleStatus(v, Date.now())
    const name = v.id === this.selected ? `${v.name} (selected)` : v.name
    return vehicleLabel(name, state, v.speedKph)
  }

  /** Shows the name of what is under the pointer; checked at most once per frame. */
  private hover(at: L.Point | null): void {
    this.hoverAt = at
    if (!at) {
      this.tooltip.hidden = true
      return
    }
    if (this.hoverRaf) return
    this.hoverRaf = requestAnimationFrame(() => {
      this.hoverRaf = 0
      const p = this.hoverAt
      const hit = p && this.canvas.hit(p)
      if (!p || !hit) {
        this.tooltip.hidden = true
        return
      }
      const text = hit.kind === 'cluster' ? `${hit.cluster.count} vehicles` : (this.store.vehicles.get(hit.id)?.name ?? hit.id)
      const at = hit.kind === 'cluster' ? hit.cluster : (this.canvas.drawn.singles.find((s) => s.id === hit.id) ?? p)
      if (this.tooltip.textContent !== text) this.tooltip.textContent = text
      this.tooltip.style.left = `${at.x}px`
      this.tooltip.style.top = `${at.y}px`
      this.tooltip.hidden = false
    })
  }

  /**
   * The clusters' test hooks, after each redraw. Elements are reused and only changed attributes written:
   * a few dozen clusters at most, and nothing at all above CLUSTER_MAX_ZOOM.
   */
  private writeClusterRecords(d: Drawn): void {
    const els = this.clusterRecords.children
    d.clusters.forEach((c, i) => {
      let el = els[i] as HTMLElement | undefined
      if (!el) {
        el = document.createElement('div')
        el.dataset.testid = 'vehicle-cluster'
        this.clusterRecords.appendChild(el)
      }
      setData(el, 'count', String(c.count))
      setData(el, 'lat', String(c.lat))
      setData(el, 'lon', String(c.lon))
    })
    while (els.length > d.clusters.length) els[els.length - 1]!.remove()
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
      m = { el, lat: v.lat, lon: v.lon, heading: null, stale: false, outside: false, name: v.name }
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
    this.setLook(m, v)
    this.canvas.invalidate()
    return created
  }

  /** Stale, or outside the view: both drawn greyed; the record tells them apart. */
  private setLook(m: MarkerEntry, v: Vehicle, now = Date.now()): void {
    const outside = !v.inView
    const stale = !outside && this.store.isStale(v, this.opts.staleAfterMs, now)
    if (m.outside !== outside) {
      m.outside = outside
      m.el.classList.toggle('outside', outside)
    }
    if (m.el.classList.contains('stale') !== stale) m.el.classList.toggle('stale', stale)
    if (m.stale === (stale || outside)) return
    m.stale = stale || outside
    this.canvas.invalidate()
  }

  private refreshStale(): void {
    const now = Date.now()
    for (const [id, m] of this.markers) {
      const v = this.store.vehicles.get(id)
      if (v) this.setLook(m, v, now)
    }
  }
}

function setData(el: HTMLElement, key: string, value: string): void {
  if (el.dataset[key] !== value) el.dataset[key] = value
}
