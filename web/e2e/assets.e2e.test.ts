/**
 * The app as a browser receives it from fleetd: its script and its geography arrive precompressed
 * (`Content-Encoding: br` or `gzip`, with `Vary: Accept-Encoding`), and source maps answer 404 although
 * the build wrote them (fleetd serves them only with --serve-source-maps). A returning viewer's token request
 * starts from index.html, not after the bundle (one round trip less on a slow link).
 */
import { existsSync, readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Page, Response } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WEB_DIR, createDevice, launchBrowser, mintToken, postPoint, signIn, startFleetd, waitFor, type Fleetd } from './harness.ts'

const ORG = 'org_assets'
const webRoot = resolve(process.env.E2E_WEB_ROOT ?? join(WEB_DIR, 'apps/web/dist'))

let fleetd: Fleetd
let browser: Awaited<ReturnType<typeof launchBrowser>> | null = null
let page: Page
const responses: Response[] = []

beforeAll(async () => {
  fleetd = await startFleetd()
  const admin = await mintToken(fleetd.url, { user: 'assets-admin', org: ORG })
  const device = await createDevice(fleetd.url, admin, 'van-1')
  // A vehicle, so the page goes on to load its basemap (geography loads after the first vehicles).
  await postPoint(fleetd.url, device.key, { lat: 52.52, lon: 13.405, speed_kph: 10, heading_deg: 90 })
  browser = await launchBrowser()
  page = await browser.context.newPage()
  page.on('response', (r) => responses.push(r))
  await signIn(page, fleetd.url, { user: 'assets-viewer', org: ORG })
})

afterAll(async () => {
  await browser?.close()
  await fleetd?.stop()
})

/** The page's own requests for `pattern`, answered 200. */
function loaded(pattern: RegExp): Response[] {
  return responses.filter((r) => r.status() === 200 && pattern.test(new URL(r.url()).pathname))
}

async function encodingOf(r: Response): Promise<{ encoding: string | undefined; vary: string | undefined }> {
  const h = await r.allHeaders()
  return { encoding: h['content-encoding'], vary: h['vary'] }
}

describe('fleetd serves the app precompressed', () => {
  it("delivers the app's script with Content-Encoding br or gzip and Vary: Accept-Encoding", async () => {
    const scripts = loaded(/^\/assets\/index-[^/]+\.js$/)
    expect(scripts.length).toBeGreaterThan(0)
    for (const script of scripts) {
      const { encoding, vary } = await encodingOf(script)
      expect(['br', 'gzip'], script.url()).toContain(encoding)
      expect(vary).toBe('Accept-Encoding')
      // The browser decoded it: the page runs (signIn saw it live), and the text is JavaScript.
      expect((await script.text()).length).toBeGreaterThan(1000)
    }
  })

  it('delivers geography (the basemap data) with Content-Encoding br or gzip', async () => {
    const geo = await waitFor('the page to load basemap data', () => {
      const found = loaded(/^\/basemap\/.+\.pack$/)
      return found.length > 0 ? found : null
    })
    for (const r of geo.slice(0, 5)) {
      const { encoding, vary } = await encodingOf(r)
      expect(['br', 'gzip'], r.url()).toContain(encoding)
      expect(vary).toBe('Accept-Encoding')
    }
  })

  it('answers a source map with 404 although the build wrote it, and links none from the script', async () => {
    const script = loaded(/^\/assets\/index-[^/]+\.js$/)[0]!
    const path = new URL(script.url()).pathname
    expect(existsSync(join(webRoot, `${path}.map`)), `${path}.map in the build`).toBe(true)
    expect(await script.text()).not.toMatch(/sourceMappingURL/)
    const statuses = await page.evaluate(async (p) => {
      const get = async (url: string) => (await fetch(url, { cache: 'no-store' })).status
      return { map: await get(`${p}.map`), gz: await get(`${p}.gz`), br: await get(`${p}.br`) }
    }, path)
    expect(statuses).toEqual({ map: 404, gz: 404, br: 404 })
    // Every map in the build is hidden, not just the entry's.
    const maps = readdirSync(join(webRoot, 'assets')).filter((f) => f.endsWith('.map'))
    const mapStatuses = await page.evaluate(
      async (names) => Promise.all(names.map(async (n) => (await fetch(`/assets/${n}`, { cache: 'no-store' })).status)),
      maps,
    )
    expect(new Set(mapStatuses)).toEqual(new Set([404]))
  })
})

describe('a returning viewer', () => {
  it("asks for its token from index.html's inline script while the app's script loads, and only once", async () => {
    const cdp = await page.context().newCDPSession(page)
    await cdp.send('Network.enable')
    const tokenRequests: { initiatorUrl: string | undefined; type: string }[] = []
    cdp.on('Network.requestWillBeSent', (e) => {
      if (new URL(e.request.url).pathname !== '/dev/token') return
      tokenRequests.push({ initiatorUrl: e.initiator.stack?.callFrames[0]?.url, type: e.initiator.type })
    })
    await page.reload()
    await page.locator('[data-testid="connection-badge"][data-status="live"]').waitFor({ timeout: 15_000 })
    await cdp.detach()
    // Started by the document itself (the inline script), not by the bundle after it ran; the app took that
    // answer over instead of asking again.
    expect(tokenRequests).toHaveLength(1)
    expect(tokenRequests[0]!.type).toBe('script')
    expect(new URL(tokenRequests[0]!.initiatorUrl ?? 'about:blank').pathname).toBe('/')
  })
})
