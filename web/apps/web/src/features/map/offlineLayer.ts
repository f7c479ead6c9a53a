import L from 'leaflet'
import { EXTENT } from './geo/tileAddress.ts'
import { unpackCoords, SOLID_WATER, type TileGeometry } from './geo/tileCodec.ts'
import { BORDER, LAND, WATER } from './basemapStyle.ts'
import type { PackStore, ResolvedTile } from './packStore.ts'

const TILE = 256

/**
 * The offline basemap's geometry as a Leaflet grid layer of canvas tiles: land colour, then sea, lakes
 * and river areas filled in water colour (non-zero: the sources wind outer rings
 * one way and holes the other, and their pieces overlap), then country borders. Each view tile draws one data
 * tile (PackStore.resolve), scaled; the canvas clips what lies outside it.
 */
export function offlineLayer(store: PackStore): L.GridLayer {
  const Layer = L.GridLayer.extend({
    createTile(coords: L.Coords, done: L.DoneCallback): HTMLElement {
      const canvas = document.createElement('canvas')
      canvas.className = 'fleet-basemap-tile'
      const dpr = Math.min(2, Math.max(1, Math.round(window.devicePixelRatio || 1)))
      canvas.width = TILE * dpr
      canvas.height = TILE * dpr
      store.resolve(coords.z, coords.x, coords.y).then(
        (tile) => {
          drawTile(canvas, tile, dpr)
          done(undefined, canvas)
        },
        (err: unknown) => done(err instanceof Error ? err : new Error(String(err)), canvas),
      )
      return canvas
    },
  })
  const Ctor = Layer as unknown as new (o: L.GridLayerOptions) => L.GridLayer
  return new Ctor({ tileSize: TILE, className: 'fleet-basemap', updateWhenZooming: false })
}

function drawTile(canvas: HTMLCanvasElement, { entry, view }: ResolvedTile, dpr: number): void {
  const ctx = canvas.getContext('2d')
  if (!ctx) return
  ctx.fillStyle = entry === SOLID_WATER ? WATER : LAND
  ctx.fillRect(0, 0, canvas.width, canvas.height)
  if (typeof entry !== 'object') return
  const s = (TILE * dpr * view.scale) / EXTENT
  ctx.setTransform(s, 0, 0, s, -view.subX * TILE * dpr, -view.subY * TILE * dpr)
  fillLayer(ctx, entry, 's')
  fillLayer(ctx, entry, 'l')
  fillLayer(ctx, entry, 'r')
  const borders = entry.b
  if (borders) {
    ctx.beginPath()
    for (const line of borders) tracePath(ctx, line, false)
    // The path keeps the scaled coordinates; the stroke width stays in screen pixels.
    ctx.setTransform(1, 0, 0, 1, 0, 0)
    ctx.strokeStyle = BORDER
    ctx.lineWidth = 1.2 * dpr
    ctx.setLineDash([4 * dpr, 3 * dpr])
    ctx.stroke()
  }
  ctx.setTransform(1, 0, 0, 1, 0, 0)
}

function fillLayer(ctx: CanvasRenderingContext2D, tile: TileGeometry, key: 's' | 'l' | 'r'): void {
  const rings = tile[key]
  if (!rings) return
  ctx.beginPath()
  for (const ring of rings) tracePath(ctx, ring, true)
  ctx.fillStyle = WATER
  ctx.fill('nonzero')
}

function tracePath(ctx: CanvasRenderingContext2D, packed: string, close: boolean): void {
  const c = unpackCoords(packed)
  ctx.moveTo(c[0]!, c[1]!)
  for (let i = 2; i < c.length; i += 2) ctx.lineTo(c[i]!, c[i + 1]!)
  if (close) ctx.closePath()
}
