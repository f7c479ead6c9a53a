import L from 'leaflet'

/** What the canvas needs to draw one vehicle. */
export interface VehicleGlyph {
  lat: number
  lon: number
  /** Degrees clockwise from north; null draws the arrow pointing north. */
  heading: number | null
  stale: boolean
}

const SIZE = 22 // CSS px, as the arrow icon was
const HIT_RADIUS = 12 // CSS px around a vehicle's centre that selects it
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
 * Draws every vehicle into one canvas laid over the map, instead of one DOM element per vehicle: at 5,000
 * moving vehicles, DOM markers cost Chromium most of every frame in compositing, restyle and hit testing
 * (docs/benchmarks.md, "Browser at 5,000 vehicles"), whereas one canvas is one layer however many
 * vehicles move. The canvas takes no pointer events (the map below keeps dragging and zooming);
 * `hit` finds the vehicle under a click instead.
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

  constructor(
    private readonly map: L.Map,
    private readonly vehicles: ReadonlyMap<string, VehicleGlyph>,
    private readonly selected: () => string | null,
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

  /** The vehicle drawn under a container point (the nearest within the arrow's radius), if any. */
  hit(point: L.Point): string | null {
    let best: string | null = null
    let bestD2 = HIT_RADIUS * HIT_RADIUS
    const sel = this.selected()
    for (const [id, v] of this.vehicles) {
      const p = this.map.latLngToContainerPoint([v.lat, v.lon])
      const d2 = (p.x - point.x) ** 2 + (p.y - point.y) ** 2
      // The selected vehicle is drawn on top, so it wins a tie.
      if (d2 < bestD2 || (d2 === bestD2 && id === sel)) {
        best = id
        bestD2 = d2
      }
    }
    return best
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
    const sel = this.selected()
    for (const [id, v] of this.vehicles) {
      if (id !== sel) this.drawOne(atlas, cell, v, v.stale ? STALE : NORMAL, size, ratio)
    }
    const s = sel ? this.vehicles.get(sel) : undefined
    if (s) this.drawOne(atlas, cell, s, SELECTED, size, ratio)
  }

  private drawOne(atlas: ImageBitmap, cell: number, v: VehicleGlyph, look: number, size: L.Point, ratio: number): void {
    const p = this.map.latLngToContainerPoint([v.lat, v.lon])
    if (p.x < -SIZE || p.y < -SIZE || p.x > size.x + SIZE || p.y > size.y + SIZE) return
    const step = Math.round((((v.heading ?? 0) % 360) + 360) / (360 / ANGLES)) % ANGLES
    // Whole device pixels: no resampling of the atlas cell.
    const x = Math.round((p.x - SIZE / 2) * ratio)
    const y = Math.round((p.y - SIZE / 2) * ratio)
    this.ctx.drawImage(atlas, step * cell, look * cell, cell, cell, x, y, cell, cell)
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
