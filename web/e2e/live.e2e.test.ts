import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ARTIFACTS,
  MARKER_MONITOR,
  fleetState,
  launchBrowser,
  listDevices,
  markers,
  metric,
  mintToken,
  seenMarkers,
  signIn,
  sleep,
  startFleetd,
  startSimulator,
  waitFor,
  type Fleetd,
  type MarkerInfo,
  type Simulator,
} from './harness.ts'

const ORG_A = 'org_acme'
const ORG_B = 'org_globex'
const VEHICLES = 5
const RATE = 2

let fleetd: Fleetd
const sims: Simulator[] = []
let browser: Awaited<ReturnType<typeof launchBrowser>> | null = null
const idsA = new Set<string>()
const idsB = new Set<string>()
let baselineWs = 0

async function devicesWithPositions(token: string): Promise<string[] | null> {
  const devs = await listDevices(fleetd.url, token)
  const positioned = devs.filter((d) => d.last !== null)
  return positioned.length >= VEHICLES ? devs.map((d) => d.id) : null
}

function moved(before: MarkerInfo[], after: MarkerInfo[]): string[] {
  const prev = new Map(before.map((m) => [m.id, m]))
  return after.filter((m) => {
    const p = prev.get(m.id)
    return p && (p.lat !== m.lat || p.lon !== m.lon)
  }).map((m) => m.id)
}

async function expectMovement(page: Page, what: string): Promise<void> {
  const before = await markers(page)
  await waitFor(what, async () => moved(before, await markers(page)).length > 0, 10_000, 250)
}

async function newPage(): Promise<Page> {
  const page = await browser!.context.newPage()
  await page.addInitScript(MARKER_MONITOR)
  page.on('pageerror', (err) => console.error('[page error]', err))
  return page
}

beforeAll(async () => {
  fleetd = await startFleetd()
  const tokenA = await mintToken(fleetd.url, { user: 'user_sim_a', org: ORG_A })
  const tokenB = await mintToken(fleetd.url, { user: 'user_sim_b', org: ORG_B })
  sims.push(await startSimulator(fleetd.url, tokenA, { vehicles: VEHICLES, rate: RATE, label: 'org-a' }))
  sims.push(await startSimulator(fleetd.url, tokenB, { vehicles: VEHICLES, rate: RATE, label: 'org-b' }))
  for (const id of await waitFor('org A devices with positions', () => devicesWithPositions(tokenA), 30_000, 500)) idsA.add(id)
  for (const id of await waitFor('org B devices with positions', () => devicesWithPositions(tokenB), 30_000, 500)) idsB.add(id)
  expect([...idsA].some((id) => idsB.has(id))).toBe(false)
  baselineWs = (await metric(fleetd.url, 'fleet_ws_connections')) ?? 0
  browser = await launchBrowser()
}, 90_000)

afterAll(async () => {
  await browser?.close().catch(() => {})
  for (const s of sims) await s.stop().catch(() => {})
  await fleetd?.stop()
})

describe('Live Tracking against a real fleetd', () => {
  let page: Page

  it('org A: shows only A’s vehicles, and they move', async () => {
    page = await newPage()
    await signIn(page, fleetd.url, { user: 'user_alice', org: ORG_A })

    const ms = await waitFor('5 markers of org A', async () => {
      const m = await markers(page)
      return m.length === VEHICLES ? m : null
    })
    for (const m of ms) {
      expect(m.tenant).toBe(ORG_A)
      expect(idsA.has(m.id)).toBe(true)
      expect(idsB.has(m.id)).toBe(false)
    }
    const st = await fleetState(page)
    expect(st).toMatchObject({ status: 'live', tenant: ORG_A, org: ORG_A, socketOpenCount: 1 })

    await expectMovement(page, 'a marker of org A to move')
    const rows = await page.locator('[data-testid="device-row"]').count()
    expect(rows).toBe(VEHICLES)

    mkdirSync(ARTIFACTS, { recursive: true })
    await sleep(500) // let the basemap settle for the screenshot
    await page.screenshot({ path: join(ARTIFACTS, 'live-map.png') })

    const seen = await seenMarkers(page)
    expect(seen.length).toBeGreaterThanOrEqual(VEHICLES)
    expect(seen.filter((s) => s.tenant !== ORG_A || idsB.has(s.id))).toEqual([])
  })

  it('selecting a vehicle draws its trail from the history endpoint', async () => {
    const first = page.locator('[data-testid="device-row"]').first()
    await first.click()
    // Attached, not "visible": a vehicle driving straight along an east-west street draws a path of zero
    // height, which Playwright counts as hidden.
    const trail = page.locator('[data-testid="trail"]')
    await trail.waitFor({ state: 'attached', timeout: 10_000 })
    // The trail comes from the history endpoint: at least two points, i.e. a path with a line segment.
    const d = await waitFor('a trail with two points', async () => {
      const path = await trail.getAttribute('d')
      return path && /L/.test(path) ? path : null
    })
    expect(d).toMatch(/^M[-\d.]+ [-\d.]+L/)
    await first.click() // deselect
  })

  it('switching to org B clears A’s markers and shows only B’s', async () => {
    const switchedAt = Date.now()
    await page.getByTestId('org-switcher').selectOption(ORG_B)
    // A's markers disappear right away (not only once B's session is up).
    await waitFor('org A markers to be removed', async () => (await markers(page)).every((m) => m.tenant !== ORG_A), 2_000, 50)
    await waitFor('hello for org B', async () => (await fleetState(page)).tenant === ORG_B)
    const ms = await waitFor('5 markers of org B', async () => {
      const m = await markers(page)
      return m.length === VEHICLES ? m : null
    })
    for (const m of ms) {
      expect(m.tenant).toBe(ORG_B)
      expect(idsB.has(m.id)).toBe(true)
    }
    await expectMovement(page, 'a marker of org B to move')
    // Over a few more seconds, never a marker of A again.
    for (let i = 0; i < 10; i++) {
      expect((await markers(page)).filter((m) => m.tenant !== ORG_B || idsA.has(m.id))).toEqual([])
      await sleep(200)
    }
    const lateA = (await seenMarkers(page)).filter((s) => s.t > switchedAt && (s.tenant === ORG_A || idsA.has(s.id)))
    expect(lateA).toEqual([])
    const st = await fleetState(page)
    expect(st).toMatchObject({ status: 'live', tenant: ORG_B, socketOpenCount: 1 })
  })

  it('sign-out closes the socket (page state and fleetd’s fleet_ws_connections agree)', async () => {
    expect(await metric(fleetd.url, 'fleet_ws_connections')).toBe(baselineWs + 1)
    await page.getByTestId('sign-out').click()
    await waitFor('signed-out status', async () => (await fleetState(page)).status === 'signed-out')
    const st = await fleetState(page)
    expect(st.socketOpenCount).toBe(0)
    expect(st.markerCount).toBe(0)
    expect(await markers(page)).toEqual([])
    await page.locator('[data-testid="connection-badge"][data-status="signed-out"]').waitFor()
    await waitFor('fleet_ws_connections back to the baseline', async () => (await metric(fleetd.url, 'fleet_ws_connections')) === baselineWs, 5_000)
    // And it stays closed.
    await sleep(2_000)
    expect((await fleetState(page)).socketOpenCount).toBe(0)
    expect(await metric(fleetd.url, 'fleet_ws_connections')).toBe(baselineWs)
    await page.close()
  })

  it('a token refresh keeps the map live past the first token’s expiry', async () => {
    const p = await newPage()
    const ttlS = 20
    const signedInAt = Date.now()
    await signIn(p, fleetd.url, { user: 'user_bob', org: ORG_A, ttlS })
    await waitFor('markers of org A', async () => (await markers(p)).length === VEHICLES)
    const s0 = await fleetState(p)
    expect(s0.tokenSerial).toBe(1)

    // The dev provider refreshes at half of a 20 s lifetime; the socket reconnects with the new token.
    await waitFor('a refreshed token', async () => (await fleetState(p)).tokenSerial >= 2, 20_000, 250)
    await waitFor('reconnected with the new token', async () => {
      const s = await fleetState(p)
      return s.status === 'live' && s.socketsOpenedTotal > s0.socketsOpenedTotal
    }, 10_000)

    // Past the first token's expiry the map is still live and moving; fleetd never closed us with 1008.
    const wait = signedInAt + (ttlS + 3) * 1000 - Date.now()
    if (wait > 0) await sleep(wait)
    const s1 = await fleetState(p)
    expect(s1.status).toBe('live')
    expect(s1.tenant).toBe(ORG_A)
    expect(s1.lastClose?.code).not.toBe(1008)
    await expectMovement(p, 'markers to keep moving after the refresh')
    expect((await markers(p)).every((m) => m.tenant === ORG_A && idsA.has(m.id))).toBe(true)

    await p.getByTestId('sign-out').click()
    await waitFor('signed out', async () => (await fleetState(p)).socketOpenCount === 0)
    await p.close()
  })
})
