/**
 * Share links in Chromium against a real fleetd (issue 14): an admin shares 2 of 4 vehicles
 * (`POST /api/v1/shares`); `/share/<token>` shows exactly those 2, live, with no sign-in, and never the
 * others (a MutationObserver records every marker that ever appears); the page is axe-clean, keyboard
 * reachable and fits 360 px; revoking the share (`DELETE /api/v1/shares/{id}`) makes the page say so
 * (close `1008 Share revoked`) and stop; a share that expires says it has expired (`1008 Share expired`);
 * an invalid link says it is invalid. No simulator: the test posts every point itself.
 */
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  MARKER_MONITOR,
  createDevice,
  fleetState,
  formatAxeViolations,
  horizontalOverflow,
  launchBrowser,
  markers,
  mintToken,
  postPoint,
  recordSockets,
  runAxe,
  seenMarkers,
  sleep,
  startFleetd,
  tabTo,
  waitFor,
  type Fleetd,
  type SocketLog,
} from './harness.ts'

const ORG = 'org_acme'
const PARIS = { lat: 48.8566, lon: 2.3522 }

let fleetd: Fleetd
let browser: Awaited<ReturnType<typeof launchBrowser>> | null = null
let admin: string
const vans: { id: string; key: string; lat: number; lon: number }[] = []

interface CreatedShare {
  share: { id: string; devices: string[]; expires_ms: number }
  token: string
  url: string
}

async function createShare(devices: string[], expiresInS: number): Promise<CreatedShare> {
  const r = await fetch(`${fleetd.url}/api/v1/shares`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ devices, expires_in_s: expiresInS, label: 'Customer 42' }),
  })
  if (r.status !== 201) throw new Error(`POST /api/v1/shares → ${r.status} ${await r.text()}`)
  return (await r.json()) as CreatedShare
}

async function openShare(url: string, width = 1280, height = 800): Promise<{ page: Page; sockets: SocketLog[] }> {
  const page = await browser!.context.newPage()
  await page.setViewportSize({ width, height })
  page.on('pageerror', (err) => console.error('[page error]', err))
  await page.addInitScript(MARKER_MONITOR)
  const sockets = recordSockets(page)
  await page.goto(`${fleetd.url}${url}`)
  return { page, sockets }
}

async function shareKind(page: Page): Promise<string | null> {
  return page.getByTestId('share-status').getAttribute('data-kind')
}

async function expectNoAxeViolations(page: Page, state: string): Promise<void> {
  const violations = await runAxe(page)
  expect(violations, `axe violations ${state}:\n${formatAxeViolations(violations)}`).toEqual([])
}

beforeAll(async () => {
  fleetd = await startFleetd()
  admin = await mintToken(fleetd.url, { user: 'user_admin', org: ORG })
  for (let i = 0; i < 4; i++) {
    const d = await createDevice(fleetd.url, admin, `van-${i + 1}`)
    const at = { lat: PARIS.lat + 0.004 * i, lon: PARIS.lon + 0.004 * i }
    vans.push({ ...d, ...at })
    await postPoint(fleetd.url, d.key, { ...at, speed_kph: 20 })
  }
  browser = await launchBrowser()
}, 60_000)

afterAll(async () => {
  await browser?.close().catch(() => {})
  await fleetd?.stop()
})

describe('share links', () => {
  let share: CreatedShare
  let page: Page
  let sockets: SocketLog[]

  it('the share page shows exactly the 2 shared vehicles, live, with no sign-in', async () => {
    share = await createShare([vans[0]!.id, vans[1]!.id], 3600)
    expect(share.url).toBe(`/share/${share.token}`)
    ;({ page, sockets } = await openShare(share.url))
    await waitFor('the share live', async () => (await shareKind(page)) === 'live')
    await waitFor('2 vehicles on the map', async () => (await markers(page)).length === 2)
    expect(new Set((await markers(page)).map((m) => m.id))).toEqual(new Set([vans[0]!.id, vans[1]!.id]))
    expect(await page.getByTestId('device-count').textContent()).toBe('2 vehicles')
    expect(await page.getByTestId('share-expiry').textContent()).toMatch(/^Shared until \d{4}-\d\d-\d\d \d\d:\d\d/)
    expect(await page.getByTestId('dev-signin').count()).toBe(0)
    // The token travels in the socket's first message only, never in its URL.
    expect(sockets).toHaveLength(1)
    expect(sockets[0]!.url).not.toContain(share.token)
    expect(sockets[0]!.sent[0]).toMatchObject({ type: 'auth', token: share.token })
    const hello = sockets[0]!.received.find((m) => m.type === 'hello')
    expect(hello).toMatchObject({ role: 'share', user: `share:${share.share.id}` })

    // Every vehicle moves; only the shared ones ever reach the page.
    const moved = vans.map((v) => ({ lat: v.lat + 0.0005, lon: v.lon + 0.0005 }))
    for (const [i, v] of vans.entries()) await postPoint(fleetd.url, v.key, { ...moved[i]!, speed_kph: 25 })
    for (const i of [0, 1]) {
      await waitFor(`shared van-${i + 1} to move`, async () => {
        const m = (await markers(page)).find((x) => x.id === vans[i]!.id)
        return m !== undefined && Math.abs(m.lat - moved[i]!.lat) < 2e-6
      })
    }
    await sleep(1000)
    const seen = new Set((await seenMarkers(page)).map((m) => m.id))
    expect(seen).toEqual(new Set([vans[0]!.id, vans[1]!.id]))
    const state = await fleetState(page)
    expect(state.deviceCount).toBe(2)
  })

  it('is keyboard reachable and axe-clean, at 1280 px and at 360 px', async () => {
    await expectNoAxeViolations(page, 'on the share page (1280 px)')
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur())
    await tabTo(page, '[data-testid="device-row"]')
    await page.keyboard.press('Enter')
    await waitFor('the vehicle selected from the keyboard', async () => (await page.locator('[data-testid="device-row"][aria-pressed="true"]').count()) === 1)
    await tabTo(page, '[data-testid="map-keyboard"]')
    await page.setViewportSize({ width: 360, height: 740 })
    await sleep(300)
    const o = await horizontalOverflow(page)
    expect(o.scrollWidth).toBeLessThanOrEqual(o.innerWidth)
    await expectNoAxeViolations(page, 'on the share page (360 px)')
    await page.setViewportSize({ width: 1280, height: 800 })
  })

  it('revoking the share closes the page with 1008 Share revoked, said plainly; it stays closed', async () => {
    const r = await fetch(`${fleetd.url}/api/v1/shares/${share.share.id}`, { method: 'DELETE', headers: { Authorization: `Bearer ${admin}` } })
    expect(r.status).toBe(200)
    await waitFor('the page to say revoked', async () => (await shareKind(page)) === 'revoked', 5_000)
    expect(await page.getByTestId('share-status').textContent()).toContain('revoked')
    expect((await fleetState(page)).lastClose).toEqual({ code: 1008, reason: 'Share revoked' })
    await sleep(2500)
    expect(sockets).toHaveLength(1) // no reconnect
    expect(await shareKind(page)).toBe('revoked')
    await expectNoAxeViolations(page, 'with the share revoked')
    await page.close()
  })

  it('a share that expires closes with 1008 Share expired, said plainly', async () => {
    const short = await createShare([vans[2]!.id], 10)
    const { page: p, sockets: s } = await openShare(short.url)
    await waitFor('the short share live', async () => (await shareKind(p)) === 'live')
    await waitFor('its one vehicle', async () => (await markers(p)).length === 1)
    await waitFor('the page to say expired', async () => (await shareKind(p)) === 'expired', 15_000, 250)
    expect(Date.now()).toBeGreaterThanOrEqual(short.share.expires_ms - 1000)
    expect(await p.getByTestId('share-status').textContent()).toContain('expired')
    expect((await fleetState(p)).lastClose).toEqual({ code: 1008, reason: 'Share expired' })
    await sleep(1500)
    expect(s).toHaveLength(1)
    await p.close()
  })

  it('an invalid link says it is invalid', async () => {
    const { page: p } = await openShare(`/share/fsh_${'A'.repeat(30)}`)
    await waitFor('the page to say invalid', async () => (await shareKind(p)) === 'invalid')
    expect(await p.getByTestId('share-status').textContent()).toContain('invalid')
    expect((await markers(p)).length).toBe(0)
    await p.close()
  })
})
