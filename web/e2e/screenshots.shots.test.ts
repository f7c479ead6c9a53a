/**
 * The README's screenshots, offline (the app built without VITE_TILE_URL, so only the packaged basemap):
 * fleetd + `fleetctl simulate --city paris`, the page fitted to the fleet (city zoom), saved as
 * docs/screenshots/live-1440x900.png (a vehicle selected, its details in the sidebar) and
 * docs/screenshots/live-390x844.png (the phone's map view). Not a test of anything: run it by hand
 * (web/README.md, "Screenshots") and commit the PNGs.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, it } from 'vitest'
import { REPO_DIR, drawnVehiclePixels, launchBrowser, mintToken, signIn, sleep, startFleetd, startSimulator, waitFor, type Fleetd, type Simulator } from './harness.ts'

const ORG = 'org_acme'
const VEHICLES = Number(process.env.SHOTS_VEHICLES ?? 60)
const CITY = process.env.SHOTS_CITY ?? 'paris'
const OUT = join(REPO_DIR, 'docs/screenshots')
/** Zoom steps out from the fit to the fleet, so more of the city (river, districts, suburbs) shows. */
const ZOOM_OUT = Number(process.env.SHOTS_ZOOM_OUT ?? 1)

let fleetd: Fleetd
let sim: Simulator | null = null
let browser: Awaited<ReturnType<typeof launchBrowser>> | null = null

beforeAll(async () => {
  fleetd = await startFleetd()
  const token = await mintToken(fleetd.url, { user: 'user_sim', org: ORG })
  sim = await startSimulator(fleetd.url, token, { vehicles: VEHICLES, rate: 1, label: 'shots', args: ['--city', CITY, '--name-prefix', 'van-', '--seed', '12'], requireFleetctl: true })
  browser = await launchBrowser()
  mkdirSync(OUT, { recursive: true })
})

afterAll(async () => {
  await browser?.close()
  await sim?.stop()
  await fleetd?.stop()
})

/** Signed in, every vehicle drawn, the fit to the fleet done and the basemap's requests finished. */
async function settledLivePage(size: { width: number; height: number }): Promise<Page> {
  const page = await browser!.context.newPage()
  await page.setViewportSize(size)
  await signIn(page, fleetd.url, { user: 'user_alice', org: ORG })
  await waitFor(`${VEHICLES} vehicles`, async () => (await page.evaluate(() => (window as unknown as { __fleet: { deviceCount: number } }).__fleet.deviceCount)) >= VEHICLES, 30_000)
  await waitFor('vehicles drawn', async () => (await drawnVehiclePixels(page)) > 0)
  // The page fits the fleet once (until the user zooms): wait for it (a city-sized scale bar) before zooming.
  const scale = page.locator('.leaflet-control-scale-line').first()
  await waitFor('the fit to the fleet', async () => /^(\d+ m|[1-2] km)$/.test(((await scale.textContent()) ?? '').trim()))
  for (let i = 0; i < ZOOM_OUT; i++) {
    await page.locator('.leaflet-control-zoom-out').click()
    await sleep(400) // the zoom animation
  }
  await page.waitForLoadState('networkidle')
  // The basemap draws on the next frames after its data arrives; vehicles move once a second anyway.
  await sleep(1500)
  return page
}

it('saves the desktop and phone screenshots', async () => {
  const desktop = await settledLivePage({ width: 1440, height: 900 })
  await desktop.getByTestId('device-row').first().click()
  await desktop.getByTestId('details-panel').waitFor()
  await sleep(800)
  await desktop.screenshot({ path: join(OUT, 'live-1440x900.png') })
  await desktop.close()

  const phone = await settledLivePage({ width: 390, height: 844 })
  await phone.screenshot({ path: join(OUT, 'live-390x844.png') })
  await phone.close()
})
