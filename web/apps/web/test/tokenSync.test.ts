import type { CloseInfo } from '@fleet/api'
import { describe, expect, it, vi } from 'vitest'
import { TokenSync, refreshOnTokenRequired, type Identity } from '../src/features/auth/tokenSync.ts'
import { LOADING, SIGNED_OUT, type AuthSnapshot } from '../src/features/auth/types.ts'

function signedIn(token: string, orgId = 'org_a', userId = 'user_alice', tokenSerial = 1): AuthSnapshot {
  return { ...SIGNED_OUT, status: 'signed-in', token, orgId, userId, role: 'admin', tokenSerial }
}

function setup() {
  const log: string[] = []
  const http = { setToken: (t: string | null) => log.push(`http:${t}`) }
  const ws = { setToken: (t: string | null) => log.push(`ws:${t}`) }
  const ids: Identity[] = []
  const sync = new TokenSync([http, ws], (id) => {
    ids.push(id)
    log.push(`identity:${id.orgId}`)
  })
  return { sync, log, ids }
}

describe('TokenSync', () => {
  it('pushes each new token to both clients, once', () => {
    const { sync, log } = setup()
    sync.apply(signedIn('t1'))
    sync.apply(signedIn('t1'))
    sync.apply(signedIn('t2'))
    expect(log).toEqual(['identity:org_a', 'http:t1', 'ws:t1', 'http:t2', 'ws:t2'])
  })

  it('clears both on sign-out', () => {
    const { sync, log } = setup()
    sync.apply(signedIn('t1'))
    log.length = 0
    sync.apply(SIGNED_OUT)
    expect(log).toEqual(['identity:null', 'http:null', 'ws:null'])
  })

  it('does nothing while the provider is loading', () => {
    const { sync, log } = setup()
    sync.apply(LOADING)
    expect(log).toEqual([])
  })

  it('reports an organization switch before the new token is pushed', () => {
    const { sync, log } = setup()
    sync.apply(signedIn('t1', 'org_a'))
    log.length = 0
    sync.apply({ ...signedIn('t1', 'org_b'), switching: true }) // switch started, old token
    sync.apply(signedIn('t2', 'org_b')) // token for org_b arrived
    expect(log).toEqual(['identity:org_b', 'http:t2', 'ws:t2'])
  })

  it('pushes the same token again when the provider reports it anew (a re-mint after a refusal)', () => {
    const { sync, log } = setup()
    sync.apply(signedIn('t1', 'org_a', 'user_alice', 1))
    log.length = 0
    sync.apply(signedIn('t1', 'org_a', 'user_alice', 2))
    expect(log).toEqual(['http:t1', 'ws:t1'])
  })
})

describe('refreshOnTokenRequired', () => {
  it('fetches a fresh token when the WebSocket client asks, only while signed in', () => {
    let listener: ((c: CloseInfo) => void) | null = null
    const ws = {
      on: (_type: 'tokenRequired', l: (c: CloseInfo) => void) => {
        listener = l
        return () => (listener = null)
      },
    }
    let snapshot: AuthSnapshot = signedIn('t1')
    const provider = { getSnapshot: () => snapshot, refreshToken: vi.fn(async () => {}) }
    const off = refreshOnTokenRequired(ws, provider)
    const close: CloseInfo = { code: 1008, reason: 'Invalid token', wasClean: true, at: 0 }
    listener!(close)
    expect(provider.refreshToken).toHaveBeenCalledTimes(1)
    snapshot = SIGNED_OUT
    listener!(close)
    expect(provider.refreshToken).toHaveBeenCalledTimes(1)
    off()
    expect(listener).toBeNull()
  })
})
