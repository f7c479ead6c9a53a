import { describe, expect, it } from 'vitest'
import { checkFrame, closeAction, parseServerMessage, peekIdentity } from '../src/index.ts'
import { jwt } from './fake-socket.ts'

describe('checkFrame (docs/protocol.md: last − prev = events + skipped)', () => {
  it.each([
    [10, [11, 12, 13], 0, 13],
    [10, [16, 17], 5, 17],
    [0, [1], 0, 1],
    [10, [], 0, 10],
  ])('prev %i, seqs %j, skipped %i: consistent, last %i', (prev, seqs, skipped, last) => {
    expect(checkFrame(prev, seqs, skipped)).toEqual({ ok: true, last })
  })

  it.each([
    [10, [12], 0, 'a hole'],
    [10, [16, 17], 4, 'too few skipped'],
    [10, [12, 13], 1, 'a hole explained in the wrong place is still consistent by count'],
    [10, [10, 11], 0, 'a duplicate'],
    [10, [12, 11], 0, 'descending'],
    [10, [11, 11], 0, 'repeated'],
    [10, [11], 1.5, 'fractional skipped'],
    [10, [11], Number.NaN, 'malformed skipped'],
    [10, [Number.NaN], 0, 'no seq'],
    [10, [], 3, 'skipped without events'],
  ])('prev %i, seqs %j, skipped %s: %s', (prev, seqs, skipped, what) => {
    const r = checkFrame(prev, seqs, skipped)
    // The rule counts, it cannot tell where the skipped events were: this one passes by design.
    if (what.startsWith('a hole explained')) expect(r.ok).toBe(true)
    else expect(r.ok).toBe(false)
  })
})

describe('peekIdentity', () => {
  it('reads sub and o.id (v2), else org_id (v1), like fleetd', () => {
    expect(peekIdentity(jwt('org_a', 1, 'user_1'))).toEqual({ sub: 'user_1', org: 'org_a' })
    expect(peekIdentity(jwt('org_b', 1, 'user_1', 'v1'))).toEqual({ sub: 'user_1', org: 'org_b' })
    expect(peekIdentity(jwt(null, 1, 'user_1'))).toEqual({ sub: 'user_1', org: null })
  })

  it('decodes UTF-8 payloads', () => {
    const payload = Buffer.from(JSON.stringify({ sub: 'usér', o: { id: 'org_ü' } })).toString('base64url')
    expect(peekIdentity(`e30.${payload}.x`)).toEqual({ sub: 'usér', org: 'org_ü' })
  })

  it.each(['', 'opaque', 'a.b', 'a.!!!.c', `e30.${Buffer.from('[1]').toString('base64url')}.x`, `e30.${Buffer.from('{"o":{"id":"x"}}').toString('base64url')}.x`])(
    'returns null for %j',
    (token) => expect(peekIdentity(token)).toBeNull(),
  )
})

describe('closeAction: one table for every close of docs/protocol.md', () => {
  it.each([
    [1000, '', 'backoff'],
    [1001, 'Server shutting down', 'backoff'],
    [1006, '', 'backoff'],
    [1011, 'Internal error', 'backoff'],
    [1013, 'Slow consumer', 'backoff'],
    [1013, 'Server busy', 'backoff'],
    [1008, 'Missing token', 'token'],
    [1008, 'Invalid token', 'token'],
    [1008, 'No organization', 'token'],
    [1008, 'Session pending', 'token'],
    [1008, 'Token expired', 'token'],
    [1008, 'Something new', 'token'],
    [1008, 'Authentication timeout', 'backoff'],
    [1008, 'Too many auth messages', 'backoff'],
    [1008, 'Protocol violation', 'backoff'],
    [1008, 'Invalid options', 'backoff'],
    [1008, 'Organization changed', 'reauth'],
    [1008, 'Token mismatch', 'reauth'],
    [1008, 'Invalid resume', 'fresh'],
  ])('%i %s → %s', (code, reason, action) => {
    expect(closeAction(code, reason)).toBe(action)
  })
})

describe('protocol 2 parsing', () => {
  it('hello carries epoch, token_grace_s and recovered only when present', () => {
    const base = { type: 'hello', protocol: 2, tenant: 't', user: 'u', role: '', token_exp: 5, server: 's', seq: 3 }
    expect(parseServerMessage(JSON.stringify({ ...base, epoch: 'e', token_grace_s: 15, recovered: true }))).toEqual({
      ...base,
      epoch: 'e',
      token_grace_s: 15,
      recovered: true,
    })
    const h = parseServerMessage(JSON.stringify(base))
    expect(h && 'epoch' in h).toBe(false)
    expect(h && 'recovered' in h).toBe(false)
  })

  it('auth_ok needs a numeric token_exp; telemetry skipped defaults to 0', () => {
    expect(parseServerMessage('{"type":"auth_ok","token_exp":1795000060}')).toEqual({ type: 'auth_ok', token_exp: 1795000060 })
    expect(parseServerMessage('{"type":"auth_ok"}')).toBeNull()
    expect(parseServerMessage('{"type":"telemetry","events":[]}')).toMatchObject({ skipped: 0 })
    expect(parseServerMessage('{"type":"telemetry","skipped":37,"events":[]}')).toMatchObject({ skipped: 37 })
  })
})
