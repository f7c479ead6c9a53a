import L from 'leaflet'
import { clusterPoints, type Cluster, type Clustering, type ScreenPoint } from './cluster.ts'
import { clusterRadius, hitDrawn, type Hit } from './hitTest.ts'

/** What the canvas needs to draw one vehicle. */
export interface VehicleGlyph {
  lat: number
  lon: number
  /** Degrees clockwise from north; null draws the arrow pointing north. */
  heading: number | null
  stale: boolean
}

const SIZE = 22 // CSS px, as the arrow icon was
const STALE_ALPHA = 0.55
// An arrow pointing north in a 24×24 box (the same shape the DOM icon used).
const ARROW_PATH = 'M12 2 L20 21 L12 16.5 L4 21 Z'
const LOOKS = [
  { fill: '#1f6feb', alpha: 1 }, // moving
  { fill: '#676767', alpha: STALE_ALPHA }, // stale
  { fill: '#d9480f', alpha: 1 }, // selected
] as const
const NORMAL = 0
const STALE = 1
const SELECTED = 2
// Headings are drawn in steps of 360 / ANGLES degrees (5°: invisible on a 22-px arrow): each vehicle is then
// one copy from a pre-rendered atlas, with no per-vehicle transform (a rotated draw per vehicle cost more
// than the whole rest of the frame).
const ANGLES = 72
// Vehicles report about once a second; redrawing them more often than this only costs the main thread
// (a redraw draws every vehicle). Map moves and selection redraw on the next frame.
const DATA_REDRAW_MS = 200
/**
 * Vehicles are clustered at this zoom and below (a city fills the screen at about 12); closer in, every
 * vehicle is drawn. Cells of CLUSTER_CELL CSS px.
 */
export const CLUSTER_MAX_ZOOM = 12
const CLUSTER_CELL = 64
const CLUSTER_FILL = '#174ea6' // white text on it: 8.6:1
const FOCUS_RING = '#111111'

/** What the last redraw put on screen, in container px: what clicks, hovers and arrow keys act on. */
export type Drawn = Clustering

export type { Hit }

/** What the canvas asks its owner at each redraw. */
export interface CanvasState {
  /** The selected vehicle (drawn in its own look, on top). */
  selected(): string | null
  /** Vehicles never put in a cluster (the selected and the followed one). */
  keepApart(): ReadonlySet<string>
  /** The keyboard-focused item (`v:<id>` or `c:<cell>`), ringed; null for none. */
  focused(): string | null
  /** Called after every redraw with what it drew. */
  drawn(d: Drawn): void
}

/**
 * Draws every vehicle into one canvas laid over the map, instead of one DOM element per vehicle: at 5,000
 * moving vehicles, DOM markers cost Chromium most of every frame in compositing, restyle and hit testing
 * (docs/benchmarks.md, "Browser at 5,000 vehicles"), whereas one canvas is one layer however many
 * vehicles move. The canvas takes no pointer events (the map below keeps dragging and zooming);
 * `hit` finds the vehicle under a click instead.
 *
 * At CLUSTER_MAX_ZOOM and below, vehicles sharing a grid cell are drawn as one circle with their count
 * (cluster.ts), except those the owner keeps apart.
 *
 * Redrawing is explicit: `invalidate` after a change, `drawIfDirty` once per animation frame. Map moves
 * invalidate it themselves. During an animated zoom the canvas is hidden (the tiles scale, the arrows
 * would not) and redrawn when the zoom ends.
 */
export class VehicleCanvas {
  private readonly canvas: HTMLCanvasElement
  private readonly ctx: CanvasRenderingContext2D
  private atlas: ImageBitmap | null = null
  private atlasRatio = 0
  private dirty = true
  private urgent = true
  private lastDraw = -Infinity
  private last: Drawn = { singles: [], clusters: [] }

  constructor(
    private readonly map: L.Map,
    private readonly vehicles: ReadonlyMap<string, VehicleGlyph>,
    private readonly state: CanvasState,
  ) {
    this.canvas = document.createElement('canvas')
    this.canvas.className = 'vehicle-canvas'
    this.canvas.setAttribute('aria-hidden', 'true')
    const ctx = this.canvas.getContext('2d')
    if (!ctx) throw new Error('vehicle canvas: no 2D context')
    this.ctx = ctx
    map.getContainer().appendChild(this.canvas)
    map.on('move zoom viewreset resize', this.invalidateNow)
    map.on('zoomanim', this.hide)
    map.on('zoomend', this.show)
  }

  /** Vehicles changed: redraw within DATA_REDRAW_MS. */
  readonly invalidate = (): void => {
    this.dirty = true
  }

  /** The view or the selection changed: redraw on the next frame. */
  readonly invalidateNow = (): void => {
    this.dirty = true
    this.urgent = true
  }

  destroy(): void {
    this.map.off('move zoom viewreset resize', this.invalidateNow)
    this.map.off('zoomanim', this.hide)
    this.map.off('zoomend', this.show)
    this.canvas.remove()
    this.atlas?.close()
    this.atlas = null
  }

  /** What the last redraw put on screen. */
  get drawn(): Drawn {
    return this.last
  }

  /** What is drawn under a container point (hitTest.ts), per the last redraw. */
  hit(point: L.Point): Hit | null {
    return hitDrawn(this.last, point.x, point.y, this.state.keepApart(), this.state.selected())
  }

  /** Redraws if something changed (at most every DATA_REDRAW_MS for vehicle changes); `now` in ms. */
  drawIfDirty(now: number): void {
    if (!this.dirty || (!this.urgent && now - this.lastDraw < DATA_REDRAW_MS)) return
    this.dirty = false
    this.urgent = false
    this.lastDraw = now
    const size = this.map.getSize()
    const ratio = window.devicePixelRatio || 1
    const w = Math.round(size.x * ratio)
    const h = Math.round(size.y * ratio)
    if (this.canvas.width !== w || this.canvas.height !== h) {
      this.canvas.width = w
      this.canvas.height = h
      this.canvas.style.width = `${size.x}px`
      this.canvas.style.height = `${size.y}px`
    }
    const atlas = this.atlasFor(ratio)
    const cell = Math.ceil(SIZE * ratio)
    const ctx = this.ctx
    ctx.clearRect(0, 0, w, h)
    const drawn = this.layout(size)
    this.last = drawn
    const sel = this.state.selected()
    const apart = this.state.keepApart()
    for (const p of drawn.singles) {
      if (!apart.has(p.id)) this.drawArrow(atlas, cell, p, ratio)
    }
    for (const c of drawn.clusters) this.drawCluster(c, ratio)
    // Kept-apart vehicles on top of clusters; the selected one on top of all.
    for (const p of drawn.singles) if (apart.has(p.id) && p.id !== sel) this.drawArrow(atlas, cell, p, ratio)
    for (const p of drawn.singles) if (p.id === sel) this.drawArrow(atlas, cell, p, ratio, SELECTED)
    this.drawFocusRing(drawn, ratio)
    this.state.drawn(drawn)
  }

  /** Where each vehicle in view goes (with a margin of an arrow), clustered at low zoom. */
  private layout(size: L.Point): Drawn {
    const points: ScreenPoint[] = []
    for (const [id, v] of this.vehicles) {
      const p = this.map.latLngToContainerPoint([v.lat, v.lon])
      if (p.x < -SIZE || p.y < -SIZE || p.x > size.x + SIZE || p.y > size.y + SIZE) continue
      points.push({ id, x: p.x, y: p.y, lat: v.lat, lon: v.lon })
    }
    if (this.map.getZoom() > CLUSTER_MAX_ZOOM) return { singles: points, clusters: [] }
    // The container's top-left corner in world pixels: cells are fixed to the world, not to the view.
    const origin = this.map.containerPointToLayerPoint([0, 0]).add(this.map.getPixelOrigin())
    return clusterPoints(points, { cellPx: CLUSTER_CELL, originX: origin.x, originY: origin.y, keepApart: this.state.keepApart() })
  }

  private drawArrow(atlas: ImageBitmap, cell: number, p: ScreenPoint, ratio: number, look?: number): void {
    const v = this.vehicles.get(p.id)
    if (!v) return
    const row = look ?? (v.stale ? STALE : NORMAL)
    const step = Math.round((((v.heading ?? 0) % 360) + 360) / (360 / ANGLES)) % ANGLES
    // Whole device pixels: no resampling of the atlas cell.
    const x = Math.round((p.x - SIZE / 2) * ratio)
    const y = Math.round((p.y - SIZE / 2) * ratio)
    this.ctx.drawImage(atlas, step * cell, row * cell, cell, cell, x, y, cell, cell)
  }

  private drawCluster(c: Cluster, ratio: number): void {
    const ctx = this.ctx
    const r = clusterRadius(c.count)
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0)
    ctx.beginPath()
    ctx.arc(c.x, c.y, r, 0, 2 * Math.PI)
    ctx.fillStyle = CLUSTER_FILL
    ctx.fill()
    ctx.lineWidth = 2
    ctx.strokeStyle = 'white'
    ctx.stroke()
    ctx.fillStyle = 'white'
    ctx.font = '600 12px system-ui, sans-serif'
    ctx.textAlign = 'center'
    ctx.textBaseline = 'middle'
    ctx.fillText(String(c.count), c.x, c.y + 0.5)
    ctx.setTransform(1, 0, 0, 1, 0, 0)
  }

  /** A dark ring with a white halo (visible on any basemap) around the keyboard-focused item. */
  private drawFocusRing(drawn: Drawn, ratio: number): void {
    const key = this.state.focused()
    if (!key) return
    let at: { x: number; y: number; r: number } | null = null
    if (key.startsWith('c:')) {
      const c = drawn.clusters.find((c) => c.key === key.slice(2))
      if (c) at = { x: c.x, y: c.y, r: clusterRadius(c.count) + 4 }
    } else {
      const p = drawn.singles.find((p) => p.id === key.slice(2))
      if (p) at = { x: p.x, y: p.y, r: SIZE / 2 + 4 }
    }
    if (!at) return
    const ctx = this.ctx
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0)
    ctx.beginPath()
    ctx.arc(at.x, at.y, at.r, 0, 2 * Math.PI)
    ctx.lineWidth = 5
    ctx.strokeStyle = 'white'
    ctx.stroke()
    ctx.lineWidth = 2.5
    ctx.strokeStyle = FOCUS_RING
    ctx.stroke()
    ctx.setTransform(1, 0, 0, 1, 0, 0)
  }

  /**
   * Pre-rendered arrows at the screen's pixel ratio: one row per look (moving, stale, selected), one
   * column per heading step. The stale look's transparency is baked in.
   */
  private atlasFor(ratio: number): ImageBitmap {
    if (this.atlas && this.atlasRatio === ratio) return this.atlas
    const cell = Math.ceil(SIZE * ratio)
    // An ImageBitmap, not a canvas: drawing from a canvas snapshots it on every frame.
    const atlas = new OffscreenCanvas(cell * ANGLES, cell * LOOKS.length)
    const g = atlas.getContext('2d')
    if (!g) throw new Error('vehicle canvas: no 2D context')
    const path = new Path2D(ARROW_PATH)
    const scale = (SIZE * ratio) / 24
    LOOKS.forEach((look, row) => {
      for (let step = 0; step < ANGLES; step++) {
        g.setTransform(1, 0, 0, 1, 0, 0)
        g.translate(step * cell + cell / 2, row * cell + cell / 2)
        g.rotate((step * 2 * Math.PI) / ANGLES)
        g.scale(scale, scale)
        g.translate(-12, -12)
        g.globalAlpha = look.alpha
        g.fillStyle = look.fill
        g.strokeStyle = 'white'
        g.lineWidth = 1.6
        g.lineJoin = 'round'
        g.fill(path)
        g.stroke(path)
      }
    })
    this.atlas?.close()
    this.atlas = atlas.transferToImageBitmap()
    this.atlasRatio = ratio
    return this.atlas
  }

  private readonly hide = (): void => {
    this.canvas.style.visibility = 'hidden'
  }

  private readonly show = (): void => {
    this.canvas.style.visibility = ''
    this.invalidateNow()
  }
}
