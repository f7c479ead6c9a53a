import { describe, expect, it } from 'vitest'
import { PackStore } from '../src/features/map/packStore.ts'

/** A fake basemap directory: path → pack (anything else 404s), recording what was fetched. */
function fakeFetch(files: Record<string, unknown>, seen: string[]): typeof fetch {
  return async (input) => {
    const path = String(input).replace('/basemap/', '')
    seen.push(path)
    return path in files ? new Response(JSON.stringify(files[path])) : new Response('not found', { status: 404 })
  }
}

describe('PackStore.resolve', () => {
  it('draws a view tile from its data zoom pack when it has the tile', async () => {
    const seen: string[] = []
    const tile = { s: ['AAA='] }
    const t = new Array(64).fill(1)
    t[(352 - 44 * 8) * 8 + (518 - 64 * 8)] = tile
    const store = new PackStore('/basemap/', fakeFetch({ '10/64-44.pack': { t } }, seen))
    const r = await store.resolve(14, 8298, 5636)
    expect(r.entry).toEqual(tile)
    expect(r.view).toMatchObject({ dz: 10, x: 518, y: 352, scale: 16, subX: 10, subY: 4 })
    expect(seen).toEqual(['10/64-44.pack'])
  })

  it('falls back to the previous data zoom where a pack does not exist (one colour there), fetching each pack once', async () => {
    const seen: string[] = []
    const t = new Array(64).fill(0)
    // Zoom 8 tile (129, 88) holds Paris's zoom-10 tile; its pack is 8/16-11, index (88 − 88)·8 + (129 − 128).
    t[1] = 1
    const store = new PackStore('/basemap/', fakeFetch({ '8/16-11.pack': { t } }, seen))
    const r = await store.resolve(14, 8298, 5636)
    expect(r.entry).toBe(1)
    expect(r.view).toMatchObject({ dz: 8, x: 129, y: 88, scale: 64 })
    await store.resolve(14, 8299, 5636)
    expect(seen).toEqual(['10/64-44.pack', '8/16-11.pack'])
    expect(store.peek(10, 64, 44)).toBeNull()
  })

  it('wraps tiles of other world copies onto the same packs', async () => {
    const seen: string[] = []
    const store = new PackStore('/basemap/', fakeFetch({ '0/0-0.pack': { t: [0] } }, seen))
    expect((await store.resolve(0, -1, 0)).entry).toBe(0)
    expect((await store.resolve(1, 3, 1)).view).toMatchObject({ dz: 0, x: 0, y: 0, subX: 1, subY: 1 })
  })
})
