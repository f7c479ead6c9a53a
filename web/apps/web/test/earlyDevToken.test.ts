import { describe, expect, it, vi } from 'vitest'
import { takeEarlyDevToken, withEarlyDevToken, type EarlyDevToken } from '../src/features/auth/earlyDevToken.ts'

const REQ = { user: 'user_alice', org: 'org_acme', role: 'admin', ttl_s: 60 }

function source(token = 'own') {
  return { devToken: vi.fn(async () => ({ token, expires_at_s: 2 })) }
}

function early(response: Promise<Response>, request = REQ): EarlyDevToken {
  return { request, response }
}

const ok = (body: unknown) => Promise.resolve(new Response(JSON.stringify(body), { status: 200 }))

describe('withEarlyDevToken', () => {
  it('answers the first matching request with the early token, and asks itself afterwards', async () => {
    const src = source()
    const s = withEarlyDevToken(src, early(ok({ token: 'early', expires_at_s: 1 })))
    expect(await s.devToken(REQ)).toEqual({ token: 'early', expires_at_s: 1 })
    expect(src.devToken).not.toHaveBeenCalled()
    expect((await s.devToken(REQ)).token).toBe('own')
    expect(src.devToken).toHaveBeenCalledTimes(1)
  })

  it('asks itself when the first request is for another organization', async () => {
    const src = source()
    const s = withEarlyDevToken(src, early(ok({ token: 'early', expires_at_s: 1 })))
    expect((await s.devToken({ ...REQ, org: 'org_globex' })).token).toBe('own')
    // The early answer is spent: it was for a session nobody asked for.
    expect((await s.devToken(REQ)).token).toBe('own')
  })

  it.each<[string, () => Promise<Response>]>([
    ['an HTTP error', () => Promise.resolve(new Response('{"error":"x"}', { status: 404 }))],
    ['a body without a token', () => ok({ nope: true })],
    ['a body that is not JSON', () => Promise.resolve(new Response('<html>', { status: 200 }))],
    ['a network failure', () => Promise.reject(new TypeError('failed to fetch'))],
  ])('falls back to its own request on %s', async (_what, response) => {
    const src = source()
    const s = withEarlyDevToken(src, early(response()))
    expect((await s.devToken(REQ)).token).toBe('own')
    expect(src.devToken).toHaveBeenCalledWith(REQ)
  })

  it('without an early request is the source itself', async () => {
    const src = source()
    expect((await withEarlyDevToken(src, null).devToken(REQ)).token).toBe('own')
  })
})

describe('takeEarlyDevToken', () => {
  it('takes the early request once', () => {
    const w: { __fleetEarlyDevToken?: EarlyDevToken } = { __fleetEarlyDevToken: early(ok({})) }
    expect(takeEarlyDevToken(w)).not.toBeNull()
    expect(takeEarlyDevToken(w)).toBeNull()
  })
})
