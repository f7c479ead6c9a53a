import type { ConnectionState } from '@fleet/api'
import { describe, expect, it } from 'vitest'
import { shareTokenFromPath } from '../src/features/share/shareRoute.ts'
import { isFinal, shareMessage, shareStatus } from '../src/features/share/shareStatus.ts'

const BASE: ConnectionState = {
  status: 'idle',
  lastClose: null,
  authRejected: false,
  attempt: 0,
  retryInMs: null,
  retryAt: null,
  tenant: null,
  tokenExp: null,
  recovered: null,
  format: null,
}
const closed = (reason: string) => ({ code: 1008, reason, wasClean: true, at: 0 })

describe('share route', () => {
  it('reads the token of /share/<token>, and nothing from other paths', () => {
    expect(shareTokenFromPath('/share/fsh_abc.DEF-123_x')).toBe('fsh_abc.DEF-123_x')
    expect(shareTokenFromPath('/share/fsh_abc/')).toBe('fsh_abc')
    expect(shareTokenFromPath('/')).toBeNull()
    expect(shareTokenFromPath('/shared/fsh_abc')).toBeNull()
  })

  it('a share path with no usable token is an invalid link (never sent anywhere)', () => {
    expect(shareTokenFromPath('/share/')).toBe('')
    expect(shareTokenFromPath('/share/a b')).toBe('')
    expect(shareTokenFromPath('/share/fsh_a/extra')).toBe('')
    expect(shareTokenFromPath('/share/%E0%A4%A')).toBe('')
  })
})

describe('share status', () => {
  it('1008 Share expired and Share revoked end the page, each said plainly', () => {
    const expired = shareStatus({ ...BASE, status: 'ended', lastClose: closed('Share expired') }, true)
    const revoked = shareStatus({ ...BASE, status: 'ended', lastClose: closed('Share revoked') }, true)
    expect(expired.kind).toBe('expired')
    expect(revoked.kind).toBe('revoked')
    expect(shareMessage(expired)).toMatch(/expired/)
    expect(shareMessage(revoked)).toMatch(/revoked/)
    expect(isFinal(expired) && isFinal(revoked)).toBe(true)
  })

  it('a refused token or a malformed link is an invalid link', () => {
    expect(shareStatus({ ...BASE, authRejected: true, lastClose: closed('Invalid token') }, true).kind).toBe('invalid')
    expect(shareStatus(BASE, false).kind).toBe('invalid')
    expect(shareMessage({ kind: 'invalid' })).toMatch(/invalid/)
  })

  it('live and reconnecting are not final', () => {
    expect(shareStatus({ ...BASE, status: 'live' }, true)).toEqual({ kind: 'live' })
    expect(isFinal(shareStatus({ ...BASE, status: 'reconnecting' }, true))).toBe(false)
  })
})
