import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { AuthOk, CloseInfo } from '../src/index.ts'
import { EPOCH, FakeSocket, jwt } from './fake-socket.ts'
import { makeClient } from './helpers.ts'

beforeEach(() => {
  FakeSocket.reset()
  vi.useFakeTimers()
  vi.setSystemTime(1_795_000_000_000)
})

afterEach(() => {
  vi.useRealTimers()
})

describe('first-message auth', () => {
  it('opens /ws without a token and sends auth as the first message, after the socket opens', () => {
    const { client } = makeClient()
    const t = jwt('org_a')
    client.setToken(t)
    const s = FakeSocket.last()
    expect(s.url).toBe('ws://127.0.0.1:3000/ws')
    expect(s.url).not.toContain(t)
    expect(s.sent).toEqual([]) // nothing can be sent before open
    s.serverOpen()
    expect(s.messages()).toEqual([{ type: 'auth', token: t }])
    expect(client.getState().status).toBe('connecting') // live only after hello
  })

  it('the query mode (protocol 1 servers) puts the token in the URL and sends no auth message', () => {
    const { client } = makeClient({ auth: 'query' })
    client.setToken('a.b.c')
    const s = FakeSocket.last()
    expect(s.url).toBe('ws://127.0.0.1:3000/ws?token=a.b.c')
    s.serverOpen()
    expect(s.sent).toEqual([])
  })
})

describe('in-band refresh', () => {
  it('a new token for the same user and organization is sent on the open socket; auth_ok updates token_exp', () => {
    const { client, statuses } = makeClient()
    const oks: AuthOk[] = []
    client.on('authOk', (m) => oks.push(m))
    client.setToken(jwt('org_a', 1))
    const s = FakeSocket.last()
    s.goLive('org_a', 5)
    statuses.length = 0

    const t2 = jwt('org_a', 2)
    client.setToken(t2)
    expect(FakeSocket.instances).toHaveLength(1) // never reopens
    expect(s.closeCalls).toEqual([])
    expect(s.messages().slice(1)).toEqual([{ type: 'auth', token: t2 }])
    expect(client.getState().status).toBe('live')

    s.serverSend({ type: 'auth_ok', token_exp: 1795000120 })
    expect(oks).toEqual([{ type: 'auth_ok', token_exp: 1795000120 }])
    expect(client.getState()).toMatchObject({ status: 'live', tokenExp: 1795000120 })
    expect(client.getStats()).toMatchObject({ refreshes: 1, created: 1 })
    expect(statuses.every((st) => st.status === 'live')).toBe(true)
  })

  it('never more than one refresh in flight: the newest waiting token follows the auth_ok', () => {
    const { client } = makeClient()
    client.setToken(jwt('org_a', 1))
    const s = FakeSocket.last()
    s.goLive()
    client.setToken(jwt('org_a', 2))
    client.setToken(jwt('org_a', 3))
    client.setToken(jwt('org_a', 4))
    expect(s.messages().slice(1)).toEqual([{ type: 'auth', token: jwt('org_a', 2) }])
    s.serverSend({ type: 'auth_ok', token_exp: 1795000120 })
    expect(s.messages().slice(1)).toEqual([
      { type: 'auth', token: jwt('org_a', 2) },
      { type: 'auth', token: jwt('org_a', 4) },
    ])
    s.serverSend({ type: 'auth_ok', token_exp: 1795000240 })
    expect(s.sent).toHaveLength(3) // nothing newer: nothing more
    expect(client.getState().tokenExp).toBe(1795000240)
    expect(client.getStats().refreshes).toBe(2)
  })

  it('an unsolicited auth_ok changes nothing', () => {
    const { client } = makeClient()
    client.setToken(jwt('org_a', 1))
    FakeSocket.last().goLive()
    FakeSocket.last().serverSend({ type: 'auth_ok', token_exp: 1 })
    expect(client.getState().tokenExp).toBe(1795000060)
    expect(client.getStats().refreshes).toBe(0)
  })

  it('a token that arrives while the socket authenticates is sent in-band right after hello', () => {
    const { client } = makeClient()
    client.setToken(jwt('org_a', 1))
    const s = FakeSocket.last()
    s.serverOpen()
    client.setToken(jwt('org_a', 2))
    expect(FakeSocket.instances).toHaveLength(1)
    expect(s.sent).toHaveLength(1)
    s.serverSend({ type: 'hello', protocol: 2, tenant: 'org_a', user: 'user_alice', role: 'admin', token_exp: 1, server: 'x', seq: 0, epoch: EPOCH })
    expect(s.messages()[1]).toEqual({ type: 'auth', token: jwt('org_a', 2) })
  })

  it('a token whose payload cannot be read is tried in-band (the server decides)', () => {
    const { client } = makeClient()
    client.setToken(jwt('org_a', 1))
    const s = FakeSocket.last()
    s.goLive()
    client.setToken('opaque-token')
    expect(FakeSocket.instances).toHaveLength(1)
    expect(s.messages()[1]).toEqual({ type: 'auth', token: 'opaque-token' })
  })

  it('a token naming no organization in o.id / org_id is tried in-band (the tenant may come from another claim)', () => {
    const { client } = makeClient()
    client.setToken(jwt('org_a', 1))
    const s = FakeSocket.last()
    s.goLive('org_a')
    client.setToken(jwt(null, 2))
    expect(FakeSocket.instances).toHaveLength(1)
    expect(s.messages()[1]).toEqual({ type: 'auth', token: jwt(null, 2) })
  })

  it('reads the v1 org_id claim like the server does', () => {
    const { client } = makeClient()
    client.setToken(jwt('org_a', 1, 'user_alice', 'v1'))
    const s = FakeSocket.last()
    s.goLive('org_a')
    client.setToken(jwt('org_a', 2, 'user_alice', 'v1'))
    expect(FakeSocket.instances).toHaveLength(1)
    client.setToken(jwt('org_b', 3, 'user_alice', 'v1'))
    expect(FakeSocket.instances).toHaveLength(2)
  })
})

describe('another organization or user', () => {
  it('a token of another organization closes the socket and connects with it, without resuming', () => {
    const { client } = makeClient()
    client.setToken(jwt('org_a'))
    const s1 = FakeSocket.last()
    s1.goLive('org_a', 40)
    const tb = jwt('org_b')
    client.setToken(tb)
    expect(s1.closeCalls).toEqual([{ code: 1000, reason: 'Reconnecting' }])
    expect(s1.sent).toHaveLength(1) // no in-band attempt
    const s2 = FakeSocket.last()
    s2.serverOpen()
    expect(s2.messages()).toEqual([{ type: 'auth', token: tb }])
    expect(client.getState()).toMatchObject({ status: 'connecting', tenant: null })
  })

  it('a token of another user reconnects too', () => {
    const { client } = makeClient()
    client.setToken(jwt('org_a', 1, 'user_alice'))
    FakeSocket.last().goLive('org_a')
    client.setToken(jwt('org_a', 2, 'user_bob'))
    expect(FakeSocket.instances).toHaveLength(2)
  })

  it.each(['Organization changed', 'Token mismatch'])('1008 %s after an in-band attempt reconnects at once with that token', (reason) => {
    const { client } = makeClient()
    const required: CloseInfo[] = []
    client.on('tokenRequired', (c) => required.push(c))
    client.setToken(jwt('org_a', 1))
    const s1 = FakeSocket.last()
    s1.goLive('org_a', 9)
    client.setToken('opaque-token-of-org-b')
    expect(s1.messages()[1]).toEqual({ type: 'auth', token: 'opaque-token-of-org-b' })
    s1.serverClose(1008, reason)
    expect(FakeSocket.instances).toHaveLength(2) // at once: no timer
    const s2 = FakeSocket.last()
    s2.serverOpen()
    expect(s2.messages()).toEqual([{ type: 'auth', token: 'opaque-token-of-org-b' }]) // no since/epoch
    expect(client.getState()).toMatchObject({ status: 'connecting', tenant: null })
    expect(required).toEqual([])
  })
})

describe('refused tokens (1008)', () => {
  it('asks for one fresh token at once, connects with it at once, and resumes', () => {
    const { client } = makeClient()
    const required: CloseInfo[] = []
    const rejected: CloseInfo[] = []
    client.on('tokenRequired', (c) => required.push(c))
    client.on('authRejected', (c) => rejected.push(c))
    client.setToken(jwt('org_a', 1))
    FakeSocket.last().goLive('org_a', 7)
    FakeSocket.last().serverClose(1008, 'Invalid token') // e.g. fleetd restarted with another dev key
    expect(required.map((c) => c.reason)).toEqual(['Invalid token'])
    expect(rejected).toHaveLength(1)
    expect(client.getState()).toMatchObject({ status: 'idle', authRejected: true, retryInMs: null })
    vi.advanceTimersByTime(600_000)
    expect(FakeSocket.instances).toHaveLength(1) // never retries a refused token by itself
    expect(required).toHaveLength(1)

    const fresh = jwt('org_a', 2)
    client.setToken(fresh)
    expect(FakeSocket.instances).toHaveLength(2)
    FakeSocket.last().serverOpen()
    expect(FakeSocket.last().messages()).toEqual([{ type: 'auth', token: fresh, since: 7, epoch: EPOCH }])
    expect(client.getState()).toMatchObject({ status: 'reconnecting', authRejected: false })
  })

  it('when the fresh token is refused too, the next one is asked for only after a backoff delay', () => {
    const { client } = makeClient({ random: () => 0.999999 })
    const required: number[] = []
    client.on('tokenRequired', () => required.push(Date.now()))
    client.setToken(jwt('org_a', 1))
    FakeSocket.last().goLive()
    FakeSocket.last().serverClose(1008, 'Token expired')
    expect(required).toHaveLength(1)
    client.setToken(jwt('org_a', 2))
    FakeSocket.last().serverOpen()
    FakeSocket.last().serverClose(1008, 'Invalid token')
    expect(required).toHaveLength(1)
    expect(client.getState()).toMatchObject({ status: 'reconnecting', authRejected: true, retryInMs: 499 })
    vi.advanceTimersByTime(498)
    expect(required).toHaveLength(1)
    vi.advanceTimersByTime(1)
    expect(required).toHaveLength(2)
    expect(client.getState().status).toBe('idle')
    // Third refusal, a while later: the window keeps growing.
    client.setToken(jwt('org_a', 3))
    vi.advanceTimersByTime(5_000)
    FakeSocket.last().serverClose(1008, 'Invalid token')
    expect(client.getState().retryInMs).toBe(999)
    // A hello resets it all: the next refusal asks at once again.
    client.reconnectNow()
    expect(required).toHaveLength(3)
    client.setToken(jwt('org_a', 4))
    FakeSocket.last().goLive()
    FakeSocket.last().serverClose(1008, 'Token expired')
    expect(required).toHaveLength(4)
  })

  it('the same token again after tokenRequired retries it (the app had nothing newer)', () => {
    const { client } = makeClient()
    const t = jwt('org_a', 1)
    client.setToken(t)
    FakeSocket.last().serverOpen()
    FakeSocket.last().serverClose(1008, 'Invalid token')
    client.setToken(t)
    expect(FakeSocket.instances).toHaveLength(2)
    client.setToken(t) // and only once
    expect(FakeSocket.instances).toHaveLength(2)
  })

  it('connect() with the refused token waits for a new one', () => {
    const { client, logger } = makeClient()
    client.setToken(jwt('org_a', 1))
    FakeSocket.last().serverClose(1008, 'Invalid token')
    client.connect()
    expect(logger.warn).toHaveBeenCalledWith('[WebSocket] Token was refused by the server; waiting for a new token')
    expect(FakeSocket.instances).toHaveLength(1)
  })

  it('a refused in-band refresh asks for a token; Token expired with a newer token at hand reconnects with it', () => {
    const { client } = makeClient()
    const required: string[] = []
    client.on('tokenRequired', (c) => required.push(c.reason))
    client.setToken(jwt('org_a', 1))
    FakeSocket.last().goLive()
    client.setToken(jwt('org_a', 2))
    FakeSocket.last().serverClose(1008, 'Invalid token') // the refresh token was refused
    expect(required).toEqual(['Invalid token'])
    expect(FakeSocket.instances).toHaveLength(1)

    client.setToken(jwt('org_a', 3))
    FakeSocket.last().goLive()
    client.setToken(jwt('org_a', 4))
    FakeSocket.last().serverClose(1008, 'Token expired') // the old one expired before the refresh was answered
    expect(required).toEqual(['Invalid token'])
    expect(FakeSocket.instances).toHaveLength(3)
    FakeSocket.last().serverOpen()
    expect(FakeSocket.last().messages()[0]).toMatchObject({ type: 'auth', token: jwt('org_a', 4) })
  })

  it.each([
    ['Authentication timeout', true],
    ['Too many auth messages', true],
    ['Protocol violation', true],
    ['Invalid resume', false],
  ])('1008 %s is not a token problem: backoff and reconnect (resume: %s)', (reason, resumes) => {
    const { client } = makeClient({ random: () => 0.999999 })
    const required: string[] = []
    client.on('tokenRequired', (c) => required.push(c.reason))
    client.setToken(jwt('org_a', 1))
    FakeSocket.last().goLive('org_a', 3)
    FakeSocket.last().serverClose(1008, reason)
    expect(required).toEqual([])
    expect(client.getState()).toMatchObject({ status: 'reconnecting', retryInMs: 499 })
    vi.advanceTimersByTime(499)
    FakeSocket.last().serverOpen()
    const first = FakeSocket.last().messages()[0]!
    expect('since' in first).toBe(resumes)
  })
})

describe('reconnectNow ("Retry now", online, visible)', () => {
  it('skips the backoff wait', () => {
    const { client } = makeClient({ random: () => 0.999999 })
    client.setToken(jwt('org_a'))
    FakeSocket.last().goLive()
    FakeSocket.last().serverClose(1001, 'Server shutting down')
    expect(client.getState().status).toBe('reconnecting')
    client.reconnectNow()
    expect(FakeSocket.instances).toHaveLength(2)
    vi.advanceTimersByTime(100_000)
    expect(FakeSocket.instances).toHaveLength(2)
  })

  it('while waiting for a token, asks the app again; while live, does nothing', () => {
    const { client } = makeClient()
    const required: string[] = []
    client.on('tokenRequired', (c) => required.push(c.reason))
    client.setToken(jwt('org_a'))
    FakeSocket.last().goLive()
    client.reconnectNow()
    expect(FakeSocket.instances).toHaveLength(1)
    FakeSocket.last().serverClose(1008, 'Session pending')
    client.reconnectNow()
    expect(required).toEqual(['Session pending', 'Session pending'])
    expect(FakeSocket.instances).toHaveLength(1)
  })
})
