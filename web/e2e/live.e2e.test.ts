import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ARTIFACTS,
  MARKER_MONITOR,
  createDevice,
  drawnVehiclePixels,
  drawnVehiclePoint,
  fleetState,
  holdFor,
  launchBrowser,
  listDevices,
  markers,
  metric,
  mintToken,
  postPoint,
  recordSockets,
  seenMarkers,
  selectedMarkers,
  signIn,
  sleep,
  startFleetd,
  startSimulator,
  waitFor,
  watchUrls,
  type Fleetd,
  type MarkerInfo,
  type Simulator,
  type SocketLog,
  type UrlWatch,
} from './harness.ts'

const ORG_A = 'org_acme'
const ORG_B = 'org_globex'
/** An organization without a simulator, whose devices the tests create and move themselves. */
const ORG_C = 'org_initech'
const VEHICLES = 5
const RATE = 2

let fleetd: Fleetd
const sims: Simulator[] = []
let browser: Awaited<ReturnType<typeof launchBrowser>> | null = null
const idsA = new Set<string>()
const idsB = new Set<string>()
let baselineWs = 0
let urlWatch: UrlWatch

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
  urlWatch = watchUrls(browser.context)
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
    // The markers are drawn into one canvas (mapView.ts): at least a few arrows' worth of pixels.
    await waitFor('the vehicles to be drawn', async () => (await drawnVehiclePixels(page)) > 2 * 100, 5_000, 100)
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

  it('clicking a vehicle drawn on the map selects it, clicking it again deselects it', async () => {
    // Vehicles are drawn into one canvas; the map finds the one under the click (mapView.ts).
    // The map may still be panning to the vehicle the previous test selected in the list, so a click can
    // miss: click the first moving arrow drawn until one is selected (a click on another vehicle only moves
    // the selection to it).
    const sel = await waitFor(
      'a click on a drawn vehicle to select it',
      async () => {
        const ids = await selectedMarkers(page)
        if (ids.length === 1) return ids[0]
        const at = await drawnVehiclePoint(page)
        if (at) await page.mouse.click(at.x, at.y)
        return null
      },
      15_000,
      500,
    )
    expect(idsA.has(sel)).toBe(true)
    await page.locator('[data-testid="trail"]').waitFor({ state: 'attached', timeout: 10_000 })
    // The selected arrow is drawn orange, on top of the others: click it again where it is now.
    const again = await waitFor('the selected vehicle drawn orange', () => drawnVehiclePoint(page, 'selected'))
    await page.mouse.click(again.x, again.y)
    await waitFor('no selected vehicle', async () => (await selectedMarkers(page)).length === 0)
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

  it('the page runs on the compact encoding: it asks for it, hello echoes it, tc frames move the markers', async () => {
    const p = await newPage()
    const sockets = recordSockets(p)
    await signIn(p, fleetd.url, { user: 'user_erin', org: ORG_A })
    await waitFor('markers of org A', async () => (await markers(p)).length === VEHICLES)
    const ws = sockets[0]!
    expect(ws.sent[0]).toMatchObject({ type: 'auth', format: 'compact', flush_ms: 50, coalesce: true })
    expect(ws.received.find((m) => m.type === 'hello')).toMatchObject({ format: 'compact', flush_ms: 50, coalesce: true })
    // The snapshot names every device with its index.
    const snap = ws.received.find((m) => m.type === 'snapshot') as { devices: { id: string; i?: unknown }[] }
    expect(snap.devices.map((d) => d.id).sort()).toEqual([...idsA].sort())
    for (const d of snap.devices) expect(Number.isInteger(d.i)).toBe(true)

    await expectMovement(p, 'markers of org A to move on compact frames')
    await waitFor('several tc frames', () => ws.received.filter((m) => m.type === 'tc').length >= 3, 10_000)
    expect(ws.received.filter((m) => m.type === 'telemetry')).toEqual([])
    const st = await fleetState(p)
    expect(st).toMatchObject({ status: 'live', tenant: ORG_A, format: 'compact', gaps: 0 })
    const tcs = ws.received.filter((m) => m.type === 'tc') as { bytes: number; events: number }[]
    const events = tcs.reduce((n, f) => n + f.events, 0)
    console.log(`[e2e] compact: ${tcs.length} tc frames, ${events} events, ${(tcs.reduce((n, f) => n + f.bytes, 0) / events).toFixed(1)} bytes per event (frame overhead included)`)

    await p.getByTestId('sign-out').click()
    await waitFor('signed out', async () => (await fleetState(p)).socketOpenCount === 0)
    await p.close()
  })

  it('compact: a device created while the page is live is announced, appears, and lands at 1e-6 precision', async () => {
    const admin = await mintToken(fleetd.url, { user: 'user_sim_c', org: ORG_C })
    const first = await createDevice(fleetd.url, admin, 'Early')
    await postPoint(fleetd.url, first.key, { lat: 45.5, lon: -73.5 })
    const p = await newPage()
    const sockets = recordSockets(p)
    await signIn(p, fleetd.url, { user: 'user_frank', org: ORG_C })
    await waitFor('the early device’s marker', async () => (await markers(p)).some((m) => m.id === first.id))

    const late = await createDevice(fleetd.url, admin, 'Late')
    // Seven decimals: the compact encoding carries six (docs/protocol.md), so the marker shows the rounding.
    await postPoint(fleetd.url, late.key, { lat: -33.8688197, lon: 151.2092956 })
    const m = await waitFor('the late device’s marker', async () => (await markers(p)).find((x) => x.id === late.id))
    expect([m.lat, m.lon]).toEqual([-33.86882, 151.209296])
    // Announced on this connection (a frame naming an unannounced index would have been loss: gaps stays 0).
    const announced = sockets[0]!.received.filter((x) => x.type === 'devices').flatMap((x) => x.devices as { i: number; id: string }[])
    expect(announced.map((d) => d.id)).toContain(late.id)

    // The early device moves too: its index came with the snapshot.
    await postPoint(fleetd.url, first.key, { lat: 45.501, lon: -73.499 })
    await waitFor('the early device to move', async () => (await markers(p)).some((x) => x.id === first.id && x.lat === 45.501 && x.lon === -73.499))
    expect(await fleetState(p)).toMatchObject({ status: 'live', tenant: ORG_C, format: 'compact', gaps: 0, markerCount: 2 })

    await p.getByTestId('sign-out').click()
    await waitFor('signed out', async () => (await fleetState(p)).socketOpenCount === 0)
    await p.close()
  })

  it('10 s tokens: six lifetimes on exactly one WebSocket, every refresh in-band with auth_ok, telemetry flowing', async () => {
    const p = await newPage()
    const sockets = recordSockets(p)
    const ttlS = 10
    await signIn(p, fleetd.url, { user: 'user_bob', org: ORG_A, ttlS })
    await waitFor('markers of org A', async () => (await markers(p)).length === VEHICLES)
    const s0 = await fleetState(p)
    expect(s0).toMatchObject({ tokenSerial: 1, socketsCreatedTotal: 1 })
    const firstExp = s0.sessionTokenExp!

    // Six lifetimes; the moment a socket closes or a second one opens, this fails.
    await holdFor(6 * ttlS * 1000, async () => {
      expect(sockets.map((w) => w.closedAt)).toEqual([null])
      const st = await fleetState(p)
      expect(st.socketsCreatedTotal).toBe(1)
      expect(st.lastClose).toBeNull()
    })

    const [ws] = sockets as [SocketLog]
    const auths = ws.sent.filter((m) => m.type === 'auth')
    await waitFor('an auth_ok for every refresh', () => ws.received.filter((m) => m.type === 'auth_ok').length === auths.length - 1, 5_000)
    const oks = ws.received.filter((m) => m.type === 'auth_ok')
    expect(oks.length).toBeGreaterThanOrEqual(6)
    expect(auths[0]).not.toHaveProperty('since') // a fresh session, then only refreshes
    expect(ws.received.filter((m) => m.type === 'hello')).toHaveLength(1)
    expect(ws.received.filter((m) => m.type === 'snapshot')).toHaveLength(1)
    // Each auth_ok moved the session's deadline on: far past the first token's expiry now.
    const exps = oks.map((m) => m.token_exp as number)
    expect([...exps].sort((a, b) => a - b)).toEqual(exps)
    expect(exps.at(-1)!).toBeGreaterThanOrEqual(firstExp + 5 * ttlS)

    const st = await fleetState(p)
    expect(st).toMatchObject({ status: 'live', tenant: ORG_A, socketsCreatedTotal: 1, socketOpenCount: 1, gaps: 0, lastClose: null })
    // The page's counters and this log see the same frames by different routes, and the next refresh (every
    // 5 s) may land between the two reads: the page is then one auth and one auth_ok ahead, never more.
    expect(st.authOkCount - oks.length).toBeGreaterThanOrEqual(0)
    expect(st.authOkCount - oks.length).toBeLessThanOrEqual(1)
    expect(st.tokenSerial - auths.length).toBeGreaterThanOrEqual(0)
    expect(st.tokenSerial - auths.length).toBeLessThanOrEqual(1)
    const isTelemetry = (m: Record<string, unknown>) => m.type === 'telemetry' || m.type === 'tc'
    const frames = ws.received.filter(isTelemetry).length
    await expectMovement(p, 'markers to keep moving after six lifetimes')
    // The movement seen may be a frame already counted and only now drawn (the page draws on the next
    // animation frame), so wait for a newer frame rather than expect one to be there already.
    await waitFor('telemetry frames after six lifetimes', () => ws.received.filter(isTelemetry).length > frames, 10_000)
    expect(await metric(fleetd.url, 'fleet_ws_connections')).toBe(baselineWs + 1)

    await p.getByTestId('sign-out').click()
    await waitFor('signed out', async () => (await fleetState(p)).socketOpenCount === 0)
    await p.close()
  })

  it('a fleetd restart (same port, same --data-dir) is back to Live within 3 s of ready, resumed without a snapshot', async () => {
    const p = await newPage()
    const sockets = recordSockets(p)
    await signIn(p, fleetd.url, { user: 'user_carol', org: ORG_A })
    await waitFor('markers of org A', async () => (await markers(p)).length === VEHICLES)
    const hello0 = await waitFor('the first hello', () => sockets[0]?.received.find((m) => m.type === 'hello'))

    const restartAt = Date.now()
    const { readyAt } = await fleetd.restart()
    const liveAt = await waitFor(
      'Live again, resumed',
      async () => {
        const s = await fleetState(p)
        return s.status === 'live' && s.recoveredCount >= 1 ? Date.now() : null
      },
      Math.max(1, readyAt + 3_000 - Date.now()),
      50,
    )
    expect(liveAt - readyAt).toBeLessThanOrEqual(3_000)

    const resumed = sockets.at(-1)!
    expect(resumed).not.toBe(sockets[0])
    expect(resumed.url).not.toContain('token')
    const auth = resumed.sent[0]!
    expect(auth).toMatchObject({ type: 'auth', epoch: hello0.epoch })
    expect(typeof auth.since).toBe('number')
    const hello1 = resumed.received.find((m) => m.type === 'hello')!
    expect(hello1).toMatchObject({ recovered: true, epoch: hello0.epoch, seq: auth.since })
    expect(resumed.received.filter((m) => m.type === 'snapshot')).toEqual([])

    // Nothing stuck: live, moving, the same five markers that were never removed and re-added.
    await expectMovement(p, 'markers to move after the restart')
    const st = await fleetState(p)
    expect(st).toMatchObject({ status: 'live', tenant: ORG_A, recovered: true, gaps: 0, markerCount: VEHICLES, socketOpenCount: 1 })
    expect((await seenMarkers(p)).filter((m) => m.t > restartAt)).toEqual([])
    await p.locator('[data-testid="connection-badge"][data-status="live"]').waitFor({ timeout: 1_000 })

    await p.getByTestId('sign-out').click()
    await waitFor('signed out', async () => (await fleetState(p)).socketOpenCount === 0)
    await p.close()
  })

  it('a restart with a new dev signing key: one fresh token at once, Live again within 3 s, not stuck on Refused', async () => {
    const p = await newPage()
    const sockets = recordSockets(p)
    const tokenFetches: number[] = []
    const minted: string[] = []
    p.on('request', (r) => r.url().endsWith('/dev/token') && tokenFetches.push(Date.now()))
    p.on('response', (r) => {
      if (r.url().endsWith('/dev/token')) r.json().then((b: { token: string }) => minted.push(b.token), () => {})
    })
    await signIn(p, fleetd.url, { user: 'user_dave', org: ORG_A })
    await waitFor('markers of org A', async () => (await markers(p)).length === VEHICLES)
    const oldToken = await waitFor('the minted token', () => minted[0])
    const serialBefore = (await fleetState(p)).tokenSerial

    const restartAt = Date.now()
    const { readyAt } = await fleetd.restart({ newDevKey: true })
    const liveAt = await waitFor(
      'Live again with a fresh token',
      async () => {
        const s = await fleetState(p)
        return s.status === 'live' && s.tokenSerial > serialBefore ? Date.now() : null
      },
      Math.max(1, readyAt + 3_000 - Date.now()),
      50,
    )
    expect(liveAt - readyAt).toBeLessThanOrEqual(3_000)

    // The old token was refused once; exactly one fresh token was fetched; the stream resumed.
    const after = sockets.filter((w) => w.openedAt > restartAt)
    const refused = after.filter((w) => w.sent[0]?.token === oldToken)
    expect(refused.length).toBeGreaterThanOrEqual(1)
    const current = after.at(-1)!
    expect(current.sent[0]).toMatchObject({ type: 'auth', epoch: sockets[0]!.received.find((m) => m.type === 'hello')!.epoch })
    expect(current.sent[0]!.token).not.toBe(oldToken)
    expect(current.received.find((m) => m.type === 'hello')).toMatchObject({ recovered: true })
    expect(tokenFetches.filter((t) => t > restartAt)).toHaveLength(1)
    const st = await fleetState(p)
    expect(st).toMatchObject({ status: 'live', tenant: ORG_A, markerCount: VEHICLES })
    await expectMovement(p, 'markers to move with the fresh token')

    await p.getByTestId('sign-out').click()
    await waitFor('signed out', async () => (await fleetState(p)).socketOpenCount === 0)
    await p.close()
  })

  it('no URL the browser opened ever carried a token', async () => {
    // Runs last: it checks every URL of the tests before it (each page signed in, refreshed or reconnected).
    await waitFor('the minted tokens to be recorded', () => urlWatch.tokens.size >= 1, 5_000)
    const tokens = [...urlWatch.tokens]
    expect(urlWatch.urls.filter((u) => u.startsWith('ws://')).length).toBeGreaterThanOrEqual(1)
    const leaks = urlWatch.urls.filter((u) => /[?&]token=/.test(u) || tokens.some((t) => u.includes(t) || u.includes(t.split('.')[2]!)))
    expect(leaks).toEqual([])
  })
})
