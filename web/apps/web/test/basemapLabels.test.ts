import { describe, expect, it } from 'vitest'
import { placeLabels } from '../src/features/map/labels.ts'
import { parseAppConfig, resolveTileSource } from '../src/features/map/tileSource.ts'

describe('label collision', () => {
  const view = { width: 400, height: 300 }
  it('keeps the bigger place when two names overlap, and both when they do not', () => {
    const paris = { name: 'Paris', x: 100, y: 100, width: 50, height: 15, rank: 2_000_000 }
    const boulogne = { name: 'Boulogne', x: 120, y: 104, width: 60, height: 12, rank: 100_000 }
    const lyon = { name: 'Lyon', x: 300, y: 250, width: 40, height: 13, rank: 500_000 }
    expect(placeLabels([boulogne, paris, lyon], view).map((l) => l.name)).toEqual(['Paris', 'Lyon'])
  })

  it('drops names that would stick out of the view', () => {
    expect(placeLabels([{ name: 'Edge', x: 5, y: 100, width: 40, height: 12, rank: 1 }], view)).toEqual([])
  })
})

describe('tile source', () => {
  const fallback = { tileUrl: 'https://build.example/{z}/{x}/{y}.png', attribution: 'build' }
  const reply = (status: number, body: unknown) => async () => new Response(JSON.stringify(body), { status })

  it('reads fleetd app-config', () => {
    expect(parseAppConfig({ map: { tile_url: 'http://t/{z}/{x}/{y}.png', attribution: 'A' } })).toEqual({
      tileUrl: 'http://t/{z}/{x}/{y}.png',
      attribution: 'A',
    })
    expect(parseAppConfig({ map: { tile_url: '' } })).toBeNull()
    expect(parseAppConfig('nope')).toBeNull()
  })

  it('prefers fleetd, falls back to the build setting, and treats a failed request as naming none', async () => {
    const server = { map: { tile_url: 'http://fleetd/{z}/{x}/{y}.png', attribution: 'F' } }
    expect((await resolveTileSource('', fallback, reply(200, server))).tileUrl).toBe('http://fleetd/{z}/{x}/{y}.png')
    expect(await resolveTileSource('', fallback, reply(200, { map: { tile_url: '' } }))).toEqual(fallback)
    expect(await resolveTileSource('', fallback, reply(404, { error: 'not_found' }))).toEqual(fallback)
    const offline = { tileUrl: '', attribution: '' }
    const failing = async (): Promise<Response> => {
      throw new TypeError('network')
    }
    expect(await resolveTileSource('', offline, failing)).toEqual(offline)
  })
})
