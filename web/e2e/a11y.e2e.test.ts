/**
 * Accessibility and the phone layout, in Chromium against a real fleetd and simulator: axe-core (WCAG 2.x
 * A/AA rules) reports zero violations on every page and state at desktop and phone sizes; phones never
 * scroll sideways; the skip link, the list, the details, the organization switcher and Sign out are all
 * reachable with Tab on a phone.
 */
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createDevice,
  formatAxeViolations,
  horizontalOverflow,
  launchBrowser,
  mintToken,
  postPoint,
  runAxe,
  signIn,
  startFleetd,
  startSimulator,
  tabTo,
  waitFor,
  type Fleetd,
  type Simulator,
} from './harness.ts'

const ORG = 'org_acme'
// enough for the list to be longer than the sidebar, so the details must hold their own against it
const VEHICLES = 30
/** Vehicles the simulator does not move, sorted first (name, age of their one point, speed). */
const STILL_VEHICLES: [string, number, number][] = [
  ['aaa-idle', 0, 0],
  ['aaa-offline', 20 * 60_000, 30],
  ['aaa-stale', 60_000, 30],
]
const STALE_ROW = '[data-testid="device-row"]:has-text("aaa-stale")'
const DESKTOP = { width: 1440, height: 900 }
const PHONE = { width: 390, height: 844 }
const SMALL_PHONE = { width: 360, height: 740 }

let fleetd: Fleetd
let sim: Simulator | null = null
let browser: Awaited<ReturnType<typeof launchBrowser>> | null = null

beforeAll(async () => {
  fleetd = await startFleetd()
  const admin = await mintToken(fleetd.url, { user: 'user_sim', org: ORG })
  // Rows in every state, so axe checks their colours too (snapshot points count from their device time).
  for (const [name, ageMs, speed] of STILL_VEHICLES) {
    const dev = await createDevice(fleetd.url, admin, name)
    await postPoint(fleetd.url, dev.key, { lat: 48.85, lon: 2.35, speed_kph: speed, battery_pct: 40, ts: Date.now() - ageMs })
  }
  sim = await startSimulator(fleetd.url, admin, { vehicles: VEHICLES, rate: 1, label: 'a11y' })
  browser = await launchBrowser()
})

afterAll(async () => {
  await browser?.close()
  await sim?.stop()
  await fleetd?.stop()
})

async function newPage(size: { width: number; height: number }): Promise<Page> {
  const page = await browser!.context.newPage()
  page.on('pageerror', (err) => console.error('[page error]', err))
  await page.setViewportSize(size)
  return page
}

/** Signs in and waits until every simulated vehicle is listed (the list is only in view on wide screens). */
async function liveWithVehicles(page: Page): Promise<void> {
  await signIn(page, fleetd.url, { user: 'user_alice', org: ORG })
  const all = VEHICLES + STILL_VEHICLES.length
  await waitFor(`${all} vehicles`, async () => (await page.evaluate(() => (window as unknown as { __fleet: { deviceCount: number } }).__fleet.deviceCount)) >= all)
}

async function expectNoViolations(page: Page, state: string): Promise<void> {
  const violations = await runAxe(page)
  expect(violations, `axe violations on ${state}:\n${formatAxeViolations(violations)}`).toEqual([])
}

async function expectNoSidewaysScroll(page: Page, state: string): Promise<void> {
  const { scrollWidth, innerWidth } = await horizontalOverflow(page)
  expect(scrollWidth, `${state}: page is ${scrollWidth} px wide in a ${innerWidth} px viewport`).toBeLessThanOrEqual(innerWidth)
}

/** Whether the element's centre is on screen and the element itself is hit there (not clipped or covered). */
function unobscured(page: Page, selector: string): Promise<boolean> {
  return page.$eval(selector, (el) => {
    const r = el.getBoundingClientRect()
    const [x, y] = [r.x + r.width / 2, r.y + r.height / 2]
    if (x < 0 || y < 0 || x > innerWidth || y > innerHeight) return false
    return el.contains(document.elementFromPoint(x, y))
  })
}

const DETAILS_LAST_BUTTON = '[data-testid="details-panel"] button:last-of-type'

/** Clicks the first visible button whose accessible name matches (another engineer's control: settings, replay). */
async function open(page: Page, name: RegExp): Promise<void> {
  const button = page.getByRole('button', { name }).first()
  await button.waitFor({ state: 'visible' })
  await button.click()
}

describe('accessibility (axe-core, WCAG 2.x A/AA)', () => {
  it('the dev sign-in page has no violations, desktop and phone', async () => {
    const page = await newPage(DESKTOP)
    await page.goto(fleetd.url)
    await page.getByTestId('dev-signin').waitFor()
    await expectNoViolations(page, 'sign-in, 1440x900')
    await page.setViewportSize(PHONE)
    await expectNoViolations(page, 'sign-in, 390x844')
    await expectNoSidewaysScroll(page, 'sign-in, 390x844')
    await page.setViewportSize(SMALL_PHONE)
    await expectNoSidewaysScroll(page, 'sign-in, 360x740')
    await page.close()
  })

  it('the live page has no violations at 1440x900: with vehicles, a vehicle selected, settings and replay open', async () => {
    const page = await newPage(DESKTOP)
    await liveWithVehicles(page)
    await expectNoViolations(page, 'live, 1440x900')

    // a stale row, selected: the hardest colours (muted and warning text on the selection's tint)
    await page.locator(STALE_ROW).click()
    await page.getByTestId('details-panel').waitFor()
    expect(await page.locator(STALE_ROW).getAttribute('class')).toMatch(/selected/)
    await expectNoViolations(page, 'live with a stale vehicle selected, 1440x900')
    await page.getByTestId('device-row').last().click()
    await expectNoViolations(page, 'live with a moving vehicle selected, 1440x900')

    await open(page, /^settings/i)
    await expectNoViolations(page, 'live with settings open, 1440x900')
    await page.keyboard.press('Escape')
    await open(page, /^replay/i)
    await page.getByTestId('replay-panel').waitFor()
    await expectNoViolations(page, 'live with replay open, 1440x900')
    await page.close()
  })

  it('the live page has no violations at 390x844: map, menu open, list, details', async () => {
    const page = await newPage(PHONE)
    await liveWithVehicles(page)
    await expectNoViolations(page, 'live (map), 390x844')

    await page.getByTestId('topbar-menu-toggle').click()
    await page.getByTestId('sign-out').waitFor({ state: 'visible' })
    await expectNoViolations(page, 'live with the menu open, 390x844')
    await open(page, /^settings/i)
    await expectNoViolations(page, 'live with settings open in the menu, 390x844')
    await expectNoSidewaysScroll(page, 'settings open in the menu, 390x844')
    await page.keyboard.press('Escape')
    await page.keyboard.press('Escape')
    expect(await page.getByTestId('topbar-menu-toggle').getAttribute('aria-expanded'), 'Escape closes the menu').toBe('false')
    expect(await page.getByTestId('sign-out').isVisible(), 'Sign out hidden with the menu closed').toBe(false)

    await page.getByTestId('show-list').click()
    await page.getByTestId('device-row').first().click()
    await page.getByTestId('details-panel').waitFor()
    await expectNoViolations(page, 'live (list) with details, 390x844')

    await page.getByTestId('show-map').click()
    await expectNoViolations(page, 'live (map) with details, 390x844')
    await open(page, /^replay/i)
    await page.getByTestId('replay-panel').waitFor()
    await expectNoViolations(page, 'live (map) with replay open, 390x844')
    await expectNoSidewaysScroll(page, 'replay open, 390x844')
    await page.close()
  })
})

describe('desktop layout', () => {
  it('fits 1024 to 1920 px: no sideways scroll, the top bar on one row with every control on screen, the sidebar beside the map', async () => {
    const page = await newPage({ width: 1024, height: 700 })
    await liveWithVehicles(page)
    await page.getByTestId('device-row').first().click()
    await page.getByTestId('details-panel').waitFor()
    for (const size of [{ width: 1024, height: 700 }, DESKTOP, { width: 1920, height: 1080 }]) {
      await page.setViewportSize(size)
      const at = `${size.width}x${size.height}`
      await expectNoSidewaysScroll(page, at)
      const bar = (await page.locator('.topbar').boundingBox())!
      expect(bar.height, `${at}: top bar on one row`).toBeLessThan(64)
      for (const id of ['connection-badge', 'org-switcher', 'current-user', 'sign-out']) {
        const box = (await page.getByTestId(id).boundingBox())!
        expect(box.x >= 0 && box.x + box.width <= size.width && box.y + box.height <= bar.height, `${at}: ${id} in the top bar`).toBe(true)
      }
      const map = (await page.getByTestId('live-map').boundingBox())!
      const details = (await page.getByTestId('details-panel').boundingBox())!
      expect(details.x, `${at}: details beside the map`).toBeGreaterThanOrEqual(map.x + map.width - 1)
      expect(await unobscured(page, DETAILS_LAST_BUTTON), `${at}: the details' buttons in view, not squeezed out`).toBe(true)
    }
    await page.close()
  })
})

describe('phone layout', () => {
  for (const size of [SMALL_PHONE, PHONE]) {
    it(`never scrolls sideways at ${size.width}x${size.height}, in every view; the title stays on one line; the map keeps most of the height`, async () => {
      const page = await newPage(size)
      await liveWithVehicles(page)
      const at = `${size.width}x${size.height}`
      await expectNoSidewaysScroll(page, `map, ${at}`)

      const title = await page.locator('.topbar .title').evaluate((el) => ({ height: el.getBoundingClientRect().height, line: parseFloat(getComputedStyle(el).lineHeight) || 0, font: parseFloat(getComputedStyle(el).fontSize) }))
      expect(title.height, 'title on one line').toBeLessThan((title.line || title.font * 1.5) * 1.5)
      const map = await page.getByTestId('live-map').boundingBox()
      expect(map!.height, 'map height').toBeGreaterThan(size.height * 0.6)

      await page.getByTestId('topbar-menu-toggle').click()
      await page.getByTestId('sign-out').waitFor({ state: 'visible' })
      for (const id of ['sign-out', 'org-switcher', 'current-user']) {
        const box = (await page.getByTestId(id).boundingBox())!
        expect(box.x >= 0 && box.x + box.width <= size.width, `${id} within the screen (${box.x}..${box.x + box.width})`).toBe(true)
      }
      await expectNoSidewaysScroll(page, `menu open, ${at}`)
      await page.keyboard.press('Escape')

      await page.getByTestId('show-list').click()
      await page.getByTestId('device-row').first().click()
      await page.getByTestId('details-panel').waitFor()
      await expectNoSidewaysScroll(page, `list with details, ${at}`)
      expect(await unobscured(page, DETAILS_LAST_BUTTON), `${at}: the details' buttons in view under the list`).toBe(true)
      await page.getByTestId('show-map').click()
      await expectNoSidewaysScroll(page, `map with details, ${at}`)
      expect(await unobscured(page, DETAILS_LAST_BUTTON), `${at}: the details' buttons in view over the map`).toBe(true)
      await page.close()
    })
  }

  it('keyboard only at 390x844: skip link first and visible, then the list, a vehicle, its details, the organization switcher and Sign out', async () => {
    const page = await newPage(PHONE)
    await liveWithVehicles(page)
    await page.reload()
    await page.locator('[data-testid="connection-badge"][data-status="live"]').waitFor()

    // The first Tab lands on the skip link, which shows itself.
    const first = await tabTo(page, '.skip-link', 1)
    expect(first[0]).toContain('Skip to vehicle list')
    const box = (await page.locator('.skip-link:focus').boundingBox())!
    expect(box.y >= 0 && box.x >= 0 && box.x + box.width <= PHONE.width, 'skip link on screen when focused').toBe(true)

    // Enter reveals the list (the phone was showing the map) and the next Tabs reach a vehicle.
    await page.keyboard.press('Enter')
    expect(await page.getByTestId('show-list').getAttribute('aria-pressed')).toBe('true')
    await tabTo(page, '[data-testid="device-row"]', 15)
    await page.keyboard.press('Enter')
    await page.getByTestId('details-panel').waitFor()
    await tabTo(page, '[data-testid="details-panel"] button', 60)

    // The account controls: the Menu disclosure, then the organization switcher and Sign out inside it.
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur())
    await tabTo(page, '[data-testid="topbar-menu-toggle"]', 10)
    await page.keyboard.press('Enter')
    expect(await page.getByTestId('topbar-menu-toggle').getAttribute('aria-expanded')).toBe('true')
    await tabTo(page, '[data-testid="org-switcher"]', 5)
    await tabTo(page, '[data-testid="sign-out"]', 5)
    await page.keyboard.press('Enter')
    await page.getByTestId('dev-signin').waitFor()
    await page.close()
  })
})

describe('skip to map', () => {
  it('from the phone\'s list, "Skip to map" shows the map and puts focus on it (arrow keys pan it from there)', async () => {
    const page = await newPage(PHONE)
    await liveWithVehicles(page)
    await page.getByTestId('show-list').click()
    // (the first Tab from the top is checked above; here start at the first skip link)
    await page.locator('.skip-link').first().focus()
    await tabTo(page, '.skip-link[href="#live-map-region"]', 1)
    await page.keyboard.press('Enter')
    expect(await page.getByTestId('show-map').getAttribute('aria-pressed')).toBe('true')
    expect(await page.evaluate(() => document.activeElement?.closest('#live-map-region') !== null), 'focus in the map region').toBe(true)
    expect(await page.getByTestId('live-map').isVisible()).toBe(true)
    await page.close()
  })
})

// Stops fleetd: keep it last in this file.
describe('connection live region', () => {
  it('announces the drop once and never the countdown, which stays visible in the badge', async () => {
    const page = await newPage(DESKTOP)
    await liveWithVehicles(page)
    // Every text the live region ever holds (hidden parts included) and every label the badge shows.
    await page.evaluate(() => {
      const log = { region: [] as string[], badge: [] as string[] }
      ;(window as unknown as { __a11yLog: typeof log }).__a11yLog = log
      const region = document.querySelector('[role="status"]')!
      const badge = document.querySelector('[data-testid="connection-badge"]')!
      new MutationObserver(() => log.region.push(region.textContent ?? '')).observe(region, { subtree: true, childList: true, characterData: true })
      new MutationObserver(() => log.badge.push(badge.textContent ?? '')).observe(badge, { subtree: true, childList: true, characterData: true })
    })
    expect(await page.locator('[role="status"]').count(), 'one live region on the page').toBe(1)

    await sim?.stop()
    sim = null
    await fleetd.stop()
    const log = () => page.evaluate(() => (window as unknown as { __a11yLog: { region: string[]; badge: string[] } }).__a11yLog)
    // Wait until the badge has counted down through at least two different seconds.
    await waitFor('a visible countdown', async () => new Set((await log()).badge.filter((t) => /Reconnecting in \d+ s/.test(t))).size >= 2, 30_000)

    const { region } = await log()
    expect(region.length, 'the live region announced the drop').toBeGreaterThan(0)
    expect(region.filter((t) => /\d/.test(t)), 'no seconds in the live region').toEqual([])
    const changes = region.filter((t, i) => i === 0 || t !== region[i - 1])
    expect(changes, 'one announcement for the drop').toEqual(['Connection: Reconnecting…'])
    await page.close()
  })
})
