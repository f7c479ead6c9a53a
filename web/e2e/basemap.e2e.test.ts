import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ARTIFACTS, MARKER_MONITOR, createDevice, launchBrowser, mintToken, postPoint, signIn, startFleetd, waitFor, type Fleetd } from './harness.ts'

// The offline basemap (web/README, "Basemap") against a real fleetd serving the built app, and the tile
// source setting (fleetd --map-tiles).
const ORG = 'org_acme'
const OTHER_ORG = 'org_globex'
/** Times Square, Manhattan; the Hudson west of it is water in the OpenStreetMap sea polygon. */
const MANHATTAN = { lat: 40.758, lon: -73.9855 }
const HUDSON = { lat: 40.7635, lon: -74.0045 }
const LAND = [0xf2, 0xef, 0xe9]
const WATER = [0xaa, 0xd3, 0xdf]

let fleetd: Fleetd
let browser: Awaited<ReturnType<typeof launchBrowser>> | null = null
let page: Page

/** The offline basemap tile canvas's colour at a place (null until the tile under it is drawn). */
function colourAt(p: Page, lat: number, lon: number): Promise<number[] | null> {
  return p.evaluate(
    ([lat, lon]) => {
      const hook = (window as unknown as { __fleetBasemap?: { point(lat: number, lon: number): { x: number; y: number } } })
        .__fleetBasemap
      if (!hook) return null
      const { x, y } = hook.point(lat!, lon!)
      // Tiles ignore the pointer (elementsFromPoint skips them): find the drawn one under the point by its
      // box. Only the current zoom's tiles are 256 px wide (the previous level's are scaled while pruned).
      for (const el of document.querySelectorAll<HTMLCanvasElement>('canvas.fleet-basemap-tile.leaflet-tile-loaded')) {
        const r = el.getBoundingClientRect()
        if (Math.abs(r.width - 256) > 0.5 || x < r.left || x >= r.right || y < r.top || y >= r.bottom) continue
        const px = Math.floor(((x - r.left) * el.width) / r.width)
        const py = Math.floor(((y - r.top) * el.height) / r.height)
        return Array.from(el.getContext('2d')!.getImageData(px, py, 1, 1).data.slice(0, 3))
      }
      return null
    },
    [lat, lon],
  )
}

function near(c: number[] | null, want: number[]): boolean {
  return c !== null && c.every((v, i) => Math.abs(v - want[i]!) <= 6)
}

async function expectColour(p: Page, where: string, lat: number, lon: number, want: number[]): Promise<void> {
  let last: number[] | null = null
  await waitFor(`${where} to be drawn ${want === WATER ? 'water' : 'land'}-coloured`, async () => {
    last = await colourAt(p, lat, lon)
    return near(last, want) ? true : null
  }).catch(async (err: unknown) => {
    await p.screenshot({ path: join(ARTIFACTS, 'basemap-failed.png') })
    throw new Error(`${String(err)}; last colour ${JSON.stringify(last)} (e2e/artifacts/basemap-failed.png)`)
  })
}

/** Moves the map as a user would: a wheel event first, so the page stops fitting the view to the fleet. */
function view(p: Page, lat: number, lon: number, zoom: number): Promise<void> {
  return p.evaluate(
    ([lat, lon, zoom]) => {
      document.querySelector('.leaflet-container')!.dispatchEvent(new WheelEvent('wheel', { deltaY: 0, bubbles: true }))
      ;(window as unknown as { __fleetBasemap: { view(a: number, b: number, z: number): void } }).__fleetBasemap.view(lat!, lon!, zoom!)
    },
    [lat, lon, zoom],
  )
}

function drawnLabels(p: Page): Promise<string[]> {
  return p.$$eval('[data-testid="basemap-labels"] li', (els) => els.map((e) => e.textContent ?? ''))
}

beforeAll(async () => {
  fleetd = await startFleetd()
  const token = await mintToken(fleetd.url, { user: 'user_alice', org: ORG })
  const dev = await createDevice(fleetd.url, token, 'van-manhattan')
  await postPoint(fleetd.url, dev.key, { lat: MANHATTAN.lat, lon: MANHATTAN.lon })
  browser = await launchBrowser()
  await browser.context.addInitScript(MARKER_MONITOR)
  page = await browser.context.newPage()
  await signIn(page, fleetd.url, { user: 'user_alice', org: ORG })
  // Each test may run alone: the basemap is there once the first vehicle is.
  await waitFor('the basemap hook', () => page.evaluate(() => '__fleetBasemap' in window || null))
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await fleetd?.stop()
})

describe('offline basemap', () => {
  it('loads its geography only after the first vehicle is on the map', async () => {
    await waitFor('the basemap hook', () => page.evaluate(() => '__fleetBasemap' in window || null))
    await waitFor('a basemap pack request', () =>
      page.evaluate(() => performance.getEntriesByType('resource').some((e) => e.name.includes('/basemap/')) || null),
    )
    await waitFor('a vehicle marker', () =>
      page.evaluate(() => (window as unknown as { __e2eMarkers: unknown[] }).__e2eMarkers.length > 0 || null),
    )
    const { firstMarker, firstPack } = await page.evaluate(() => {
      const seen = (window as unknown as { __e2eMarkers: { t: number }[] }).__e2eMarkers
      const packs = performance.getEntriesByType('resource').filter((e) => e.name.includes('/basemap/'))
      return {
        firstMarker: Math.min(...seen.map((m) => m.t)),
        firstPack: performance.timeOrigin + Math.min(...packs.map((e) => e.startTime)),
      }
    })
    expect(firstPack, 'first basemap request (ms since epoch) vs first vehicle marker').toBeGreaterThanOrEqual(firstMarker)
  })

  it('at city zoom over Manhattan, draws the Hudson as water, the island as land, and place names', async () => {
    await view(page, MANHATTAN.lat, MANHATTAN.lon - 0.01, 14)
    await expectColour(page, 'the Hudson', HUDSON.lat, HUDSON.lon, WATER)
    await expectColour(page, 'Midtown Manhattan', MANHATTAN.lat, MANHATTAN.lon + 0.005, LAND)
    const labels = await waitFor('place names', async () => {
      const names = await drawnLabels(page)
      return names.length > 0 ? names : null
    })
    expect(labels.some((n) => ['Manhattan', 'Weehawken', 'Hoboken', 'West New York', 'Union City', 'Guttenberg'].includes(n))).toBe(
      true,
    )
    await page.screenshot({ path: join(ARTIFACTS, 'basemap-manhattan.png') })
    const scale = await page.locator('.leaflet-control-scale-line').first().textContent()
    expect(scale).toMatch(/^(200|300|500) m$|^1 km$/)
  })

  it('paints the North Atlantic and the Norwegian Sea as water at zoom 3, Iceland and Norway as land', async () => {
    await view(page, 60, -10, 3)
    await expectColour(page, 'the North Atlantic', 50, -30, WATER)
    await expectColour(page, 'the Norwegian Sea', 68, 2, WATER)
    await expectColour(page, 'Iceland', 64.9, -18.5, LAND)
    await expectColour(page, 'Norway', 61.5, 9.5, LAND)
    await page.screenshot({ path: join(ARTIFACTS, 'basemap-atlantic-z3.png') })
  })

  it('draws no band across the world at the antimeridian at zoom 2 (Russia, Fiji, Antarctica, Aleutians)', async () => {
    await view(page, 20, 180, 2)
    // Longitudes east of 180 are given as 180–360: the view's world copy is the one centred on 180.
    // Land on both sides of the date line where it is land...
    await expectColour(page, 'Chukotka (east of 180°)', 66, 187, LAND)
    await expectColour(page, 'Siberia', 64, 130, LAND)
    // ...and open sea along the latitudes a band would cover.
    await expectColour(page, 'the North Pacific', 45, 200, WATER)
    await expectColour(page, 'the North Pacific (west)', 40, 165, WATER)
    await expectColour(page, 'the South Pacific at Fiji’s latitude', -17, 220, WATER)
    await expectColour(page, 'the Southern Ocean', -55, 180, WATER)
    await expectColour(page, 'the Bering Sea', 57, 182, WATER)
    await expectColour(page, 'Antarctica', -80, 180, LAND)
    await page.screenshot({ path: join(ARTIFACTS, 'basemap-antimeridian-z2.png') })
  })
})

describe('tile source setting', () => {
  let tiles: Server
  const requested: string[] = []
  let tileFleetd: Fleetd | null = null

  beforeAll(async () => {
    // A 1×1 PNG for every tile.
    const png = Buffer.from(
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
      'base64',
    )
    tiles = createServer((req, res) => {
      requested.push(req.url ?? '')
      res.writeHead(200, { 'Content-Type': 'image/png', 'Access-Control-Allow-Origin': '*' })
      res.end(png)
    })
    await new Promise<void>((resolve) => tiles.listen(0, '127.0.0.1', resolve))
    const port = (tiles.address() as AddressInfo).port
    const before = process.env.FLEETD_ARGS
    process.env.FLEETD_ARGS = `${before ?? ''} --map-tiles http://127.0.0.1:${port}/{z}/{x}/{y}.png --map-attribution TestTiles`
    try {
      tileFleetd = await startFleetd()
    } finally {
      if (before === undefined) delete process.env.FLEETD_ARGS
      else process.env.FLEETD_ARGS = before
    }
  }, 60_000)

  afterAll(async () => {
    await tileFleetd?.stop()
    await new Promise((resolve) => tiles.close(resolve))
  })

  it('with fleetd --map-tiles the page draws that raster source and fetches no offline geography', async () => {
    const url = tileFleetd!.url
    const token = await mintToken(url, { user: 'user_bob', org: OTHER_ORG })
    const dev = await createDevice(url, token, 'truck-1')
    await postPoint(url, dev.key, { lat: 51.5, lon: -0.12 })
    const p = await browser!.context.newPage()
    try {
      await signIn(p, url, { user: 'user_bob', org: OTHER_ORG })
      await waitFor('tile requests at the configured source', () => (requested.some((r) => /^\/\d+\/\d+\/\d+\.png$/.test(r)) ? true : null))
      await waitFor('the attribution', async () => ((await p.locator('.leaflet-control-attribution').textContent())?.includes('TestTiles') ? true : null))
      const offline = await p.evaluate(() => performance.getEntriesByType('resource').filter((e) => e.name.includes('/basemap/')).length)
      expect(offline).toBe(0)
      expect(await p.locator('canvas.fleet-basemap-tile').count()).toBe(0)
    } finally {
      await p.close()
    }
  })
})
