#!/usr/bin/env node
/**
 * Renderer comparison at 5,000 moving vehicles (issue 12): the app's Leaflet + one 2D canvas against
 * MapLibre GL JS (WebGL), each fed the same synthetic fleet (fleet.ts: every vehicle reports once a second,
 * delivered in 50 ms batches; both renderers redraw vehicle changes at most every 200 ms), in headless
 * Chromium, one after the other, sampled for SECONDS each the way web/e2e/perf.load.test.ts samples the
 * app: frame rate from requestAnimationFrame, main-thread busy share (CDP TaskDuration over wall time), CPU
 * time from /proc (the renderer's main thread, and every Chromium process: GPU process included, where
 * SwiftShader rasterises WebGL on the CPU), and the JS heap.
 *
 * Chromium runs twice per renderer: with the e2e suite's flags (--disable-gpu: no WebGL at all), and with
 * WebGL on SwiftShader (--use-angle=swiftshader --enable-unsafe-swiftshader), the only WebGL a machine
 * without a GPU has.
 *
 *   cd web && npx vite build --config ../bench/browser/vite.config.mjs --outDir /tmp/renderers --emptyOutDir
 *   node ../bench/browser/compare.mjs /tmp/renderers [SECONDS=10] [N=5000] > result.json
 */
import { createReadStream, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import { createRequire } from 'node:module'
import { loadavg, tmpdir } from 'node:os'
import { extname, join, resolve } from 'node:path'

const require = createRequire(resolve(import.meta.dirname, '../../web/package.json'))
const { chromium } = require('playwright-core')

const root = resolve(process.argv[2] ?? '/tmp/renderers')
const SECONDS = Number(process.argv[3] ?? 10)
const N = Number(process.argv[4] ?? 5000)
const BASE_FLAGS = ['--headless', '--no-sandbox', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
const GPU_MODES = {
  'no-gpu (e2e flags)': ['--disable-gpu'],
  'webgl on swiftshader': ['--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
}
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css' }

function serve(dir) {
  const server = createServer((req, res) => {
    const path = join(dir, decodeURIComponent(new URL(req.url, 'http://x').pathname))
    const file = existsSync(path) && !path.endsWith('/') ? path : join(dir, 'index.html')
    res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' })
    createReadStream(file).pipe(res)
  })
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r(server)))
}

/** CPU seconds of the browser started with `userDataDir`: its renderers' main threads, and all its processes. */
function chromiumCpu(userDataDir) {
  const info = new Map()
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      info.set(pid, { ppid: stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1], cmd: readFileSync(`/proc/${pid}/cmdline`, 'utf8') })
    } catch {
      /* exited meanwhile */
    }
  }
  const rootPid = [...info.entries()].find(([, v]) => v.cmd.includes(userDataDir) && !v.cmd.includes('--type='))?.[0]
  const under = (pid) => {
    for (let p = pid, i = 0; p && i < 10; p = info.get(p)?.ppid, i++) if (p === rootPid) return true
    return false
  }
  const cpu = (path) => {
    const rest = readFileSync(path, 'utf8').split(') ').pop().split(' ')
    return (Number(rest[11]) + Number(rest[12])) / 100
  }
  let main = 0
  let all = 0
  for (const [pid, v] of info) {
    if (!under(pid)) continue
    try {
      all += cpu(`/proc/${pid}/stat`)
      if (v.cmd.includes('--type=renderer')) main += cpu(`/proc/${pid}/task/${pid}/stat`)
    } catch {
      /* exited meanwhile */
    }
  }
  return { main, all }
}

async function measure(url, renderer, mode) {
  const userDataDir = mkdtempSync(join(tmpdir(), 'fleet-renderers-'))
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM_BIN ?? '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: [...BASE_FLAGS, ...GPU_MODES[mode]],
  })
  try {
    const page = await context.newPage()
    await page.goto(`${url}/?renderer=${renderer}&n=${N}`)
    const deadline = Date.now() + 30_000
    let st
    while (Date.now() < deadline) {
      st = await page.evaluate(() => window.__bench)
      if (st.ready || st.error) break
      await new Promise((r) => setTimeout(r, 200))
    }
    if (!st.ready) return { renderer, mode, webgl: st.webgl, error: st.error ?? 'not ready after 30 s' }
    await new Promise((r) => setTimeout(r, 3000)) // steady state only
    const cdp = await context.newCDPSession(page)
    await cdp.send('Performance.enable')
    const metrics = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]))
    await page.evaluate(() => {
      const w = window
      w.__frames = []
      let last = performance.now()
      const loop = (t) => {
        w.__frames.push(t - last)
        last = t
        requestAnimationFrame(loop)
      }
      requestAnimationFrame(loop)
    })
    const m0 = await metrics()
    const c0 = chromiumCpu(userDataDir)
    const t0 = Date.now()
    await new Promise((r) => setTimeout(r, SECONDS * 1000))
    const m1 = await metrics()
    const c1 = chromiumCpu(userDataDir)
    const wall = (Date.now() - t0) / 1000
    const frames = (await page.evaluate(() => window.__frames)).slice(1).sort((a, b) => a - b)
    return {
      renderer,
      mode,
      webgl: st.webgl,
      vehicles: N,
      seconds: Math.round(wall * 10) / 10,
      fps: Math.round(frames.length / wall),
      p95FrameMs: Math.round(frames[Math.floor(frames.length * 0.95)] ?? Infinity),
      mainThreadBusyPct: Math.round(((m1.TaskDuration - m0.TaskDuration) / wall) * 100),
      scriptPct: Math.round(((m1.ScriptDuration - m0.ScriptDuration) / wall) * 100),
      mainThreadCpuPct: Math.round(((c1.main - c0.main) / wall) * 100),
      chromiumCpuPct: Math.round(((c1.all - c0.all) / wall) * 100),
      jsHeapUsedMB: Math.round(m1.JSHeapUsedSize / 1e5) / 10,
      loadAvg1m: Math.round(loadavg()[0] * 100) / 100,
    }
  } finally {
    await context.close()
    rmSync(userDataDir, { recursive: true, force: true })
  }
}

const server = await serve(root)
const url = `http://127.0.0.1:${server.address().port}`
const results = []
for (const mode of Object.keys(GPU_MODES)) {
  for (const renderer of ['leaflet', 'maplibre']) {
    const r = await measure(url, renderer, mode)
    console.error(JSON.stringify(r))
    results.push(r)
  }
}
server.close()
console.log(JSON.stringify({ date: new Date().toISOString(), cpus: (await import('node:os')).cpus().length, results }, null, 2))
