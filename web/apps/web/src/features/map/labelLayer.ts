import L from 'leaflet'
import { dataZoomFor, packOf, wrapX } from './geo/tileAddress.ts'
import { placeLabels, type LabelCandidate } from './labels.ts'
import { LABEL, LABEL_HALO, placeFont, placeFontSize } from './basemapStyle.ts'
import type { PackStore } from './packStore.ts'

const TILE = 256
const PANE = 'fleetBasemapLabels'

/**
 * Place names over the offline basemap, on one canvas the size of the map, redrawn after each move or
 * zoom (and when a pack arrives): names from the view's packs compete for space by population
 * (placeLabels), so they never overlap, also across tile edges. A hidden list
 * (`data-testid="basemap-labels"`) names what is drawn (test hook).
 */
export class LabelLayer extends L.Layer {
  private canvas: HTMLCanvasElement | null = null
  private list: HTMLUListElement | null = null
  private raf = 0
  private unsubscribe: (() => void) | null = null
  private readonly widths = new Map<string, number>()

  constructor(private readonly store: PackStore) {
    super()
  }

  override onAdd(map: L.Map): this {
    const pane = map.getPane(PANE) ?? map.createPane(PANE)
    // Above the basemap tiles (200), below vectors and the vehicle canvas (overlay pane, 400).
    pane.style.zIndex = '350'
    pane.style.pointerEvents = 'none'
    this.canvas = L.DomUtil.create('canvas', 'fleet-basemap-labels', pane)
    this.list = document.createElement('ul')
    this.list.hidden = true
    this.list.dataset.testid = 'basemap-labels'
    map.getContainer().appendChild(this.list)
    map.on('moveend zoomend resize viewreset', this.schedule, this)
    map.on('zoomstart', this.hide, this)
    this.unsubscribe = this.store.onLoad(() => this.schedule())
    this.schedule()
    return this
  }

  override onRemove(map: L.Map): this {
    map.off('moveend zoomend resize viewreset', this.schedule, this)
    map.off('zoomstart', this.hide, this)
    this.unsubscribe?.()
    cancelAnimationFrame(this.raf)
    this.canvas?.remove()
    this.list?.remove()
    this.canvas = null
    this.list = null
    return this
  }

  private hide(): void {
    if (this.canvas) this.canvas.style.visibility = 'hidden'
  }

  private schedule(): void {
    if (this.raf) return
    this.raf = requestAnimationFrame(() => {
      this.raf = 0
      this.draw()
    })
  }

  private draw(): void {
    const map = this._map
    const canvas = this.canvas
    if (!map || !canvas || !this.list) return
    const size = map.getSize()
    const dpr = Math.min(2, Math.max(1, Math.round(window.devicePixelRatio || 1)))
    canvas.width = size.x * dpr
    canvas.height = size.y * dpr
    canvas.style.width = `${size.x}px`
    canvas.style.height = `${size.y}px`
    L.DomUtil.setPosition(canvas, map.containerPointToLayerPoint([0, 0]))
    const ctx = canvas.getContext('2d')
    if (!ctx) return
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0)
    const placed = placeLabels(this.candidates(map, ctx), { width: size.x, height: size.y })
    ctx.textAlign = 'center'
    ctx.textBaseline = 'middle'
    ctx.lineJoin = 'round'
    ctx.lineWidth = 3
    ctx.strokeStyle = LABEL_HALO
    ctx.fillStyle = LABEL
    for (const label of placed) {
      ctx.font = placeFont(label.rank)
      ctx.strokeText(label.name, label.x, label.y)
      ctx.fillText(label.name, label.x, label.y)
    }
    canvas.style.visibility = ''
    this.list.replaceChildren(
      ...placed.map((l) => {
        const li = document.createElement('li')
        li.textContent = l.name
        return li
      }),
    )
  }

  /** Names from the packs of the view's data zoom that fall inside the view. */
  private candidates(map: L.Map, ctx: CanvasRenderingContext2D): LabelCandidate[] {
    const zoom = Math.round(map.getZoom())
    const dz = dataZoomFor(zoom)
    const tilePx = TILE * 2 ** (zoom - dz)
    const pb = map.getPixelBounds()
    const size = map.getSize()
    const out: LabelCandidate[] = []
    const seen = new Set<string>()
    const n = 2 ** dz
    const y0 = Math.max(0, Math.floor(pb.min!.y / tilePx))
    const y1 = Math.min(n - 1, Math.floor(pb.max!.y / tilePx))
    for (let ty = y0; ty <= y1; ty++) {
      for (let tx = Math.floor(pb.min!.x / tilePx); tx <= Math.floor(pb.max!.x / tilePx); tx++) {
        const a = packOf(dz, wrapX(tx, dz), ty)
        // The world copy the tile belongs to (worldCopyJump shows longitudes beyond ±180).
        const copy = Math.floor(tx / n)
        const key = `${a.px}/${a.py}/${copy}`
        if (seen.has(key)) continue
        seen.add(key)
        const pack = this.store.peek(dz, a.px, a.py)
        if (pack === undefined) {
          void this.store.get(dz, a.px, a.py)
          continue
        }
        for (const [lat, lon, name, population] of pack?.p ?? []) {
          const pt = map.latLngToContainerPoint([lat, lon + 360 * copy])
          if (pt.x < 0 || pt.y < 0 || pt.x > size.x || pt.y > size.y) continue
          ctx.font = placeFont(population)
          const wkey = `${ctx.font}|${name}`
          let width = this.widths.get(wkey)
          if (width === undefined) {
            width = ctx.measureText(name).width
            this.widths.set(wkey, width)
          }
          out.push({ name, x: pt.x, y: pt.y, width: width + 4, height: placeFontSize(population), rank: population })
        }
      }
    }
    return out
  }
}
