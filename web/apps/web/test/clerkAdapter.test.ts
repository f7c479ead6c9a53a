import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ClerkAuthAdapter, jwtExpiryMs, type ClerkAuthInfo } from '../src/features/auth/clerk/ClerkAuthAdapter.ts'

function jwt(payload: object): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url')
  return `${b64({ alg: 'RS256' })}.${b64(payload)}.sig`
}

const info = (o: Partial<ClerkAuthInfo> = {}): ClerkAuthInfo => ({
  isLoaded: true,
  isSignedIn: true,
  userId: 'user_1',
  orgId: 'org_a',
  orgRole: 'org:admin',
  ...o,
})

beforeEach(() => {
  vi.useFakeTimers()
  vi.setSystemTime(1_795_000_000_000)
})
afterEach(() => vi.useRealTimers())

describe('ClerkAuthAdapter', () => {
  it('reads exp from a JWT', () => {
    expect(jwtExpiryMs(jwt({ exp: 1795000060 }))).toBe(1795000060000)
    expect(jwtExpiryMs('garbage')).toBeNull()
  })

  it('loading → signed-in with the token from getToken(); new tokens are pushed when polled', async () => {
    let current = jwt({ exp: 1795000060, n: 1 })
    const getToken = vi.fn(async () => current)
    const a = new ClerkAuthAdapter({ pollMs: 10_000 })
    a.setFunctions(getToken, async () => {})
    expect(a.getSnapshot().status).toBe('loading')
    a.update(info({ isLoaded: false, isSignedIn: false, userId: null }))
    expect(a.getSnapshot().status).toBe('loading')
    a.update(info())
    await vi.advanceTimersByTimeAsync(0)
    expect(a.getSnapshot()).toMatchObject({ status: 'signed-in', token: current, orgId: 'org_a', tokenSerial: 1, expiresAt: 1795000060000 })
    await vi.advanceTimersByTimeAsync(10_000)
    expect(a.getSnapshot().tokenSerial).toBe(1) // same token: nothing pushed
    current = jwt({ exp: 1795000120, n: 2 })
    await vi.advanceTimersByTimeAsync(10_000)
    expect(a.getSnapshot()).toMatchObject({ token: current, tokenSerial: 2 })
    a.dispose()
  })

  it('organization switch: orgId changes at once, then the new token; sign-out clears', async () => {
    const tokens: Record<string, string> = { org_a: jwt({ exp: 1, o: 'a' }), org_b: jwt({ exp: 1, o: 'b' }) }
    let org = 'org_a'
    const a = new ClerkAuthAdapter()
    a.setFunctions(async () => tokens[org]!, async () => {})
    a.update(info())
    await vi.advanceTimersByTimeAsync(0)
    const states: string[] = []
    a.subscribe(() => states.push(`${a.getSnapshot().orgId}:${a.getSnapshot().switching}`))
    org = 'org_b'
    a.update(info({ orgId: 'org_b' }))
    await vi.advanceTimersByTimeAsync(0)
    expect(states).toEqual(['org_b:true', 'org_b:false'])
    expect(a.getSnapshot().token).toBe(tokens.org_b)
    a.update(info({ isSignedIn: false, userId: null, orgId: null }))
    expect(a.getSnapshot()).toMatchObject({ status: 'signed-out', token: null })
    a.dispose()
  })
})
