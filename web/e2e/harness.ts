/**
 * End-to-end harness: a real fleetd (dev issuer on), simulators feeding it, and headless Chromium driven
 * by playwright-core. Everything listens on loopback and is stopped afterwards.
 *
 * Environment:
 *   FLEETD_BIN      fleetd binary (default: ../build-lead/src/app/fleetd, ../build/src/app/fleetd)
 *   FLEETD_ARGS     extra fleetd arguments (whitespace-separated)
 *   FLEETCTL_BIN    fleetctl binary for `fleetctl --server URL simulate --token T --vehicles N --rate R`
 *                   (default: looked up under ../build-lead and ../build). Without one the harness uses
 *                   its built-in Node simulator (same HTTP API) unless E2E_REQUIRE_FLEETCTL=1.
 *   FLEETCTL_ARGS   extra `simulate` arguments
 *   CHROMIUM_BIN    browser binary (default /usr/bin/chromium); never downloaded
 *   E2E_WEB_ROOT    built app (default apps/web/dist; `npm run test:e2e` builds it first)
 *
 * `startCluster` starts two nodes sharing PostgreSQL and NATS with `scripts/cluster.sh` (the same FLEETD_BIN
 * and E2E_WEB_ROOT; FLEETD_ARGS become FLEET_CLUSTER_FLEETD_ARGS). E2E_CLUSTER=1 makes `startFleetd` start
 * such a cluster and hand out its node a, to run a suite against a cluster node (`restart` then throws).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { copyFileSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, type WriteStream } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type BrowserContext, type Page } from 'playwright-core'

const here = dirname(fileURLToPath(import.meta.url))
export const WEB_DIR = resolve(here, '..')
export const REPO_DIR = resolve(WEB_DIR, '..')
export const ARTIFACTS = join(here, 'artifacts')

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

/** Polls `fn` until it returns a truthy value (returned) or the timeout expires (throws with `what`). */
export async function waitFor<T>(what: string, fn: () => Promise<T> | T, timeoutMs = 15_000, everyMs = 200): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const v = await fn()
      if (v) return v as NonNullable<T>
      last = v
    } catch (err) {
      last = err
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`)
    }
    await sleep(everyMs)
  }
}

/**
 * Watches an invariant for `durationMs` (for tests about what holds over time, e.g. six token lifetimes):
 * `check` runs every `everyMs`, and the first throw fails at once instead of at the end.
 */
export async function holdFor(durationMs: number, check: () => Promise<void> | void, everyMs = 500): Promise<void> {
  const end = Date.now() + durationMs
  for (;;) {
    await check()
    if (Date.now() >= end) return
    await sleep(Math.min(everyMs, end - Date.now()))
  }
}

function splitArgs(v: string | undefined): string[] {
  return (v ?? '').split(/\s+/).filter(Boolean)
}

function firstExisting(candidates: (string | undefined)[]): string | null {
  for (const c of candidates) if (c && existsSync(c)) return c
  return null
}

function pipeLogs(proc: ChildProcess, file: WriteStream, prefix: string, tail: string[]): void {
  const onData = (chunk: Buffer) => {
    const text = chunk.toString()
    file.write(text)
    for (const line of text.split('\n')) {
      if (!line) continue
      tail.push(`${prefix}${line}`)
      if (tail.length > 200) tail.shift()
    }
  }
  proc.stdout?.on('data', onData)
  proc.stderr?.on('data', onData)
}

async function stopProcess(proc: ChildProcess, timeoutMs = 5000): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return
  const exited = new Promise<void>((r) => proc.once('exit', () => r()))
  proc.kill('SIGTERM')
  const done = await Promise.race([exited.then(() => true), sleep(timeoutMs).then(() => false)])
  if (!done) {
    proc.kill('SIGKILL')
    await exited
  }
}

// ---------------------------------------------------------------------------------------------- fleetd

export interface Fleetd {
  url: string
  port: number
  logTail: string[]
  /**
   * SIGTERM, wait for the exit, then start again on the same port with the same --data-dir. Resolves
   * when /readyz answers 200 again, with that moment (epoch ms). `newDevKey` deletes the dev issuer's
   * key file first (docs/auth.md), so the restarted fleetd refuses every token it issued before.
   */
  restart(opts?: { newDevKey?: boolean }): Promise<{ readyAt: number }>
  stop(): Promise<void>
}

interface FleetdProcess {
  proc: ChildProcess
  port: number
  readyAt: number
}

function fleetdBin(): string {
  const bin = firstExisting([
    process.env.FLEETD_BIN,
    join(REPO_DIR, 'build-lead/src/app/fleetd'),
    join(REPO_DIR, 'build/src/app/fleetd'),
  ])
  if (!bin) throw new Error('fleetd not found: set FLEETD_BIN to the fleetd binary')
  return bin
}

/** Starts fleetd on `listen` and waits for its port file and /readyz. */
async function spawnFleetd(bin: string, args: string[], portFile: string, log: WriteStream, tail: string[]): Promise<FleetdProcess> {
  rmSync(portFile, { force: true })
  const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  pipeLogs(proc, log, '[fleetd] ', tail)
  let exited = false
  proc.once('exit', () => (exited = true))
  try {
    const port = await waitFor(
      'fleetd to write --port-file',
      () => {
        if (exited) throw new Error(`fleetd exited (${proc.exitCode ?? proc.signalCode}):\n${tail.slice(-20).join('\n')}`)
        if (!existsSync(portFile)) return 0
        const p = Number.parseInt(readFileSync(portFile, 'utf8').trim(), 10)
        return Number.isFinite(p) && p > 0 ? p : 0
      },
      20_000,
      50,
    )
    const url = `http://127.0.0.1:${port}`
    await waitFor('fleetd /readyz', async () => (await fetch(`${url}/readyz`)).ok, 20_000, 50)
    return { proc, port, readyAt: Date.now() }
  } catch (err) {
    await stopProcess(proc)
    throw err
  }
}

/** Node a of a `startCluster` cluster as a Fleetd; it cannot be restarted (cluster.sh only kills nodes). */
async function clusterNodeA(): Promise<Fleetd> {
  const cluster = await startCluster()
  const url = cluster.nodes.a
  return {
    url,
    port: Number(new URL(url).port),
    logTail: [`[fleetd] cluster node a: logs in ${ARTIFACTS}/cluster-a.log`],
    restart: () => Promise.reject(new Error('E2E_CLUSTER=1: a cluster node cannot be restarted in place')),
    stop: () => cluster.stop(),
  }
}

export async function startFleetd(): Promise<Fleetd> {
  if (process.env.E2E_CLUSTER === '1') return clusterNodeA()
  const bin = fleetdBin()
  const webRoot = resolve(process.env.E2E_WEB_ROOT ?? join(WEB_DIR, 'apps/web/dist'))
  if (!existsSync(join(webRoot, 'index.html'))) throw new Error(`${webRoot}/index.html missing: run \`npm run build\` first`)

  mkdirSync(ARTIFACTS, { recursive: true })
  const tmp = mkdtempSync(join(tmpdir(), 'fleet-e2e-'))
  const dataDir = join(tmp, 'data')
  mkdirSync(dataDir)
  const portFile = join(tmp, 'port')
  const args = (listen: string) => [
    '--dev',
    '--listen', listen,
    '--data-dir', dataDir,
    '--web-root', webRoot,
    '--port-file', portFile,
    ...splitArgs(process.env.FLEETD_ARGS),
  ]
  const log = createWriteStream(join(ARTIFACTS, 'fleetd.log'))
  const tail: string[] = []
  let current: FleetdProcess
  try {
    current = await spawnFleetd(bin, args('127.0.0.1:0'), portFile, log, tail)
  } catch (err) {
    log.end()
    rmSync(tmp, { recursive: true, force: true })
    throw err
  }
  const port = current.port
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    logTail: tail,
    restart: async (opts = {}) => {
      await stopProcess(current.proc)
      if (opts.newDevKey) rmSync(join(dataDir, 'dev-issuer-key.pem'), { force: true })
      log.write(`---- e2e: fleetd restarted on port ${port}${opts.newDevKey ? ' with a new dev key' : ''} ----\n`)
      current = await spawnFleetd(bin, args(`127.0.0.1:${port}`), portFile, log, tail)
      return { readyAt: current.readyAt }
    },
    stop: async () => {
      await stopProcess(current.proc)
      log.end()
      rmSync(tmp, { recursive: true, force: true })
    },
  }
}

// ---------------------------------------------------------------------------------------------- cluster

/** Two fleetd nodes sharing PostgreSQL and NATS, started by `scripts/cluster.sh` (read it). */
export interface Cluster {
  dir: string
  /** Node URLs (`http://127.0.0.1:port`), each serving the web app. */
  nodes: { a: string; b: string }
  /** `cluster.sh kill DIR <node>`: kill -9 one node (its port then refuses connections). */
  kill(node: 'a' | 'b'): Promise<void>
  /** Copies every log to ARTIFACTS/cluster-*.log, stops everything and removes the directory. */
  stop(): Promise<void>
}

function clusterScript(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const script = join(REPO_DIR, 'scripts/cluster.sh')
  return new Promise((resolvePromise, reject) => {
    execFile(script, args, { env, timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`cluster.sh ${args.join(' ')} failed: ${err.message}\n${stderr}`))
      else resolvePromise(stdout)
    })
  })
}

export async function startCluster(): Promise<Cluster> {
  const webRoot = resolve(process.env.E2E_WEB_ROOT ?? join(WEB_DIR, 'apps/web/dist'))
  if (!existsSync(join(webRoot, 'index.html'))) throw new Error(`${webRoot}/index.html missing: run \`npm run build\` first`)
  const dir = mkdtempSync(join(tmpdir(), 'fleet-e2e-cluster-'))
  const env = {
    ...process.env,
    FLEETD_BIN: fleetdBin(),
    FLEET_CLUSTER_WEB_ROOT: webRoot,
    FLEET_CLUSTER_FLEETD_ARGS: process.env.FLEETD_ARGS ?? '',
  }
  const saveLogs = () => {
    mkdirSync(ARTIFACTS, { recursive: true })
    for (const name of ['a.log', 'b.log', 'nats.log', 'pg/server.log']) {
      const from = join(dir, name)
      if (existsSync(from)) copyFileSync(from, join(ARTIFACTS, `cluster-${name.replace('/', '-')}`))
    }
  }
  let out: string
  try {
    out = await clusterScript(['start', dir], env)
  } catch (err) {
    saveLogs()
    await clusterScript(['stop', dir]).catch(() => {})
    rmSync(dir, { recursive: true, force: true })
    throw err
  }
  const value = (key: string) => {
    const m = new RegExp(`^${key}=(.*)$`, 'm').exec(out)
    if (!m) throw new Error(`cluster.sh start printed no ${key}:\n${out}`)
    return m[1]!
  }
  return {
    dir,
    nodes: { a: value('FLEET_NODE_A'), b: value('FLEET_NODE_B') },
    kill: async (node) => {
      await clusterScript(['kill', dir, node])
    },
    stop: async () => {
      saveLogs()
      await clusterScript(['stop', dir])
    },
  }
}

export async function mintToken(url: string, req: { user: string; org: string; role?: string; ttl_s?: number }): Promise<string> {
  const r = await fetch(`${url}/dev/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ role: 'admin', ttl_s: 3600, ...req }),
  })
  if (!r.ok) throw new Error(`/dev/token → ${r.status} ${await r.text()}`)
  return ((await r.json()) as { token: string }).token
}

export interface ApiDevice {
  id: string
  name: string
  last: { lat: number; lon: number; seq: number } | null
}

export async function listDevices(url: string, token: string): Promise<ApiDevice[]> {
  const r = await fetch(`${url}/api/v1/devices`, { headers: { Authorization: `Bearer ${token}` } })
  if (!r.ok) throw new Error(`/api/v1/devices → ${r.status} ${await r.text()}`)
  return ((await r.json()) as { devices: ApiDevice[] }).devices
}

/** Creates a device with an admin token; returns its id and device key. */
export async function createDevice(url: string, token: string, name: string): Promise<{ id: string; key: string }> {
  const r = await fetch(`${url}/api/v1/devices`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ name }),
  })
  if (r.status !== 201) throw new Error(`create device → ${r.status} ${await r.text()}`)
  const b = (await r.json()) as { device: { id: string }; key: string }
  return { id: b.device.id, key: b.key }
}

/** Posts one point with a device key (answered once stored). */
export async function postPoint(url: string, key: string, point: { lat: number; lon: number; [k: string]: unknown }): Promise<void> {
  const r = await fetch(`${url}/api/v1/telemetry`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ ts: Date.now(), ...point }),
  })
  if (!r.ok) throw new Error(`post telemetry → ${r.status} ${await r.text()}`)
}

/** Sum of a Prometheus counter over all its label sets (e.g. every `reason`); 0 when not registered. */
export async function metricSum(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text()
  let sum = 0
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line)
    if (m && m[1] === name) sum += Number(m[3])
  }
  return sum
}

/** Value of an unlabelled Prometheus gauge/counter; null when fleetd has not registered it (yet). */
export async function metric(url: string, name: string): Promise<number | null> {
  const text = await (await fetch(`${url}/metrics`)).text()
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line)
    if (m && m[1] === name && !m[2]) return Number(m[3])
  }
  return null
}

// ---------------------------------------------------------------------------------------------- simulators

export interface Simulator {
  kind: 'fleetctl' | 'node'
  stop(): Promise<void>
}

/**
 * `opts.args`: extra `simulate` arguments for fleetctl (ignored by the Node fallback); `opts.requireFleetctl`
 * refuses the Node fallback (as E2E_REQUIRE_FLEETCTL=1 does) for loads it cannot carry.
 */
export async function startSimulator(
  url: string,
  token: string,
  opts: { vehicles: number; rate: number; label: string; args?: string[]; requireFleetctl?: boolean },
): Promise<Simulator> {
  const bin = firstExisting([
    process.env.FLEETCTL_BIN,
    join(REPO_DIR, 'build-lead/tools/fleetctl/fleetctl'),
    join(REPO_DIR, 'build-lead/client/fleetctl'),
    join(REPO_DIR, 'build-lead/src/app/fleetctl'),
    join(REPO_DIR, 'build/tools/fleetctl/fleetctl'),
  ])
  if (bin) {
    mkdirSync(ARTIFACTS, { recursive: true })
    const log = createWriteStream(join(ARTIFACTS, `fleetctl-${opts.label}.log`))
    const args = ['--server', url, 'simulate', '--token', token, '--vehicles', String(opts.vehicles), '--rate', String(opts.rate), ...(opts.args ?? []), ...splitArgs(process.env.FLEETCTL_ARGS)]
    const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    const tail: string[] = []
    pipeLogs(proc, log, `[fleetctl ${opts.label}] `, tail)
    await sleep(300)
    if (proc.exitCode !== null) throw new Error(`fleetctl exited at once (${proc.exitCode}):\n${tail.join('\n')}`)
    return {
      kind: 'fleetctl',
      stop: async () => {
        await stopProcess(proc)
        log.end()
      },
    }
  }
  if (opts.requireFleetctl || process.env.E2E_REQUIRE_FLEETCTL === '1') throw new Error('fleetctl not found: set FLEETCTL_BIN')
  console.warn(`[e2e] fleetctl not found (set FLEETCTL_BIN); using the built-in Node simulator for ${opts.label}`)
  return startNodeSimulator(url, token, opts)
}

/**
 * Fallback simulator speaking the same HTTP API as `fleetctl simulate`: creates the devices with the
 * admin token, then each device posts its position `rate` times a second with its own device key.
 */
export async function startNodeSimulator(url: string, token: string, opts: { vehicles: number; rate: number; label: string }): Promise<Simulator> {
  const center = opts.label.endsWith('b') ? { lat: 52.52, lon: 13.405 } : { lat: 48.8566, lon: 2.3522 }
  const vehicles: { key: string; lat: number; lon: number; heading: number; speed: number }[] = []
  const create = async (i: number) => {
    const r = await fetch(`${url}/api/v1/devices`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: `Sim ${opts.label} ${i + 1}` }),
    })
    if (r.status !== 201) throw new Error(`create device → ${r.status} ${await r.text()}`)
    const { key } = (await r.json()) as { key: string }
    const spread = opts.vehicles > 20 ? 0.2 : 0.01
    return {
      key,
      lat: center.lat + (((i * 7919) % 100) / 100 - 0.5) * spread * 4,
      lon: center.lon + (((i * 104729) % 100) / 100 - 0.5) * spread * 6,
      heading: (i * 72) % 360,
      speed: 30 + (i % 10) * 5,
    }
  }
  for (let i = 0; i < opts.vehicles; i += 25) {
    const batch = await Promise.all(Array.from({ length: Math.min(25, opts.vehicles - i) }, (_, k) => create(i + k)))
    vehicles.push(...batch)
  }
  let stopped = false
  const tick = async () => {
    await Promise.all(
      vehicles.map(async (v) => {
        v.heading = (v.heading + 7) % 360
        const d = (v.speed / 3600 / opts.rate) / 111 // degrees travelled this tick
        v.lat += d * Math.cos((v.heading * Math.PI) / 180)
        v.lon += (d * Math.sin((v.heading * Math.PI) / 180)) / Math.cos((v.lat * Math.PI) / 180)
        const body = { ts: Date.now(), lat: v.lat, lon: v.lon, speed_kph: v.speed, heading_deg: v.heading, battery_pct: 80 }
        try {
          await fetch(`${url}/api/v1/telemetry`, {
            method: 'POST',
            headers: { Authorization: `Bearer ${v.key}`, 'Content-Type': 'application/json' },
            body: JSON.stringify(body),
          })
        } catch {
          /* server stopping */
        }
      }),
    )
  }
  const periodMs = 1000 / opts.rate
  const loop = (async () => {
    while (!stopped) {
      const t0 = Date.now()
      await tick()
      await sleep(Math.max(0, periodMs - (Date.now() - t0)))
    }
  })()
  return {
    kind: 'node',
    stop: async () => {
      stopped = true
      await loop
    },
  }
}

// ---------------------------------------------------------------------------------------------- browser

/** `userDataDir` names this browser's processes (its browser process has it on the command line). */
export async function launchBrowser(): Promise<{ context: BrowserContext; userDataDir: string; close(): Promise<void> }> {
  const executablePath = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium'
  if (!existsSync(executablePath)) throw new Error(`Chromium not found at ${executablePath} (set CHROMIUM_BIN)`)
  const userDataDir = mkdtempSync(join(tmpdir(), 'fleet-e2e-chromium-'))
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
  return {
    context,
    userDataDir,
    close: async () => {
      await context.close()
      rmSync(userDataDir, { recursive: true, force: true })
    },
  }
}

export interface MarkerInfo {
  id: string
  tenant: string
  lat: number
  lon: number
}

export interface DebugState {
  status: string
  tenant: string | null
  org: string | null
  user: string | null
  deviceCount: number
  markerCount: number
  socketOpenCount: number
  socketsOpenedTotal: number
  socketsCreatedTotal: number
  lastClose: { code: number; reason: string } | null
  tokenSerial: number
  tokenExpiresAt: number | null
  sessionTokenExp: number | null
  authOkCount: number
  recovered: boolean | null
  recoveredCount: number
  notRecoveredCount: number
  skippedEvents: number
  gaps: number
  format: string | null
}

const DEBUG_KEYS: (keyof DebugState)[] = [
  'status', 'tenant', 'org', 'user', 'deviceCount', 'markerCount', 'socketOpenCount', 'socketsOpenedTotal',
  'socketsCreatedTotal', 'lastClose', 'tokenSerial', 'tokenExpiresAt', 'sessionTokenExp', 'authOkCount',
  'recovered', 'recoveredCount', 'notRecoveredCount', 'skippedEvents', 'gaps', 'format',
]

export function fleetState(page: Page): Promise<DebugState> {
  return page.evaluate((keys) => {
    const f = (window as unknown as { __fleet: Record<string, unknown> }).__fleet
    const out: Record<string, unknown> = {}
    for (const k of keys) out[k] = f[k]
    return out as unknown as DebugState
  }, DEBUG_KEYS)
}

// ---------------------------------------------------------------------------------------------- wire

export interface SocketLog {
  url: string
  openedAt: number
  closedAt: number | null
  sent: Record<string, unknown>[]
  received: Record<string, unknown>[]
}

/**
 * Records every WebSocket the page opens, with its text frames parsed (telemetry frames, `telemetry` or
 * compact `tc`, are kept as `{type, bytes, events, seqs, skipped}` only, to keep the log small over a
 * minute of traffic).
 */
export function recordSockets(page: Page): SocketLog[] {
  const sockets: SocketLog[] = []
  const parse = (payload: string | Buffer): Record<string, unknown> => {
    try {
      const text = payload.toString()
      const m = JSON.parse(text) as Record<string, unknown>
      if (m.type === 'telemetry') {
        const seqs = (m.events as { seq: number }[]).map((e) => e.seq)
        return { type: m.type, bytes: text.length, events: seqs.length, seqs, skipped: m.skipped ?? 0 }
      }
      if (m.type === 'tc') {
        // A chunk is [seq0, ts0, event…]; an event starts with its offset o (seq = seq0 + o).
        const chunks = m.chunks as [number, number, ...[number, ...unknown[]][]][]
        const seqs = chunks.flatMap(([seq0, , ...events]) => events.map((e) => seq0 + e[0]))
        return { type: m.type, bytes: text.length, events: seqs.length, seqs, skipped: m.skipped ?? 0 }
      }
      return m
    } catch {
      return { unparsed: true }
    }
  }
  page.on('websocket', (ws) => {
    const log: SocketLog = { url: ws.url(), openedAt: Date.now(), closedAt: null, sent: [], received: [] }
    sockets.push(log)
    ws.on('framesent', (f) => log.sent.push(parse(f.payload)))
    ws.on('framereceived', (f) => log.received.push(parse(f.payload)))
    ws.on('close', () => (log.closedAt = Date.now()))
  })
  return sockets
}

/** Every URL the browser requested (pages, assets, fetches, WebSockets) and every token /dev/token minted. */
export interface UrlWatch {
  urls: string[]
  tokens: Set<string>
}

export function watchUrls(context: BrowserContext): UrlWatch {
  const watch: UrlWatch = { urls: [], tokens: new Set() }
  context.on('request', (r) => watch.urls.push(r.url()))
  context.on('response', (r) => {
    if (!r.url().endsWith('/dev/token') || !r.ok()) return
    r.json().then(
      (b: { token?: unknown }) => typeof b.token === 'string' && watch.tokens.add(b.token),
      () => {},
    )
  })
  const onPage = (page: Page) => page.on('websocket', (ws) => watch.urls.push(ws.url()))
  context.pages().forEach(onPage)
  context.on('page', onPage)
  return watch
}

export function markers(page: Page): Promise<MarkerInfo[]> {
  return page.$$eval('[data-testid="vehicle-marker"]', (els) =>
    els.map((e) => {
      const d = (e as HTMLElement).dataset
      return { id: d.deviceId ?? '', tenant: d.tenant ?? '', lat: Number(d.lat), lon: Number(d.lon) }
    }),
  )
}

/**
 * How many pixels of the map's vehicle canvas are drawn (not transparent): the markers' DOM records say
 * what the page holds, this that it is drawn. 0 when there is no canvas.
 */
export function drawnVehiclePixels(page: Page): Promise<number> {
  return page.$eval('canvas.vehicle-canvas', (c) => {
    const canvas = c as HTMLCanvasElement
    const data = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data
    let n = 0
    if (data) for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) n++
    return n
  }).catch(() => 0)
}

/**
 * A page point (CSS px) inside an arrow the vehicle canvas draws in the given look (its fill colour:
 * `moving` #1f6feb, `selected` #d9480f), the one nearest the canvas's top; null when none is drawn.
 */
export function drawnVehiclePoint(page: Page, look: 'moving' | 'selected' = 'moving'): Promise<{ x: number; y: number } | null> {
  const rgb = look === 'moving' ? [31, 111, 235] : [217, 72, 15]
  return page.$eval(
    'canvas.vehicle-canvas',
    (c, [r, g, b]) => {
      const canvas = c as HTMLCanvasElement
      const data = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data
      if (!data) return null
      const box = canvas.getBoundingClientRect()
      const scale = canvas.width / box.width
      for (let i = 0; i < data.length; i += 4) {
        if (data[i + 3] === 255 && Math.abs(data[i]! - r!) < 8 && Math.abs(data[i + 1]! - g!) < 8 && Math.abs(data[i + 2]! - b!) < 8) {
          const px = (i / 4) % canvas.width
          const py = Math.floor(i / 4 / canvas.width)
          // A few px below the arrow's topmost pixel of that colour: inside the arrow whichever way it points.
          return { x: box.left + px / scale, y: box.top + py / scale + 3 }
        }
      }
      return null
    },
    rgb,
  ).catch(() => null)
}

/** The device ids whose marker records carry the class `selected`. */
export function selectedMarkers(page: Page): Promise<string[]> {
  return page.$$eval('[data-testid="vehicle-marker"].selected', (els) => els.map((e) => (e as HTMLElement).dataset.deviceId ?? ''))
}

/** Records every marker that appears (or changes tenant) with its time, from page load on. */
export const MARKER_MONITOR = `
(() => {
  const seen = [];
  Object.defineProperty(window, '__e2eMarkers', { value: seen });
  const record = (el) => {
    if (el && el.nodeType === 1 && el.dataset && el.dataset.testid === 'vehicle-marker' && el.dataset.tenant)
      seen.push({ id: el.dataset.deviceId, tenant: el.dataset.tenant, t: Date.now() });
  };
  const start = () => new MutationObserver((muts) => {
    for (const m of muts) {
      if (m.type === 'attributes') record(m.target);
      else m.addedNodes.forEach((n) => { record(n); if (n.querySelectorAll) n.querySelectorAll('[data-testid="vehicle-marker"]').forEach(record); });
    }
  }).observe(document.documentElement, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-tenant'] });
  if (document.documentElement) start(); else document.addEventListener('DOMContentLoaded', start);
})();
`

export function seenMarkers(page: Page): Promise<{ id: string; tenant: string; t: number }[]> {
  return page.evaluate(() => (window as unknown as { __e2eMarkers: { id: string; tenant: string; t: number }[] }).__e2eMarkers.slice())
}

export async function signIn(page: Page, url: string, who: { user: string; org: string; ttlS?: number }): Promise<void> {
  await page.goto(url)
  await page.getByTestId('dev-signin').waitFor()
  await page.getByTestId('signin-user').fill(who.user)
  await page.getByTestId('signin-org').fill(who.org)
  if (who.ttlS !== undefined) {
    await page.locator('[data-testid="dev-signin"] details summary').click()
    await page.getByTestId('signin-ttl').fill(String(who.ttlS))
  }
  await page.getByTestId('signin-submit').click()
  await page.locator('[data-testid="connection-badge"][data-status="live"]').waitFor({ timeout: 15_000 })
}

// ---------------------------------------------------------------------------------------------- accessibility

/** The WCAG 2.x A/AA rule tags axe runs (its best-practice rules are advice, not criteria, and stay off). */
export const AXE_WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']

export interface AxeViolation {
  id: string
  impact: string | null
  help: string
  helpUrl: string
  nodes: { target: string[]; html: string; failureSummary: string }[]
}

let axeSource: string | null = null

/**
 * Runs axe-core (the npm package's `axe.min.js`, injected into the page once per document) with the WCAG
 * 2.x A/AA rules over the whole page, or only over the parts matching `include` (CSS selectors; those not
 * in the page are skipped), and returns the violations (empty when none).
 */
export async function runAxe(page: Page, include?: string[]): Promise<AxeViolation[]> {
  axeSource ??= readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')
  const loaded = await page.evaluate(() => typeof (window as unknown as { axe?: unknown }).axe !== 'undefined')
  if (!loaded) await page.addScriptTag({ content: axeSource })
  return page.evaluate(async ({ tags, include }) => {
    const axe = (window as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: AxeViolation[] }> } }).axe
    const context = include ? { include: include.filter((sel) => document.querySelector(sel)).map((sel) => [sel]) } : document
    const { violations } = await axe.run(context, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] })
    return violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({ target: n.target, html: n.html, failureSummary: n.failureSummary })),
    }))
  }, { tags: AXE_WCAG_TAGS, include })
}

/** Every violation in full (rule, impact, help, and each node's selector, HTML and why), for a failure message. */
export function formatAxeViolations(violations: AxeViolation[]): string {
  return violations
    .map((v) =>
      [
        `${v.id} (${v.impact ?? 'n/a'}): ${v.help} <${v.helpUrl}>`,
        ...v.nodes.map((n) => `  at ${n.target.join(' ')}\n    ${n.html}\n    ${n.failureSummary.replace(/\n/g, '\n    ')}`),
      ].join('\n'),
    )
    .join('\n')
}

/** The page's scroll width against its viewport width: more than the viewport means sideways scrolling. */
export function horizontalOverflow(page: Page): Promise<{ scrollWidth: number; innerWidth: number }> {
  return page.evaluate(() => ({ scrollWidth: document.scrollingElement!.scrollWidth, innerWidth: window.innerWidth }))
}

/**
 * Presses Tab (from wherever focus is) until the focused element matches `selector`, at most `maxTabs`
 * times; returns the stops passed (tag, test id or accessible text), or throws with them if never reached.
 */
export async function tabTo(page: Page, selector: string, maxTabs = 40): Promise<string[]> {
  const stops: string[] = []
  for (let i = 0; i < maxTabs; i++) {
    await page.keyboard.press('Tab')
    const stop = await page.evaluate((sel) => {
      const el = document.activeElement as HTMLElement | null
      if (!el || el === document.body) return { hit: false, name: 'body' }
      const name = `${el.tagName.toLowerCase()}${el.dataset.testid ? `[${el.dataset.testid}]` : ''} "${(el.getAttribute('aria-label') ?? el.textContent ?? '').trim().slice(0, 30)}"`
      return { hit: el.matches(sel), name }
    }, selector)
    stops.push(stop.name)
    if (stop.hit) return stops
  }
  throw new Error(`${selector} not reached in ${maxTabs} Tabs; stops: ${stops.join(' → ')}`)
}
