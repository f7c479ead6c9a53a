/**
 * The map's vehicles in Chromium against a real fleetd, with devices this file creates and moves itself
 * (no simulator): follow keeps the followed vehicle centred across several map widths and ends on Stop, a
 * drag and an organization switch; zoomed out, vehicles are drawn as clusters whose counts add up to the
 * vehicles in view; the keyboard reaches the drawn clusters and vehicles (Tab, arrows, Enter zooms in to a
 * cluster and selects a vehicle); hovering a vehicle shows its name.
 */
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createDevice,
  drawnVehiclePoint,
  formatAxeViolations,
  launchBrowser,
  markers,
  mintToken,
  postPoint,
  runAxe,
  selectedMarkers,
  signIn,
  startFleetd,
  waitFor,
  type Fleetd,
} from './harness.ts'

const ORG_FOLLOW = 'org_acme'
const ORG_CLUSTER = 'org_globex'
/** Paris; 0.5 km east is about this many degrees of longitude there. */
const START = { lat: 48.8566, lon: 2.3522 }
const STEP_LON = 0.5 / (111.32 * Math.cos((START.lat * Math.PI) / 180))
const STEPS = 24 // 12 km: several widths of the map at the zoom the page fits one vehicle to
/** Three groups of four vehicles, tens of kilometres apart; the vehicles of a group a few metres apart. */
const GROUPS = [
  { lat: 48.8566, lon: 2.3522 },
  { lat: 48.8566, lon: 3.0522 },
  { lat: 49.3566, lon: 2.7022 },
]
const PER_GROUP = 4

let fleetd: Fleetd
let browser: Awaited<ReturnType<typeof launchBrowser>> | null = null
let page: Page
let follower: { id: string; key: string }
const clusterNames = new Set<string>()
const clusterDevices: { id: string; key: string; lat: number; lon: number }[] = []

/** The followed (selected, drawn orange) vehicle's offset from the map's centre, as a share of its size. */
async function offCentre(): Promise<{ dx: number; dy: number } | null> {
  const box = await page.getByTestId('live-map').boundingBox()
  const at = await drawnVehiclePoint(page, 'selected')
  if (!box || !at) return null
  return { dx: (at.x - (box.x + box.width / 2)) / box.width, dy: (at.y - (box.y + box.height / 2)) / box.height }
}

function central(off: { dx: number; dy: number } | null): boolean {
  return off !== null && Math.abs(off.dx) < 0.15 && Math.abs(off.dy) < 0.15
}

async function markerLon(id: string): Promise<number | null> {
  return (await markers(page)).find((m) => m.id === id)?.lon ?? null
}

/** The vehicle's record is at this longitude (the compact stream carries positions to 1e-6 degrees). */
async function atLon(id: string, lon: number): Promise<boolean> {
  const at = await markerLon(id)
  return at !== null && Math.abs(at - lon) < 2e-6
}

async function clusters(): Promise<{ count: number; lat: number; lon: number }[]> {
  return page.$$eval('[data-testid="vehicle-cluster"]', (els) =>
    els.map((e) => {
      const d = (e as HTMLElement).dataset
      return { count: Number(d.count), lat: Number(d.lat), lon: Number(d.lon) }
    }),
  )
}

/** Presses Tab until the map's keyboard layer has focus. */
async function tabToMap(): Promise<void> {
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur())
  await waitFor(
    'Tab to reach the map’s vehicles',
    async () => {
      await page.keyboard.press('Tab')
      return page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.testid === 'map-keyboard')
    },
    15_000,
    0,
  )
}

/** axe-core finds nothing to report on the page as it is (WCAG 2.x A/AA). */
async function expectNoAxeViolations(state: string): Promise<void> {
  const violations = await runAxe(page)
  expect(violations, `axe violations ${state}:\n${formatAxeViolations(violations)}`).toEqual([])
}

function activeItem(): Promise<{ key: string; label: string } | null> {
  return page.evaluate(() => {
    const box = document.querySelector('[data-testid="map-keyboard"]')
    const id = box?.getAttribute('aria-activedescendant')
    const el = id ? document.getElementById(id) : null
    return el ? { key: el.dataset.key ?? '', label: el.textContent ?? '' } : null
  })
}

beforeAll(async () => {
  fleetd = await startFleetd()
  const token = await mintToken(fleetd.url, { user: 'user_map', org: ORG_FOLLOW })
  follower = await createDevice(fleetd.url, token, 'truck-follow')
  await postPoint(fleetd.url, follower.key, { ...START, heading_deg: 90, speed_kph: 50 })
  const tokenC = await mintToken(fleetd.url, { user: 'user_map', org: ORG_CLUSTER })
  for (const [g, at] of GROUPS.entries()) {
    for (let i = 0; i < PER_GROUP; i++) {
      const name = `van-${g}-${i}`
      clusterNames.add(name)
      const d = await createDevice(fleetd.url, tokenC, name)
      clusterDevices.push({ ...d, lat: at.lat + 0.0002 * i, lon: at.lon + 0.0003 * i })
    }
  }
  browser = await launchBrowser()
  page = await browser.context.newPage()
  page.on('pageerror', (err) => console.error('[page error]', err))
}, 60_000)

afterAll(async () => {
  await browser?.close().catch(() => {})
  await fleetd?.stop()
})

describe('the map’s vehicles', () => {
  it('follow keeps the followed vehicle centred while it crosses several map widths', async () => {
    await signIn(page, fleetd.url, { user: 'user_alice', org: ORG_FOLLOW })
    await waitFor('the vehicle on the map', async () => (await markers(page)).length === 1)
    // The page fits the map to its one vehicle (street zoom) before the test follows it.
    const scaleBar = page.locator('.leaflet-control-scale-line')
    await waitFor('the map fitted to the vehicle', async () => /^\d+ m$/.test(((await scaleBar.textContent()) ?? '').trim()))
    await page.locator('[data-testid="device-row"]').first().click()
    await page.getByTestId('details-panel').getByRole('button', { name: /^Follow/ }).click()
    await expect.poll(() => page.getByTestId('follow-chip').textContent()).toContain('Following truck-follow')
    await expectNoAxeViolations('while following')

    const box = (await page.getByTestId('live-map').boundingBox())!
    const [value, unit] = ((await scaleBar.textContent()) ?? '').trim().split(/\s+/)
    const metresPerPx = (Number(value) * (unit === 'km' ? 1000 : 1)) / (await scaleBar.boundingBox())!.width
    let lon = START.lon
    for (let i = 1; i <= STEPS; i++) {
      lon += STEP_LON
      await postPoint(fleetd.url, follower.key, { lat: START.lat, lon, heading_deg: 90, speed_kph: 50 })
      await waitFor(`step ${i} on the map`, () => atLon(follower.id, lon), 5_000, 50)
      await waitFor(`the vehicle centred after step ${i}`, async () => central(await offCentre()), 3_000, 50)
    }
    // Zooming out with the wheel (pointer away from the vehicle) keeps following, around the vehicle.
    await page.mouse.move(box.x + box.width * 0.2, box.y + box.height * 0.3)
    await page.mouse.wheel(0, 300)
    lon += STEP_LON
    await postPoint(fleetd.url, follower.key, { lat: START.lat, lon, heading_deg: 90, speed_kph: 50 })
    await waitFor('the move after zooming', () => atLon(follower.id, lon), 5_000, 50)
    await waitFor('the vehicle centred after zooming', async () => central(await offCentre()), 3_000, 50)
    expect(await page.getByTestId('follow-chip').isVisible()).toBe(true)
    // The vehicle travelled several widths of the map (at the zoom it was followed at), and the map with it.
    expect((STEPS * 500) / metresPerPx / box.width).toBeGreaterThan(3)
  })

  it('Stop in the chip ends following: the next moves leave the map where it is', async () => {
    await page.getByRole('button', { name: 'Stop following truck-follow' }).click()
    await page.getByTestId('follow-chip').waitFor({ state: 'detached' })
    let lon = (await markerLon(follower.id))!
    for (let i = 0; i < 20; i++) {
      lon += STEP_LON
      await postPoint(fleetd.url, follower.key, { lat: START.lat, lon, heading_deg: 90, speed_kph: 50 })
    }
    await waitFor('the last move on the map', () => atLon(follower.id, lon), 5_000, 50)
    // 10 km east of the centre: off the map's central part (or off the map).
    await waitFor('the vehicle away from the centre', async () => !central(await offCentre()), 3_000, 50)
  })

  it('a drag of the map ends following; an organization switch ends it too', async () => {
    const follow = page.getByTestId('details-panel').getByRole('button', { name: /^Follow/ })
    await follow.click()
    await page.getByTestId('follow-chip').waitFor()
    await waitFor('the vehicle centred again', async () => central(await offCentre()), 3_000, 50)
    const box = (await page.getByTestId('live-map').boundingBox())!
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.7)
    await page.mouse.down()
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.6, { steps: 5 })
    await page.mouse.up()
    await page.getByTestId('follow-chip').waitFor({ state: 'detached' })
    expect(await follow.getAttribute('aria-pressed')).toBe('false')

    await follow.click()
    await page.getByTestId('follow-chip').waitFor()
    // The cluster organization's vehicles report now, so that they are fresh (not stale) in the next tests.
    for (const d of clusterDevices) await postPoint(fleetd.url, d.key, { lat: d.lat, lon: d.lon, speed_kph: 0 })
    await page.getByTestId('org-switcher').selectOption(ORG_CLUSTER)
    await page.getByTestId('follow-chip').waitFor({ state: 'detached' })
  })

  it('zoomed out, vehicles are drawn as clusters whose counts add up to the vehicles in view', async () => {
    await waitFor('the 12 vehicles', async () => (await markers(page)).length === GROUPS.length * PER_GROUP)
    // The page fits the three groups (tens of km apart): a zoom where each group is one cluster of four.
    const cs = await waitFor('three clusters', async () => {
      const c = await clusters()
      return c.length === GROUPS.length ? c : null
    })
    expect(cs.map((c) => c.count)).toEqual([PER_GROUP, PER_GROUP, PER_GROUP])
    expect(cs.reduce((n, c) => n + c.count, 0)).toBe(GROUPS.length * PER_GROUP)
    for (const g of GROUPS) {
      expect(cs.some((c) => Math.abs(c.lat - g.lat) < 0.001 && Math.abs(c.lon - g.lon) < 0.001)).toBe(true)
    }
  })

  it('keyboard: Tab reaches the map, Enter on a cluster zooms in, an arrow reaches a vehicle, Enter selects it', async () => {
    await tabToMap()
    const first = await waitFor('a focused map item', activeItem)
    expect(first.key.startsWith('c:')).toBe(true)
    expect(first.label).toBe('4 vehicles, press Enter to zoom in')
    await expectNoAxeViolations('with a cluster focused on the map')
    await page.keyboard.press('Enter')
    // Zoomed in to the group's few metres: no clusters any more, its vehicles drawn one by one.
    await waitFor('the cluster gone after zooming in', async () => (await clusters()).length === 0, 5_000, 50)
    await waitFor('vehicles drawn', () => drawnVehiclePoint(page), 5_000, 50)

    await page.keyboard.press('ArrowRight')
    const item = await waitFor('a focused vehicle', async () => {
      const it = await activeItem()
      return it?.key.startsWith('v:') ? it : null
    })
    const id = item.key.slice(2)
    expect(item.label).toMatch(/^van-\d-\d, idle, 0\.0 km\/h$/)
    await expectNoAxeViolations('with a vehicle focused on the map')
    await page.keyboard.press('Enter')
    await waitFor('the vehicle selected', async () => (await selectedMarkers(page)).join() === id)
    await page.getByTestId('details-panel').waitFor()
    expect(await page.getByTestId('details-panel').getByRole('heading').first().textContent()).toBe(item.label.split(',')[0])
  })

  it('hovering a vehicle shows its name', async () => {
    const tooltip = page.getByTestId('vehicle-tooltip')
    expect(await tooltip.isHidden()).toBe(true)
    const at = await waitFor('a vehicle drawn', () => drawnVehiclePoint(page, 'moving'), 5_000, 50)
    await page.mouse.move(at.x, at.y)
    await tooltip.waitFor({ state: 'visible', timeout: 3_000 })
    expect(clusterNames.has((await tooltip.textContent()) ?? '')).toBe(true)
    await page.mouse.move(5, 5)
    await tooltip.waitFor({ state: 'hidden', timeout: 3_000 })
  })
})
