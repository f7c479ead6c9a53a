import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { latToY, lonToX } from '../src/features/map/geo/mercator.ts'
import { DATA_ZOOMS, packOf, packPath } from '../src/features/map/geo/tileAddress.ts'
import { SOLID_LAND, type Pack, type Place } from '../src/features/map/geo/tileCodec.ts'
import { loadBorders, loadPlaces, loadWater } from './sources.ts'
import { tileAll, type Item } from './tiler.ts'

/** Smallest population whose name a data zoom carries (the label layer thins them further on screen). */
export const PLACE_MIN_POPULATION: Record<number, number> = { 0: 3_000_000, 2: 1_000_000, 4: 300_000, 6: 50_000, 8: 15_000, 10: 2_000 }

export interface BuildStats {
  packs: number
  tiles: number
  bytes: number
  ms: number
}

/** Builds the offline basemap's packs into `outDir` (tileAddress.ts, tileCodec.ts). Deterministic. */
export function buildBasemap(outDir: string, log: (msg: string) => void = () => {}): BuildStats {
  const t0 = Date.now()
  const items: Item[] = []
  for (const layer of ['s', 'l', 'r'] as const) {
    for (const it of loadWater(layer)) items.push(it)
    log(`basemap: loaded ${layer} (${items.length} items, ${Date.now() - t0} ms)`)
  }
  for (const it of loadBorders()) items.push(it)
  const maxZoom = DATA_ZOOMS[DATA_ZOOMS.length - 1]!
  const { tiles, solid } = tileAll(items, maxZoom)
  log(`basemap: ${tiles.size} data tiles, ${solid.size} solid (${Date.now() - t0} ms)`)

  const packs = new Map<string, { dz: number; px: number; py: number; pack: Pack }>()
  const packFor = (dz: number, x: number, y: number) => {
    const a = packOf(dz, x, y)
    const key = packPath(a)
    let p = packs.get(key)
    if (!p) {
      p = { dz, px: a.px, py: a.py, pack: { t: new Array(a.side * a.side).fill(null) } }
      packs.set(key, p)
    }
    return { entry: p, index: a.index }
  }
  for (const [key, geometry] of tiles) {
    const [z, x, y] = key.split('/').map(Number) as [number, number, number]
    const { entry, index } = packFor(z, x, y)
    entry.pack.t[index] = geometry
  }
  for (const place of loadPlaces()) addPlace(place, packFor)
  // Tiles without geometry in a written pack take the colour of the tile where the recursion stopped.
  let bytes = 0
  for (const [path, { dz, px, py, pack }] of packs) {
    const side = Math.sqrt(pack.t.length)
    for (let i = 0; i < pack.t.length; i++) {
      if (pack.t[i] !== null) continue
      pack.t[i] = solidAt(solid, dz, px * side + (i % side), py * side + Math.floor(i / side))
    }
    const file = join(outDir, path)
    mkdirSync(join(outDir, String(dz)), { recursive: true })
    const json = JSON.stringify(pack)
    writeFileSync(file, json)
    bytes += json.length
  }
  const stats = { packs: packs.size, tiles: tiles.size, bytes, ms: Date.now() - t0 }
  log(`basemap: ${stats.packs} packs, ${(bytes / 1e6).toFixed(1)} MB in ${stats.ms} ms`)
  return stats
}

function addPlace(
  place: Place,
  packFor: (dz: number, x: number, y: number) => { entry: { pack: Pack }; index: number },
): void {
  const [lat, lon, , population] = place
  for (const dz of DATA_ZOOMS) {
    if (population < (PLACE_MIN_POPULATION[dz] ?? Infinity)) continue
    const n = 2 ** dz
    const x = Math.min(n - 1, Math.floor(lonToX(lon) * n))
    const y = Math.min(n - 1, Math.floor(latToY(lat) * n))
    const { entry } = packFor(dz, x, y)
    ;(entry.pack.p ??= []).push(place)
  }
}

function solidAt(solid: Map<string, 0 | 1>, dz: number, x: number, y: number): 0 | 1 {
  for (let z = dz; z >= 0; z--) {
    const k = dz - z
    const c = solid.get(`${z}/${x >> k}/${y >> k}`)
    if (c !== undefined) return c
  }
  return SOLID_LAND
}
