/**
 * The live page's scoped stream in Chromium against a real fleetd (issue 14): with Settings → Stream →
 * "Map view only" the page sends its viewport as a view (debounced 250 ms after the last pan or zoom); a
 * vehicle outside the view is not updated while one inside is, and is shown "outside the map view"; panning
 * to it brings its newest position in the scoped snapshot; a followed vehicle keeps updating outside the
 * view's boxes. No simulator: the test creates three vehicles in three cities and posts every point itself.
 */
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDevice, holdFor, launchBrowser, markers, mintToken, postPoint, signIn, sleep, startFleetd, waitFor, type Fleetd } from './harness.ts'

const ORG = 'org_acme'
const PARIS = { lat: 48.8566, lon: 2.3522 }
const LYON = { lat: 45.764, lon: 4.8357 }
const MARSEILLE = { lat: 43.2965, lon: 5.3698 }

let fleetd: Fleetd
let browser: Awaited<ReturnType<typeof launchBrowser>> | null = null
let page: Page
const dev: Record<'paris' | 'lyon' | 'marseille', { id: string; key: string }> = {} as never

/** One `view` the page sent, with when it left (this test's clock), and the scoped snapshots it got. */
interface SentView {
  at: number
  id: number
  boxes?: [number, number, number, number][]
  devices?: string[]
}
const sentViews: SentView[] = []
const scopedSnapshots: { view: number; devices: { id: string; last: { lat: number; lon: number } | null }[] }[] = []

function record(p: Page): void {
  p.on('websocket', (ws) => {
    ws.on('framesent', (f) => {
      const m = JSON.parse(f.payload.toString()) as Record<string, unknown>
      if (m.type === 'view') sentViews.push({ at: Date.now(), ...(m as unknown as Omit<SentView, 'at'>) })
    })
    ws.on('framereceived', (f) => {
      const text = f.payload.toString()
      if (!text.startsWith('{"type":"snapshot"')) return
      const m = JSON.parse(text) as (typeof scopedSnapshots)[number] & { view?: number }
      if (m.view !== undefined) scopedSnapshots.push(m)
    })
  })
}

function inBoxes(v: SentView | undefined, p: { lat: number; lon: number }): boolean {
  return (v?.boxes ?? []).some(([w, s, e, n]) => p.lon >= w && p.lon <= e && p.lat >= s && p.lat <= n)
}

/** Moves the map as a user would (a wheel event stops the page's fit to the fleet), without a drag. */
async function showMap(at: { lat: number; lon: number }, zoom = 12): Promise<void> {
  await page.evaluate(
    ([lat, lon, z]) => {
      document.querySelector('.leaflet-container')!.dispatchEvent(new WheelEvent('wheel', { deltaY: 0, bubbles: true }))
      ;(window as unknown as { __fleetBasemap: { view(a: number, b: number, z: number): void } }).__fleetBasemap.view(lat!, lon!, z!)
    },
    [at.lat, at.lon, zoom],
  )
}

async function marker(id: string): Promise<{ lat: number; lon: number } | null> {
  return (await markers(page)).find((m) => m.id === id) ?? null
}

function near(a: { lat: number; lon: number } | null, b: { lat: number; lon: number }): boolean {
  return a !== null && Math.abs(a.lat - b.lat) < 2e-6 && Math.abs(a.lon - b.lon) < 2e-6
}

async function rowInView(id: string): Promise<string | null> {
  return page.locator(`[data-testid="device-row"][data-device-id="${id}"]`).getAttribute('data-in-view')
}

/** The newest view sent whose boxes contain `p`, once its scoped snapshot has arrived. */
async function viewAnswered(what: string, p: { lat: number; lon: number }): Promise<SentView> {
  return waitFor(what, () => {
    const v = sentViews.at(-1)
    return v && inBoxes(v, p) && scopedSnapshots.some((s) => s.view === v.id) ? v : null
  })
}

beforeAll(async () => {
  fleetd = await startFleetd()
  const token = await mintToken(fleetd.url, { user: 'user_views', org: ORG })
  for (const [name, at] of [
    ['paris', PARIS],
    ['lyon', LYON],
    ['marseille', MARSEILLE],
  ] as const) {
    dev[name] = await createDevice(fleetd.url, token, `van-${name}`)
    await postPoint(fleetd.url, dev[name].key, { ...at, speed_kph: 30 })
  }
  browser = await launchBrowser()
  page = await browser.context.newPage()
  page.on('pageerror', (err) => console.error('[page error]', err))
  record(page)
}, 60_000)

afterAll(async () => {
  await browser?.close().catch(() => {})
  await fleetd?.stop()
})

describe('the map view scopes the stream', () => {
  it('"Map view only": the viewport goes out as the view; a vehicle outside it is not updated, one inside is', async () => {
    await signIn(page, fleetd.url, { user: 'user_alice', org: ORG })
    await waitFor('three vehicles', async () => (await markers(page)).length === 3)
    // Three vehicles: "automatic" streams the whole fleet, and sends no view.
    await sleep(600)
    expect(sentViews).toEqual([])
    await page.getByTestId('settings-button').click()
    await page.getByTestId('stream-view').check()
    await page.getByTestId('settings-button').click()
    await waitFor('the basemap hook', () => page.evaluate(() => '__fleetBasemap' in window || null))
    await showMap(PARIS)
    const paris = await viewAnswered('a view of Paris answered', PARIS)
    expect(inBoxes(paris, LYON)).toBe(false)
    await waitFor('Lyon outside the map view', async () => (await rowInView(dev.lyon.id)) === 'false')
    expect(await rowInView(dev.paris.id)).toBe('true')
    await expect
      .poll(() => page.locator(`[data-testid="device-row"][data-device-id="${dev.lyon.id}"]`).textContent())
      .toContain('outside the map view')
    expect(await page.locator(`[data-testid="vehicle-marker"][data-device-id="${dev.lyon.id}"]`).getAttribute('class')).toContain('outside')
    expect(await page.getByTestId('device-count').textContent()).toContain('2 outside the map view') // Lyon and Marseille

    const parisNext = { lat: PARIS.lat + 0.001, lon: PARIS.lon + 0.001 }
    const lyonNext = { lat: LYON.lat + 0.01, lon: LYON.lon + 0.01 }
    await postPoint(fleetd.url, dev.lyon.key, { ...lyonNext, speed_kph: 31 })
    await postPoint(fleetd.url, dev.paris.key, { ...parisNext, speed_kph: 31 })
    await waitFor('the vehicle in view to move', async () => near(await marker(dev.paris.id), parisNext))
    // Posted first, so it would have arrived by now: the stream does not carry it.
    await holdFor(1500, async () => expect(near(await marker(dev.lyon.id), LYON)).toBe(true))
  })

  it('pans and zooms are sent once, 250 ms after the last of them', async () => {
    const before = sentViews.length
    const steps = [0.01, 0.02, 0.03, 0.04, 0.05]
    let lastPan = 0
    for (const d of steps) {
      await showMap({ lat: PARIS.lat, lon: PARIS.lon + d })
      lastPan = Date.now()
      await sleep(60)
    }
    await sleep(1200)
    const burst = sentViews.slice(before)
    expect(burst).toHaveLength(1)
    expect(burst[0]!.at - lastPan).toBeGreaterThanOrEqual(200) // 250 ms, less the test's own timing slack
    expect(inBoxes(burst[0], { lat: PARIS.lat, lon: PARIS.lon + 0.05 })).toBe(true)
    expect(burst[0]!.id).toBeGreaterThan(sentViews[before - 1]!.id)
  })

  it('panning to a vehicle outside the view brings its newest position in the scoped snapshot', async () => {
    const lyonNext = { lat: LYON.lat + 0.01, lon: LYON.lon + 0.01 }
    await showMap(LYON)
    const v = await viewAnswered('a view of Lyon answered', LYON)
    const snap = scopedSnapshots.find((s) => s.view === v.id)!
    expect(snap.devices.map((d) => d.id)).toContain(dev.lyon.id)
    expect(snap.devices.map((d) => d.id)).not.toContain(dev.paris.id)
    await waitFor('Lyon at the position posted while outside the view', async () => near(await marker(dev.lyon.id), lyonNext))
    await waitFor('Lyon back in view', async () => (await rowInView(dev.lyon.id)) === 'true')
    expect(await rowInView(dev.paris.id)).toBe('false')
  })

  it('the followed vehicle keeps updating outside the view', async () => {
    await page.locator(`[data-testid="device-row"][data-device-id="${dev.marseille.id}"]`).click()
    await page.getByTestId('details-panel').getByRole('button', { name: /^Follow/ }).click()
    await expect.poll(() => page.getByTestId('follow-chip').textContent()).toContain('Following van-marseille')
    for (let i = 1; i <= 3; i++) {
      // Following pans the map to the vehicle (0.25 s): once that is over, look at Lyon without a drag
      // (a drag would end following), so the view's boxes leave Marseille out and only `devices` keeps it.
      await sleep(600)
      await showMap(LYON)
      const v = await waitFor('a view of Lyon keeping the followed vehicle, answered', () => {
        const last = sentViews.at(-1)
        const ok = last && inBoxes(last, LYON) && !inBoxes(last, MARSEILLE) && last.devices?.includes(dev.marseille.id)
        return ok && scopedSnapshots.some((s) => s.view === last.id) ? last : null
      })
      const next = { lat: MARSEILLE.lat - 0.002 * i, lon: MARSEILLE.lon - 0.002 * i }
      expect(inBoxes(v, next)).toBe(false)
      await postPoint(fleetd.url, dev.marseille.key, { ...next, speed_kph: 40 })
      await waitFor(`the followed vehicle's point ${i}`, async () => near(await marker(dev.marseille.id), next))
    }
    expect(await rowInView(dev.marseille.id)).toBe('true')
  })
})
