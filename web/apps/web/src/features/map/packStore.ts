import {
  dataTileAt,
  dataZoomFor,
  packOf,
  packPath,
  previousDataZoom,
  wrapX,
  type DataTileView,
} from './geo/tileAddress.ts'
import { SOLID_LAND, type Pack, type TileEntry } from './geo/tileCodec.ts'

/** What a view tile draws: a data tile's entry and where the view tile sits inside it. */
export interface ResolvedTile {
  entry: TileEntry
  view: DataTileView
}

const MAX_PACKS = 96

/**
 * Fetches and caches the offline basemap's packs (geo/tileAddress.ts). A pack that is missing (404) or
 * unreadable is remembered as null: the previous data zoom's tile covers that area.
 */
export class PackStore {
  private readonly packs = new Map<string, Promise<Pack | null>>()
  private readonly loaded = new Map<string, Pack | null>()
  private readonly listeners = new Set<() => void>()

  constructor(
    private readonly baseUrl: string,
    private readonly fetchImpl: typeof fetch = (...args) => fetch(...args),
  ) {}

  /** The pack at (dz, px, py), fetched once. */
  get(dz: number, px: number, py: number): Promise<Pack | null> {
    const path = packPath({ dz, px, py })
    let p = this.packs.get(path)
    if (!p) {
      p = this.fetchImpl(this.baseUrl + path)
        .then((r) => (r.ok ? (r.json() as Promise<Pack>) : null))
        .then((pack) => (pack && Array.isArray(pack.t) ? pack : null))
        .catch(() => null)
        .then((pack) => {
          this.loaded.set(path, pack)
          for (const l of this.listeners) l()
          return pack
        })
      this.packs.set(path, p)
      this.evict()
    }
    return p
  }

  /** The pack if it has arrived (null: it does not exist), undefined while unknown. */
  peek(dz: number, px: number, py: number): Pack | null | undefined {
    return this.loaded.get(packPath({ dz, px, py }))
  }

  /** Called after each pack arrives (the label layer redraws). */
  onLoad(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** The data view tile (z, x, y) draws: its data zoom's tile, or a lower one where that has none. */
  async resolve(z: number, x: number, y: number): Promise<ResolvedTile> {
    const wx = wrapX(x, z)
    for (let dz: number | null = dataZoomFor(z); dz !== null; dz = previousDataZoom(dz)) {
      const view = dataTileAt(dz, z, wx, y)
      const a = packOf(dz, view.x, view.y)
      const pack = await this.get(dz, a.px, a.py)
      const entry = pack?.t[a.index]
      if (entry !== undefined && entry !== null) return { entry, view }
    }
    return { entry: SOLID_LAND, view: dataTileAt(0, z, wx, y) }
  }

  /** Keeps the newest MAX_PACKS packs (Map order is insertion order). */
  private evict(): void {
    while (this.packs.size > MAX_PACKS) {
      const oldest = this.packs.keys().next().value as string
      this.packs.delete(oldest)
      this.loaded.delete(oldest)
    }
  }
}
