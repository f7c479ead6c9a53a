/**
 * Operator features of the side panel against a real fleetd (issue 12): natural sort, search, status
 * counts and filter, attribute filter, the details panel's exact values for known points, and the
 * settings (km/h | mph, time zone) applied everywhere and kept across a reload.
 *
 * One organization, no simulator: the test creates its vehicles and posts every point itself, before the
 * page signs in, so each arrives in the snapshot with a known device time (the page takes a snapshot
 * point's time as when it was last seen, which is what the statuses are computed from).
 */
import { join } from 'node:path'
import type { Locator, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ARTIFACTS,
  createDevice,
  formatAxeViolations,
  launchBrowser,
  mintToken,
  postPoint,
  runAxe,
  signIn,
  startFleetd,
  waitFor,
  type AxeViolation,
  type Fleetd,
} from './harness.ts'

const ORG = 'org_acme'

let fleetd: Fleetd
let browser: Awaited<ReturnType<typeof launchBrowser>> | null = null
let page: Page
const ids = new Map<string, string>()
const keys = new Map<string, string>()

/** van-1's point: every value the details panel shows, chosen to be checkable exactly. */
const VAN1 = {
  lat: 48.856613,
  lon: 2.352222,
  speed_kph: 72, // 44.74 mph
  heading_deg: 91.5, // "92° E"
  battery_pct: 81,
  altitude_m: 35,
  accuracy_m: 4.5,
  attributes: { driver: 'Ann', door_open: false },
}
let van1Ts = 0

/** Waits until `locator`'s text is `expected` (the list and panel re-render a few times a second). */
async function expectText(locator: Locator, expected: string, timeoutMs = 5_000): Promise<void> {
  let last: string | null = null
  try {
    await waitFor(`"${expected}"`, async () => (last = await locator.textContent()) === expected, timeoutMs, 100)
  } catch {
    expect(last).toBe(expected)
  }
}

async function rowNames(): Promise<string[]> {
  return page.locator('[data-testid="device-row"] .device-name').allTextContents()
}

async function expectRows(expected: string[]): Promise<void> {
  let last: string[] = []
  try {
    await waitFor(`rows ${expected.join(', ')}`, async () => JSON.stringify((last = await rowNames())) === JSON.stringify(expected), 5_000, 100)
  } catch {
    expect(last).toEqual(expected)
  }
}

/** "YYYY-MM-DD HH:mm:ss" of `ms` in UTC. */
function utcText(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ')
}

async function openSettings(): Promise<void> {
  if ((await page.getByTestId('settings-button').getAttribute('aria-expanded')) !== 'true') await page.getByTestId('settings-button').click()
  await page.getByTestId('settings-panel').waitFor()
}

/** axe's WCAG A/AA rules over this piece's parts only (the list, the details, the settings); the whole page is a11y.e2e's. */
function axeOnPanel(): Promise<AxeViolation[]> {
  return runAxe(page, ['.device-list', '.details-panel', '.settings-menu'])
}

/** How far the page scrolls sideways (0: it fits). */
function sidewaysOverflow(): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
}

beforeAll(async () => {
  fleetd = await startFleetd()
  const token = await mintToken(fleetd.url, { user: 'user_ops', org: ORG })
  // Created out of order, so that creation order cannot pass for the list's order.
  for (const name of ['van-100', 'van-2', 'Truck 7', 'van-10', 'van-1', 'Depot trailer']) {
    const d = await createDevice(fleetd.url, token, name)
    ids.set(name, d.id)
    keys.set(name, d.key)
  }
  const now = Date.now()
  // van-100 offline (15 min old), van-10 stale (45 s old); "Depot trailer" never reports (offline).
  await postPoint(fleetd.url, keys.get('van-100')!, { ts: now - 15 * 60_000, lat: 48.85, lon: 2.3, speed_kph: 40 })
  await postPoint(fleetd.url, keys.get('van-10')!, { ts: now - 45_000, lat: 48.86, lon: 2.34, speed_kph: 30, attributes: { driver: 'Annette' } })
  browser = await launchBrowser()
}, 90_000)

afterAll(async () => {
  await browser?.close().catch(() => {})
  await fleetd?.stop()
})

describe('operator features against a real fleetd', () => {
  it('lists vehicles in natural order with status counts', async () => {
    // The fresh points last: van-1 and Truck 7 moving, van-2 idle, for the next 30 s.
    van1Ts = Date.now() - 1_000
    await postPoint(fleetd.url, keys.get('van-1')!, { ts: van1Ts, ...VAN1 })
    await postPoint(fleetd.url, keys.get('van-2')!, { lat: 48.87, lon: 2.36, speed_kph: 0, attributes: { driver: 'Bob' } })
    await postPoint(fleetd.url, keys.get('Truck 7')!, { lat: 48.88, lon: 2.37, speed_kph: 12 })

    page = await browser!.context.newPage()
    page.on('pageerror', (err) => console.error('[page error]', err))
    await signIn(page, fleetd.url, { user: 'user_ops', org: ORG })

    await expectRows(['Depot trailer', 'Truck 7', 'van-1', 'van-2', 'van-10', 'van-100'])
    await expectText(page.getByTestId('device-count'), '6 vehicles')
    await expectText(page.getByTestId('status-count-moving'), '2 moving')
    await expectText(page.getByTestId('status-count-idle'), '1 idle')
    await expectText(page.getByTestId('status-count-stale'), '1 stale')
    await expectText(page.getByTestId('status-count-offline'), '2 offline')
    // The thresholds are in each count's tooltip and in the help under them.
    expect(await page.getByTestId('status-count-stale').getAttribute('title')).toContain('more than 30 s')
    await page.locator('.status-help summary').click()
    await expect(page.locator('.status-help li').allTextContents()).resolves.toHaveLength(4)
  })

  it('a status count filters the list, and pressing it again clears the filter', async () => {
    const stale = page.getByTestId('status-count-stale')
    await stale.click()
    expect(await stale.getAttribute('aria-pressed')).toBe('true')
    await expectRows(['van-10'])
    await expectText(page.getByTestId('device-count'), '1 of 6 vehicles')
    expect(await page.getByTestId('status-filter').inputValue()).toBe('stale')
    await stale.click()
    await expectRows(['Depot trailer', 'Truck 7', 'van-1', 'van-2', 'van-10', 'van-100'])
    // The select sets the same filter, from the keyboard too.
    await page.getByTestId('status-filter').selectOption('offline')
    await expectRows(['Depot trailer', 'van-100'])
    expect(await page.getByTestId('status-count-offline').getAttribute('aria-pressed')).toBe('true')
    await page.getByTestId('status-filter').selectOption('')
    await expectRows(['Depot trailer', 'Truck 7', 'van-1', 'van-2', 'van-10', 'van-100'])
  })

  it('search narrows the list by name or id, case-insensitively; attributes filter it too', async () => {
    const search = page.getByTestId('vehicle-search')
    await search.fill('VAN-1')
    await expectRows(['van-1', 'van-10', 'van-100'])
    await expectText(page.getByTestId('device-count'), '3 of 6 vehicles')
    await search.fill(ids.get('van-2')!.slice(-8))
    await expectRows(['van-2'])
    await search.fill('')

    const attrs = page.getByTestId('attr-filter')
    await attrs.fill('driver:ann')
    await expectRows(['van-1', 'van-10'])
    await attrs.fill('driver=ann')
    await expectRows(['van-1'])
    await attrs.fill('driver=ann, door_open=true')
    await expectRows([])
    await attrs.fill('=ann')
    expect(await attrs.getAttribute('aria-invalid')).toBe('true')
    await page.getByRole('button', { name: 'Clear filters' }).click()
    await expectRows(['Depot trailer', 'Truck 7', 'van-1', 'van-2', 'van-10', 'van-100'])
    expect(await attrs.inputValue()).toBe('')
    // The button is gone with the filter; focus waits in the search box, not on the page's body.
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('vehicle-search')
  })

  it('the details panel shows exactly the known point, live', async () => {
    await page.locator(`[data-testid="device-row"][data-device-id="${ids.get('van-1')}"]`).click()
    const panel = page.getByTestId('details-panel')
    await panel.waitFor()
    await expectText(panel.getByTestId('details-name'), 'van-1')
    await expectText(panel.getByTestId('details-id'), ids.get('van-1')!)
    await expectText(panel.getByTestId('details-speed'), '72 km/h')
    await expectText(panel.getByTestId('details-heading'), '92° E')
    await expectText(panel.getByTestId('details-battery'), '81 %')
    await expectText(panel.getByTestId('details-coords'), '48.856613, 2.352222')
    await expectText(panel.getByTestId('details-altitude'), '35 m')
    await expectText(panel.getByTestId('details-accuracy'), '± 4.5 m')
    await expectText(panel.getByTestId('details-attr-driver'), 'Ann')
    await expectText(panel.getByTestId('details-attr-door_open'), 'false')
    expect(['moving', 'stale']).toContain(await panel.getByTestId('details-status').textContent())
    expect(await panel.getByTestId('details-seen').textContent()).toMatch(/ago|just now/)
    expect(await panel.getByRole('button', { name: 'Follow' }).getAttribute('aria-pressed')).toBe('false')
    await panel.getByRole('button', { name: 'Replay' }).waitFor()

    // A new point shows without reselecting.
    await postPoint(fleetd.url, keys.get('van-1')!, { ...VAN1, ts: van1Ts + 1_000, speed_kph: 36.5, heading_deg: 200, battery_pct: 80 })
    await expectText(panel.getByTestId('details-speed'), '37 km/h')
    await expectText(panel.getByTestId('details-heading'), '200° SSW')
    await expectText(panel.getByTestId('details-battery'), '80 %')
    await expectText(panel.getByTestId('details-status'), 'moving')
    van1Ts += 1_000
  })

  it('settings: mph and a chosen time zone apply to the list and the details at once', async () => {
    const panel = page.getByTestId('details-panel')
    // Reachable by keyboard: Enter opens the panel with focus inside it, Escape closes it back onto the button.
    await page.getByTestId('settings-button').focus()
    await page.keyboard.press('Enter')
    await page.getByTestId('settings-panel').waitFor()
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('unit-kmh')
    await page.keyboard.press('Escape')
    await page.getByTestId('settings-panel').waitFor({ state: 'detached' })
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('settings-button')

    await openSettings()
    await page.getByTestId('unit-mph').check()
    await expectText(panel.getByTestId('details-speed'), '23 mph') // 36.5 km/h = 22.68 mph
    await expectText(page.locator(`[data-device-id="${ids.get('Truck 7')}"] .device-speed`), '7.5 mph') // 12 km/h

    // Two zones, so the browser's own zone (UTC on a CI machine) cannot pass for the setting.
    const zone = page.getByTestId('timezone-select')
    await zone.selectOption('Asia/Tokyo')
    const tokyo = new Date(van1Ts + 9 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ')
    await expectText(panel.getByTestId('details-time'), `${tokyo} Asia/Tokyo (GMT+9)`)
    await zone.selectOption('UTC')
    await expectText(panel.getByTestId('details-time'), `${utcText(van1Ts)} UTC`)
    await page.keyboard.press('Escape')
  })

  it('settings survive a reload', async () => {
    await page.reload()
    await page.locator('[data-testid="connection-badge"][data-status="live"]').waitFor({ timeout: 15_000 })
    await page.locator(`[data-testid="device-row"][data-device-id="${ids.get('van-1')}"]`).click()
    const panel = page.getByTestId('details-panel')
    await expectText(panel.getByTestId('details-speed'), '23 mph')
    await expectText(panel.getByTestId('details-time'), `${utcText(van1Ts)} UTC`)
    await openSettings()
    expect(await page.getByTestId('unit-mph').isChecked()).toBe(true)
    expect(await page.getByTestId('timezone-select').inputValue()).toBe('UTC')
    // Back to km/h: every speed follows.
    await page.getByTestId('unit-kmh').check()
    await expectText(panel.getByTestId('details-speed'), '37 km/h')
    await panel.getByRole('button', { name: /^Close/ }).click()
    await panel.waitFor({ state: 'detached' })
  })

  it('the filters, counts, details and settings pass axe, and fit a 360 px screen', async () => {
    await page.locator(`[data-testid="device-row"][data-device-id="${ids.get('van-1')}"]`).click()
    await page.getByTestId('details-panel').waitFor()
    await page.getByTestId('attr-filter').fill('=x') // the error state too
    await openSettings()
    const wide = await axeOnPanel()
    expect(wide, formatAxeViolations(wide)).toEqual([])
    await page.keyboard.press('Escape')
    await page.getByTestId('attr-filter').fill('')
    await page.screenshot({ path: join(ARTIFACTS, 'operator-panel.png') })

    await page.setViewportSize({ width: 360, height: 740 })
    await page.getByTestId('show-list').click()
    await page.getByTestId('vehicle-search').waitFor({ state: 'visible' })
    expect(await sidewaysOverflow()).toBe(0)
    await page.getByTestId('topbar-menu-toggle').click()
    await openSettings()
    const box = (await page.getByTestId('settings-panel').boundingBox())!
    expect(box.x).toBeGreaterThanOrEqual(0)
    expect(box.x + box.width).toBeLessThanOrEqual(360)
    expect(await sidewaysOverflow()).toBe(0)
    await page.screenshot({ path: join(ARTIFACTS, 'operator-phone.png') })
    const narrow = await axeOnPanel()
    expect(narrow, formatAxeViolations(narrow)).toEqual([])
    await page.setViewportSize({ width: 1280, height: 800 })
  })
})
