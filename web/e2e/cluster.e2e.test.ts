/**
 * The web app against a two-node cluster (scripts/cluster.sh: PostgreSQL + NATS + nodes a and b), reached
 * the way a deployment reaches it: through a load balancer. A small TCP proxy stands in for it: every new
 * connection goes to the first node that accepts it (a, then b), and a connection whose node dies is cut,
 * as a real balancer's is. The page loads and signs in through the proxy (so on node a), the simulated
 * vehicles ingest on node b, then node a is killed and the page's own reconnect logic must resume on b.
 */
import { createServer, connect, type Server, type Socket } from 'node:net'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  MARKER_MONITOR,
  fleetState,
  launchBrowser,
  listDevices,
  markers,
  mintToken,
  recordSockets,
  seenMarkers,
  signIn,
  startCluster,
  startSimulator,
  waitFor,
  type Cluster,
  type MarkerInfo,
  type Simulator,
  type SocketLog,
} from './harness.ts'

const ORG = 'org_acme'
const VEHICLES = 5
const RATE = 2

/** A TCP "load balancer": each connection goes to the first backend that accepts it, in order. */
interface Balancer {
  url: string
  /** The backend (its URL) each accepted connection went to, in accept order. */
  routed: string[]
  close(): Promise<void>
}

async function startBalancer(backends: string[]): Promise<Balancer> {
  const targets = backends.map((u) => new URL(u))
  const routed: string[] = []
  const open = new Set<Socket>()
  const server: Server = createServer((client) => {
    open.add(client)
    client.on('close', () => open.delete(client))
    client.on('error', () => client.destroy())
    client.pause()
    const tryBackend = (i: number) => {
      if (i >= targets.length) return client.destroy()
      const t = targets[i]!
      const upstream = connect(Number(t.port), t.hostname)
      open.add(upstream)
      upstream.on('close', () => open.delete(upstream))
      let connected = false
      upstream.on('error', () => {
        // Refused (the node is down): try the next one. Otherwise the node died mid-connection: cut it.
        if (!connected) tryBackend(i + 1)
        else client.destroy()
      })
      upstream.once('connect', () => {
        connected = true
        routed.push(backends[i]!)
        client.pipe(upstream)
        upstream.pipe(client)
        client.resume()
        upstream.on('close', () => client.destroy())
        client.on('close', () => upstream.destroy())
      })
    }
    tryBackend(0)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const addr = server.address()
  if (!addr || typeof addr === 'string') throw new Error('balancer: no port')
  return {
    url: `http://127.0.0.1:${addr.port}`,
    routed,
    close: () =>
      new Promise<void>((r) => {
        for (const s of open) s.destroy()
        server.close(() => r())
      }),
  }
}

/** A socket's telemetry frames in order: `{seqs, skipped}` as recorded by `recordSockets`. */
function telemetryFrames(ws: SocketLog): { seqs: number[]; skipped: number }[] {
  return ws.received.filter((m) => m.type === 'tc' || m.type === 'telemetry') as unknown as { seqs: number[]; skipped: number }[]
}

/**
 * Checks docs/protocol.md's rule over one socket's stream: after `hello.seq`, every frame ascends, starts
 * above the previous frame's last seq, and `last − prev = events + skipped`. Returns the last seq.
 */
function checkContiguous(ws: SocketLog, helloSeq: number): number {
  let prev = helloSeq
  for (const f of telemetryFrames(ws)) {
    expect(f.seqs.length).toBeGreaterThan(0)
    expect(f.seqs[0]!).toBeGreaterThan(prev)
    for (let i = 1; i < f.seqs.length; i++) expect(f.seqs[i]!).toBeGreaterThan(f.seqs[i - 1]!)
    expect(f.seqs.at(-1)! - prev).toBe(f.seqs.length + f.skipped)
    prev = f.seqs.at(-1)!
  }
  return prev
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

let cluster: Cluster
let balancer: Balancer
let sim: Simulator | null = null
let browser: Awaited<ReturnType<typeof launchBrowser>> | null = null
const ids = new Set<string>()

beforeAll(async () => {
  cluster = await startCluster()
  balancer = await startBalancer([cluster.nodes.a, cluster.nodes.b])
  // The vehicles ingest on node b only; the page sees them through node a (NATS carries each batch).
  const token = await mintToken(cluster.nodes.b, { user: 'user_sim', org: ORG })
  sim = await startSimulator(cluster.nodes.b, token, { vehicles: VEHICLES, rate: RATE, label: 'cluster-b' })
  const devs = await waitFor(
    'devices with positions on node b',
    async () => {
      const d = await listDevices(cluster.nodes.b, token)
      return d.filter((x) => x.last !== null).length >= VEHICLES ? d : null
    },
    30_000,
    500,
  )
  for (const d of devs) ids.add(d.id)
  browser = await launchBrowser()
}, 120_000)

afterAll(async () => {
  await browser?.close().catch(() => {})
  await sim?.stop().catch(() => {})
  await balancer?.close().catch(() => {})
  await cluster?.stop()
})

describe('Live Tracking against a two-node cluster behind a balancer', () => {
  it('page on node a, ingest on node b; node a killed: the page resumes on node b with no gap and no duplicate', async () => {
    const page = await browser!.context.newPage()
    await page.addInitScript(MARKER_MONITOR)
    page.on('pageerror', (err) => console.error('[page error]', err))
    const sockets = recordSockets(page)

    await signIn(page, balancer.url, { user: 'user_alice', org: ORG })
    // Everything so far went to node a (the first backend, up).
    expect(new Set(balancer.routed)).toEqual(new Set([cluster.nodes.a]))
    const ms = await waitFor('5 markers', async () => {
      const m = await markers(page)
      return m.length === VEHICLES ? m : null
    })
    for (const m of ms) expect(ids.has(m.id)).toBe(true)
    await expectMovement(page, 'markers to move on node a with ingest on node b')
    const first = sockets[0]!
    const hello0 = first.received.find((m) => m.type === 'hello')!
    expect(hello0).toMatchObject({ type: 'hello', tenant: ORG })
    expect(first.received.filter((m) => m.type === 'snapshot')).toHaveLength(1)
    await waitFor('telemetry frames on node a', () => telemetryFrames(first).length >= 3, 10_000)

    const routedBefore = balancer.routed.length
    const killedAt = Date.now()
    await cluster.kill('a')
    await waitFor('the socket through node a to close', () => first.closedAt !== null, 10_000, 50)

    const resumed = await waitFor(
      'Live again on node b, resumed',
      async () => {
        const s = await fleetState(page)
        return s.status === 'live' && s.recoveredCount >= 1 ? sockets.at(-1) : null
      },
      20_000,
      50,
    )
    const liveAt = Date.now()
    console.log(`[e2e] cluster: node a killed, page Live on node b after ${liveAt - killedAt} ms, ${sockets.length - 1} reconnect socket(s)`)
    // Every connection since the kill went to node b.
    expect(balancer.routed.length).toBeGreaterThan(routedBefore)
    expect(new Set(balancer.routed.slice(routedBefore))).toEqual(new Set([cluster.nodes.b]))

    // The resume: since + epoch in the auth message, hello recovered:true at that seq, no new snapshot.
    expect(resumed).not.toBe(first)
    const auth = resumed.sent[0]!
    expect(auth).toMatchObject({ type: 'auth', epoch: hello0.epoch })
    expect(typeof auth.since).toBe('number')
    const hello1 = resumed.received.find((m) => m.type === 'hello')!
    expect(hello1).toMatchObject({ recovered: true, epoch: hello0.epoch, seq: auth.since })
    expect(resumed.received.filter((m) => m.type === 'snapshot')).toEqual([])

    // Markers keep moving on node b; Live, no gap, the same five markers never removed and re-added.
    const framesAtLive = telemetryFrames(resumed).length
    await expectMovement(page, 'markers to move after the switch to node b')
    await waitFor('telemetry frames on node b', () => telemetryFrames(resumed).length >= framesAtLive + 3, 10_000)
    const st = await fleetState(page)
    expect(st).toMatchObject({ status: 'live', tenant: ORG, recovered: true, gaps: 0, markerCount: VEHICLES, socketOpenCount: 1 })
    await page.locator('[data-testid="connection-badge"][data-status="live"]').waitFor({ timeout: 1_000 })
    expect((await seenMarkers(page)).filter((m) => m.t > killedAt)).toEqual([])

    // Seqs contiguous across the switch: node a's stream from its snapshot, every socket in between (none
    // may have delivered a frame), node b's from the page's `since`, which is where node a's stream ended.
    const lastOnA = checkContiguous(first, hello0.seq as number)
    expect(auth.since).toBe(lastOnA)
    for (const ws of sockets.slice(1, -1)) expect(telemetryFrames(ws)).toEqual([])
    const lastOnB = checkContiguous(resumed, hello1.seq as number)
    const all = sockets.flatMap((ws) => telemetryFrames(ws).flatMap((f) => f.seqs))
    expect(new Set(all).size).toBe(all.length)
    expect(lastOnB).toBeGreaterThan(lastOnA)

    await page.getByTestId('sign-out').click()
    await waitFor('signed out', async () => (await fleetState(page)).socketOpenCount === 0)
    await page.close()
  })
})
