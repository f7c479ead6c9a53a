import { ApiError, type DevTokenRequest, type DevTokenResponse } from '@fleet/api'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { DevAuthProvider, clampTtlS, defaultTtlS, refreshDelayMs } from '../src/features/auth/DevAuthProvider.ts'

function memoryStorage() {
  const m = new Map<string, string>()
  return {
    getItem: (k: string) => m.get(k) ?? null,
    setItem: (k: string, v: string) => void m.set(k, v),
    removeItem: (k: string) => void m.delete(k),
    map: m,
  }
}

function source() {
  const requests: DevTokenRequest[] = []
  let n = 0
  let fail: unknown = null
  const src = {
    devToken: vi.fn(async (req: DevTokenRequest): Promise<DevTokenResponse> => {
      requests.push(req)
      if (fail) throw fail
      n++
      return { token: `tok${n}.${req.org}`, expires_at_s: Math.floor(Date.now() / 1000) + (req.ttl_s ?? 60) }
    }),
  }
  return { src, requests, setFail: (e: unknown) => (fail = e) }
}

beforeEach(() => {
  vi.useFakeTimers()
  vi.setSystemTime(1_795_000_000_000)
})
afterEach(() => vi.useRealTimers())

describe('DevAuthProvider', () => {
  it('refresh delay: 2/3 of the lifetime or 10 s before expiry, whichever is earlier, never before half', () => {
    expect(refreshDelayMs(60_000)).toBe(40_000) // 2/3
    expect(refreshDelayMs(20_000)).toBe(10_000) // 10 s before expiry = half
    expect(refreshDelayMs(24_000)).toBe(14_000) // 10 s before expiry
    expect(refreshDelayMs(10_000)).toBe(5_000) // test tokens: half, not a refresh loop
    expect(refreshDelayMs(86_400_000)).toBe(57_600_000)
  })

  it('token lifetime for tests: ?token_ttl_s=, else localStorage, else 60 s; clamped to [5, 86400]', () => {
    const storage = memoryStorage()
    expect(defaultTtlS('', null)).toBe(60)
    expect(defaultTtlS('?token_ttl_s=10', storage)).toBe(10)
    storage.setItem('fleet.dev.tokenTtlS', '12')
    expect(defaultTtlS('', storage)).toBe(12)
    expect(defaultTtlS('?token_ttl_s=1', storage)).toBe(5)
    expect(defaultTtlS('?token_ttl_s=abc', storage)).toBe(12)
    expect(clampTtlS('999999')).toBe(86_400)
    expect(clampTtlS('')).toBeNull()
  })

  it('signs in, persists the session, and refreshes the 60 s token at 2/3 of its lifetime', async () => {
    const { src, requests } = source()
    const storage = memoryStorage()
    const p = new DevAuthProvider(src, { storage })
    const seen: (string | null)[] = []
    p.subscribe(() => seen.push(p.getSnapshot().token))
    await p.signIn({ user: 'user_alice', org: 'org_acme', role: 'admin', ttlS: 60 })
    expect(requests).toEqual([{ user: 'user_alice', org: 'org_acme', role: 'admin', ttl_s: 60 }])
    expect(p.getSnapshot()).toMatchObject({ status: 'signed-in', token: 'tok1.org_acme', orgId: 'org_acme', userId: 'user_alice', tokenSerial: 1 })
    expect(JSON.parse(storage.map.get('fleet.dev.session')!)).toMatchObject({ user: 'user_alice', org: 'org_acme' })

    await vi.advanceTimersByTimeAsync(39_999)
    expect(requests).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(requests).toHaveLength(2)
    expect(p.getSnapshot()).toMatchObject({ token: 'tok2.org_acme', tokenSerial: 2 })
    await vi.advanceTimersByTimeAsync(40_000)
    expect(p.getSnapshot().tokenSerial).toBe(3)
    expect(seen[0]).toBeNull() // loading first
  })

  it('switching organization changes orgId at once (switching) and then brings the new token', async () => {
    const { src } = source()
    const p = new DevAuthProvider(src, { storage: null })
    await p.signIn({ user: 'u', org: 'org_a', role: 'admin', ttlS: 60 })
    const states: string[] = []
    p.subscribe(() => {
      const s = p.getSnapshot()
      states.push(`${s.orgId}/${s.token}/${s.switching}`)
    })
    await p.switchOrganization('org_b')
    expect(states).toEqual(['org_b/tok1.org_a/true', 'org_b/tok2.org_b/false'])
  })

  it('a failed switch goes back to the previous organization', async () => {
    const { src, setFail } = source()
    const p = new DevAuthProvider(src, { storage: null })
    await p.signIn({ user: 'u', org: 'org_a', role: 'admin', ttlS: 60 })
    setFail(new ApiError({ status: 503, code: 'unavailable', message: 'busy' }))
    await p.switchOrganization('org_b')
    expect(p.getSnapshot()).toMatchObject({ orgId: 'org_a', switching: false, token: 'tok1.org_a' })
    expect(p.getSnapshot().error).toContain('Could not switch organization')
    setFail(null)
    await vi.advanceTimersByTimeAsync(1000)
    expect(p.getSnapshot()).toMatchObject({ orgId: 'org_a', token: 'tok2.org_a', error: null })
  })

  it('a failed refresh keeps the token and retries with backoff', async () => {
    const { src, requests, setFail } = source()
    const p = new DevAuthProvider(src, { storage: null })
    await p.signIn({ user: 'u', org: 'org_a', role: 'admin', ttlS: 60 })
    setFail(new TypeError('Failed to fetch'))
    await vi.advanceTimersByTimeAsync(40_000)
    expect(p.getSnapshot()).toMatchObject({ status: 'signed-in', token: 'tok1.org_a' })
    expect(p.getSnapshot().error).toContain('Token refresh failed')
    setFail(null)
    await vi.advanceTimersByTimeAsync(2000)
    expect(requests.length).toBeGreaterThanOrEqual(3)
    expect(p.getSnapshot()).toMatchObject({ token: 'tok2.org_a', error: null })
  })

  it('a failed sign-in reports the error; 404 means the dev issuer is off', async () => {
    const { src, setFail } = source()
    setFail(new ApiError({ status: 404, code: 'not_found', message: 'Not found' }))
    const p = new DevAuthProvider(src, { storage: null })
    await p.signIn({ user: 'u', org: 'org_a', role: 'admin', ttlS: 60 })
    expect(p.getSnapshot()).toMatchObject({ status: 'signed-out', token: null })
    expect(p.getSnapshot().error).toContain('--dev')
  })

  it('sign-out clears the token, the stored session and the refresh timer; late answers are dropped', async () => {
    const { src, requests } = source()
    const storage = memoryStorage()
    const p = new DevAuthProvider(src, { storage })
    await p.signIn({ user: 'u', org: 'org_a', role: 'admin', ttlS: 60 })
    const pending = p.refreshToken() // in flight while signing out
    await p.signOut()
    await pending
    expect(p.getSnapshot()).toMatchObject({ status: 'signed-out', token: null, orgId: null })
    expect(storage.map.size).toBe(0)
    await vi.advanceTimersByTimeAsync(600_000)
    expect(requests).toHaveLength(2)
    expect(p.getSnapshot().token).toBeNull()
  })

  it('restore() signs in with the stored session', async () => {
    const { src } = source()
    const storage = memoryStorage()
    storage.setItem('fleet.dev.session', JSON.stringify({ user: 'user_bob', org: 'org_globex', role: 'admin', ttlS: 30 }))
    const p = new DevAuthProvider(src, { storage })
    await p.restore()
    expect(p.getSnapshot()).toMatchObject({ status: 'signed-in', userId: 'user_bob', orgId: 'org_globex' })
  })
})
