/**
 * History replay against a real fleetd: a device with a scripted track at known past device times (moving
 * north, one 4-minute stop, moving east) is replayed in the browser through the vehicle's details →
 * Replay. The replay marker's hidden record (`data-testid="replay-marker"`) is watched by a
 * MutationObserver, so every position it ever shows is checked, not a sample.
 */
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ARTIFACTS,
  createDevice,
  drawnVehiclePoint,
  formatAxeViolations,
  markers,
  postPoint,
  holdFor,
  launchBrowser,
  mintToken,
  runAxe,
  selectedMarkers,
  signIn,
  startFleetd,
  waitFor,
  type AxeViolation,
  type Fleetd,
} from './harness.ts'

const ORG = 'org_acme'
const STEP_S = 20
const LAT0 = 48.85
const LON0 = 2.35

interface TrackPoint {
  ts: number
  lat: number
  lon: number
  heading_deg: number
  speed_kph: number
}

/**
 * 12 points north 111 m apart, then 13 points over 4 min within ~2 m of one place (the stop), then 12
 * points east 110 m apart, one every 20 s from `t0`.
 */
/** Positions at the 1e-6° the store keeps, so what the page shows compares exactly. */
const r6 = (deg: number) => Math.round(deg * 1e6) / 1e6

function scriptedTrack(t0: number): { points: TrackPoint[]; stop: { first: number; last: number; lat: number; lon: number } } {
  const points: TrackPoint[] = []
  const at = () => t0 + points.length * STEP_S * 1000
  for (let i = 0; i < 12; i++) points.push({ ts: at(), lat: r6(LAT0 + i * 0.001), lon: LON0, heading_deg: 0, speed_kph: 20 })
  const stopLat = r6(LAT0 + 0.012)
  const first = points.length
  for (let i = 0; i < 13; i++) points.push({ ts: at(), lat: r6(stopLat + (i % 2 ? 0.00002 : -0.00002)), lon: LON0, heading_deg: 0, speed_kph: 0 })
  const last = points.length - 1
  for (let i = 1; i <= 12; i++) points.push({ ts: at(), lat: stopLat, lon: r6(LON0 + i * 0.0015), heading_deg: 90, speed_kph: 20 })
  return { points, stop: { first, last, lat: stopLat, lon: LON0 } }
}

interface Seen {
  lat: number
  lon: number
  ts: number
}

let fleetd: Fleetd
let browser: Awaited<ReturnType<typeof launchBrowser>> | null = null
let page: Page
let deviceId: string
let adminToken: string
// Whole minutes two hours ago, so the range inputs (minute resolution) can name it exactly.
const T0 = Math.floor((Date.now() - 2 * 3_600_000) / 60_000) * 60_000
const { points: TRACK, stop: STOP } = scriptedTrack(T0)
const byTs = new Map(TRACK.map((p) => [p.ts, p]))

async function shown(): Promise<Seen> {
  const el = page.getByTestId('replay-marker')
  const [lat, lon, ts] = await Promise.all(['data-lat', 'data-lon', 'data-ts'].map((a) => el.getAttribute(a)))
  return { lat: Number(lat), lon: Number(lon), ts: Number(ts) }
}

async function waitShownTs(ts: number, what: string): Promise<void> {
  await waitFor(what, async () => (await shown()).ts === ts, 5_000, 50)
}

/** axe-core's WCAG A/AA rules over the replay panel only (the rest of the page is other tests' concern). */
function axeOnReplayPanel(): Promise<AxeViolation[]> {
  return runAxe(page, ['.replay-panel'])
}

/** A `datetime-local` value for `ms` in the browser's zone (the page's default time zone setting). */
function localInput(ms: number): Promise<string> {
  return page.evaluate((t) => {
    const d = new Date(t)
    const p = (n: number) => String(n).padStart(2, '0')
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`
  }, ms)
}

beforeAll(async () => {
  fleetd = await startFleetd()
  adminToken = await mintToken(fleetd.url, { user: 'user_replay', org: ORG })
  const dev = await createDevice(fleetd.url, adminToken, 'replay-van')
  deviceId = dev.id
  const r = await fetch(`${fleetd.url}/api/v1/telemetry`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${dev.key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(TRACK),
  })
  expect(r.status).toBe(202)
  // And one live point, so the vehicle is drawn as moving (clickable on the map), outside the replayed range.
  await postPoint(fleetd.url, dev.key, { lat: 48.862, lon: 2.368, speed_kph: 20, heading_deg: 90 })
  browser = await launchBrowser()
  page = await browser.context.newPage()
  page.on('pageerror', (err) => console.error('[page error]', err))
}, 60_000)

afterAll(async () => {
  await browser?.close().catch(() => {})
  await fleetd?.stop()
})

describe('History replay against a real fleetd', () => {
  it('opens from the vehicle’s details and says when a range is empty', async () => {
    await signIn(page, fleetd.url, { user: 'user_alice', org: ORG })
    // Selected on the map, not in the list (which also pans the map and so ends fitting it to the fleet):
    // the page still fits the fleet until the replay takes the view over (checked in the next test).
    await waitFor(
      'a click on the drawn vehicle to select it',
      async () => {
        if ((await selectedMarkers(page)).includes(deviceId)) return true
        const at = await drawnVehiclePoint(page)
        if (at) await page.mouse.click(at.x, at.y)
        return false
      },
      15_000,
      500,
    )
    await page.getByTestId('details-panel').getByRole('button', { name: 'Replay', exact: true }).click()
    await page.getByTestId('replay-panel').waitFor()
    // Focus moves into the panel, so the keyboard reaches its controls next.
    const focused = () => page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? document.activeElement?.textContent)
    await waitFor('focus in the replay panel', async () => (await focused()) === 'replay-panel')
    await page.keyboard.press('Tab')
    expect(await focused()).toBe('replay-close')

    await page.getByTestId('replay-from').fill(await localInput(T0 - 86_400_000))
    await page.getByTestId('replay-to').fill(await localInput(T0 - 3_600_000))
    await page.getByTestId('replay-load').click()
    await waitFor('the empty-range message', async () => (await page.getByTestId('replay-status').textContent()) === 'No points in this range.')
    expect(await page.getByTestId('replay-marker').count()).toBe(0)
  })

  it('shows an HTTP error with its message, and cancels a load that hangs', async () => {
    const history = `**/api/v1/devices/${deviceId}/telemetry?**`
    try {
      await page.route(history, (route) =>
        route.fulfill({
          status: 503,
          headers: { 'Content-Type': 'application/json', 'Retry-After': '1' },
          body: JSON.stringify({ error: { code: 'unavailable', message: 'store queue full' } }),
        }),
      )
      await page.getByTestId('replay-load').click()
      await waitFor('the error', async () => (await page.getByTestId('replay-error').textContent()) === 'History unavailable: store queue full')
      await page.unroute(history)

      // A request that never answers: Cancel loading aborts it and says so.
      let held = 0
      await page.route(history, () => void held++)
      await page.getByTestId('replay-load').click()
      await waitFor('the load to be under way', async () => held === 1 && (await page.getByTestId('replay-status').textContent())?.startsWith('Loading'))
      await page.getByTestId('replay-cancel').click()
      await waitFor('the cancelled load', async () => (await page.getByTestId('replay-status').textContent()) === 'Loading cancelled.')
    } finally {
      await page.unroute(history)
    }
  })

  it('loads the range, marks exactly the one stop and fits the map to the track', async () => {
    const end = TRACK[TRACK.length - 1]!.ts
    await page.getByTestId('replay-from').fill(await localInput(T0))
    await page.getByTestId('replay-to').fill(await localInput(end + 60_000))
    await page.getByTestId('replay-load').click()
    await waitFor('the loaded track', async () => (await page.getByTestId('replay-status').textContent()) === `${TRACK.length} points, 1 stop.`)

    // The marker starts at the first point.
    expect(await shown()).toEqual({ lat: TRACK[0]!.lat, lon: TRACK[0]!.lon, ts: T0 })

    const stops = page.getByTestId('replay-stop')
    expect(await stops.count()).toBe(1)
    const attr = async (a: string) => Number(await stops.first().getAttribute(a))
    expect(await attr('data-start-ts')).toBe(TRACK[STOP.first]!.ts)
    expect(await attr('data-end-ts')).toBe(TRACK[STOP.last]!.ts)
    expect(await attr('data-duration-ms')).toBe(240_000)
    expect(Math.abs((await attr('data-lat')) - STOP.lat)).toBeLessThan(1e-4)
    expect(Math.abs((await attr('data-lon')) - STOP.lon)).toBeLessThan(1e-4)

    // On the map: the track, one stop circle and the replay marker, the whole track in view and not under
    // the panel.
    expect(await page.locator('.leaflet-overlay-pane path.replay-track').count()).toBe(1)
    expect(await page.locator('.leaflet-overlay-pane path.replay-stop-mark').count()).toBe(1)
    expect(await page.locator('.leaflet-marker-pane .replay-marker').count()).toBe(1)
    const trackPlacement = () => page.evaluate(() => {
      const track = document.querySelector('.leaflet-overlay-pane path.replay-track')!.getBoundingClientRect()
      const map = document.querySelector('[data-testid="live-map"]')!.getBoundingClientRect()
      const panel = document.querySelector('[data-testid="replay-panel"]')!.getBoundingClientRect()
      const inMap = track.left >= map.left && track.right <= map.right && track.top >= map.top && track.bottom <= map.bottom
      const underPanel = track.right > panel.left && track.left < panel.right && track.bottom > panel.top && track.top < panel.bottom
      return { inMap, underPanel, width: track.width }
    })
    const fitted = await trackPlacement()
    expect(fitted).toMatchObject({ inMap: true, underPanel: false })
    expect(fitted.width).toBeGreaterThan(100)

    // A vehicle appearing far away does not refit the map to the fleet while the replay shows the track.
    const far = await createDevice(fleetd.url, adminToken, 'far-van')
    await postPoint(fleetd.url, far.key, { lat: 52.52, lon: 13.405 })
    await waitFor('the new vehicle on the map', async () => (await markers(page)).some((m) => m.id === far.id))
    await holdFor(1_500, async () => expect(await trackPlacement()).toEqual(fitted), 250)
    await page.screenshot({ path: join(ARTIFACTS, 'replay.png') })
    const violations = await axeOnReplayPanel()
    expect(violations, formatAxeViolations(violations)).toEqual([])
  })

  it('plays the track in order: every position shown is a track point, in ascending time', async () => {
    await page.evaluate(() => {
      const el = document.querySelector('[data-testid="replay-marker"]') as HTMLElement
      const seen: { lat: number; lon: number; ts: number }[] = []
      ;(window as unknown as { __replaySeen: typeof seen }).__replaySeen = seen
      new MutationObserver(() => {
        seen.push({ lat: Number(el.dataset.lat), lon: Number(el.dataset.lon), ts: Number(el.dataset.ts) })
      }).observe(el, { attributes: true, attributeFilter: ['data-ts'] })
    })
    await page.getByTestId('replay-speed').selectOption('60')
    await page.getByTestId('replay-play').click()
    const lastTs = TRACK[TRACK.length - 1]!.ts
    // 12 minutes of track at 60×: about 12 s, then playback pauses at the end.
    await waitFor('playback to reach the end', async () => (await shown()).ts === lastTs, 40_000, 250)
    await waitFor('playback to pause at the end', async () => (await page.getByTestId('replay-play').getAttribute('data-playing')) === 'false')

    const seen = await page.evaluate(() => (window as unknown as { __replaySeen: Seen[] }).__replaySeen)
    for (const s of seen) {
      const p = byTs.get(s.ts)
      expect(p, `shown ts ${s.ts} is a track point`).toBeDefined()
      expect([s.lat, s.lon]).toEqual([p!.lat, p!.lon])
    }
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.ts).toBeGreaterThan(seen[i - 1]!.ts)
    console.log(`[replay] the marker showed ${seen.length} of the ${TRACK.length - 1} points after the first, in order`)
    // One point every 20 s of device time is a third of a second at 60×: a frame may skip one on a busy
    // machine, but nearly all are shown, the stop's and the last included.
    expect(seen.length).toBeGreaterThanOrEqual(Math.floor(0.8 * (TRACK.length - 1)))
    expect(seen.some((s) => s.ts === TRACK[STOP.first]!.ts || s.ts === TRACK[STOP.first + 1]!.ts)).toBe(true)
    expect(seen.at(-1)!.ts).toBe(lastTs)
  })

  it('pause holds the marker still', async () => {
    await page.getByTestId('replay-speed').selectOption('16')
    await page.getByTestId('replay-play').click() // from the end: starts over
    await waitFor('playback past the second point', async () => (await shown()).ts > TRACK[1]!.ts, 10_000, 50)
    await page.getByTestId('replay-play').click()
    expect(await page.getByTestId('replay-play').getAttribute('data-playing')).toBe('false')
    const held = await shown()
    expect(held.ts).toBeLessThan(TRACK[TRACK.length - 1]!.ts)
    // At 16× a point is shown every 1.25 s while playing: 3 s paused must show none.
    await holdFor(3_000, async () => expect(await shown()).toEqual(held), 250)
  })

  it('the scrubber jumps (keyboard and pointer), and a listed stop scrubs to it', async () => {
    const scrubber = page.getByTestId('replay-scrubber')
    await scrubber.focus()
    await page.keyboard.press('Home')
    await waitShownTs(T0, 'Home to show the first point')
    await page.keyboard.press('ArrowRight')
    await waitShownTs(TRACK[1]!.ts, 'ArrowRight to show the second point')
    await page.keyboard.press('End')
    await waitShownTs(TRACK[TRACK.length - 1]!.ts, 'End to show the last point')
    await page.keyboard.press('ArrowLeft')
    await waitShownTs(TRACK[TRACK.length - 2]!.ts, 'ArrowLeft to show the point before')
    // A value between two points shows the older one.
    await scrubber.fill(String(TRACK[5]!.ts + 10_000))
    await waitShownTs(TRACK[5]!.ts, 'the scrubber value to show the point at or before it')
    expect(await shown()).toEqual({ lat: TRACK[5]!.lat, lon: TRACK[5]!.lon, ts: TRACK[5]!.ts })
    await page.getByTestId('replay-stop').getByRole('button').click()
    await waitShownTs(TRACK[STOP.first]!.ts, 'the listed stop to scrub to its start')
  })

  it('fits a 360 px wide screen, without axe violations', async () => {
    await page.setViewportSize({ width: 360, height: 740 })
    const fit = await waitFor('the panel inside a 360 px viewport', () =>
      page.getByTestId('replay-panel').evaluate((el) => {
        const r = el.getBoundingClientRect()
        return r.left >= 0 && r.right <= 360 && el.scrollWidth <= el.clientWidth ? { width: r.width } : null
      }),
    )
    expect(fit.width).toBeGreaterThan(300)
    await page.screenshot({ path: join(ARTIFACTS, 'replay-360.png') })
    const violations = await axeOnReplayPanel()
    expect(violations, formatAxeViolations(violations)).toEqual([])
    await page.setViewportSize({ width: 1280, height: 800 })
  })

  it('closing removes everything it drew', async () => {
    await page.getByTestId('replay-close').click()
    await page.getByTestId('replay-panel').waitFor({ state: 'detached' })
    expect(await page.locator('.replay-track, .replay-stop-mark, .replay-marker').count()).toBe(0)
    // Focus goes back to the Replay button that opened the panel.
    expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Replay')
  })

  it('opening a replay ends following the vehicle (it would pan the map away from the track)', async () => {
    const details = page.getByTestId('details-panel')
    const follow = details.getByRole('button', { name: 'Follow', exact: true })
    await follow.click()
    await waitFor('following on', async () => (await follow.getAttribute('aria-pressed')) === 'true')
    await details.getByRole('button', { name: 'Replay', exact: true }).click()
    await page.getByTestId('replay-panel').waitFor()
    await waitFor('following ended by the replay', async () => (await follow.getAttribute('aria-pressed')) === 'false')
  })
})
