/**
 * The app's token flow end to end, in memory: DevAuthProvider → TokenSync → WebSocketClient on a fake
 * socket. Proves what the page does with tokens over many lifetimes, organization switches and refusals.
 */
import { WebSocketClient, type DevTokenRequest, type DevTokenResponse } from '@fleet/api'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { FakeSocket, hello, jwt } from '../../../packages/api/test/fake-socket.ts'
import { DevAuthProvider } from '../src/features/auth/DevAuthProvider.ts'
import { TokenSync, refreshOnTokenRequired } from '../src/features/auth/tokenSync.ts'

beforeEach(() => {
  FakeSocket.reset()
  vi.useFakeTimers()
  vi.setSystemTime(1_795_000_000_000)
})
afterEach(() => vi.useRealTimers())

function setup() {
  const requests: DevTokenRequest[] = []
  let n = 0
  const source = {
    devToken: async (req: DevTokenRequest): Promise<DevTokenResponse> => {
      requests.push(req)
      n++
      return { token: jwt(req.org ?? null, n, req.user), expires_at_s: Math.floor(Date.now() / 1000) + (req.ttl_s ?? 60) }
    },
  }
  const provider = new DevAuthProvider(source, { storage: null })
  const ws = new WebSocketClient({ baseUrl: 'http://h', WebSocketImpl: FakeSocket, logger: null, random: () => 0.999999 })
  const http = { setToken: vi.fn() }
  const sync = new TokenSync([http, ws])
  const apply = () => sync.apply(provider.getSnapshot())
  provider.subscribe(apply)
  refreshOnTokenRequired(ws, provider)
  return { provider, ws, requests, http }
}

describe('session flow', () => {
  it('six lifetimes of a 10 s token on one socket: each refresh goes in-band and is answered by auth_ok', async () => {
    const { provider, ws, requests } = setup()
    await provider.signIn({ user: 'user_alice', org: 'org_a', role: 'admin', ttlS: 10 })
    const s = FakeSocket.last()
    s.goLive('org_a')
    for (let i = 2; i <= 7; i++) {
      await vi.advanceTimersByTimeAsync(5_000) // refreshDelayMs(10 s)
      expect(requests).toHaveLength(i)
      const sent = s.messages().at(-1)
      expect(sent).toEqual({ type: 'auth', token: jwt('org_a', i, 'user_alice') })
      s.serverSend({ type: 'auth_ok', token_exp: 1795000000 + i * 60 })
    }
    expect(FakeSocket.instances).toHaveLength(1)
    expect(s.closeCalls).toEqual([])
    expect(ws.getStats()).toMatchObject({ created: 1, refreshes: 6 })
    expect(ws.getState().status).toBe('live')
  })

  it('switching organization reconnects with the other organization’s token', async () => {
    const { provider } = setup()
    await provider.signIn({ user: 'user_alice', org: 'org_a', role: 'admin', ttlS: 60 })
    FakeSocket.last().goLive('org_a', 12)
    await provider.switchOrganization('org_b')
    expect(FakeSocket.instances).toHaveLength(2)
    const s2 = FakeSocket.last()
    s2.serverOpen()
    expect(s2.messages()).toEqual([{ type: 'auth', token: jwt('org_b', 2, 'user_alice') }])
  })

  it('a refused token (fleetd --dev restarted with a new key) fetches one fresh token at once, then backs off', async () => {
    const { provider, ws, requests } = setup()
    await provider.signIn({ user: 'user_alice', org: 'org_a', role: 'admin', ttlS: 60 })
    FakeSocket.last().goLive('org_a', 30)
    FakeSocket.last().serverClose(1008, 'Invalid token')
    await vi.advanceTimersByTimeAsync(0)
    expect(requests).toHaveLength(2) // one fresh token, at once
    expect(FakeSocket.instances).toHaveLength(2) // and a reconnect with it, at once
    const s2 = FakeSocket.last()
    s2.serverOpen()
    expect(s2.messages()).toEqual([{ type: 'auth', token: jwt('org_a', 2, 'user_alice'), since: 30, epoch: hello().epoch }])

    s2.serverClose(1008, 'Invalid token') // refused again: no tight loop
    await vi.advanceTimersByTimeAsync(0)
    expect(requests).toHaveLength(2)
    expect(ws.getState()).toMatchObject({ status: 'reconnecting', authRejected: true, retryInMs: 499 })
    await vi.advanceTimersByTimeAsync(499)
    expect(requests).toHaveLength(3)
    expect(FakeSocket.instances).toHaveLength(3)
    FakeSocket.last().goLive('org_a', 30)
    expect(ws.getState()).toMatchObject({ status: 'live', authRejected: false })
  })

  it('sign-out closes the socket and clears both clients', async () => {
    const { provider, http } = setup()
    await provider.signIn({ user: 'user_alice', org: 'org_a', role: 'admin', ttlS: 60 })
    FakeSocket.last().goLive('org_a')
    await provider.signOut()
    expect(FakeSocket.last().closeCalls).toEqual([{ code: 1000, reason: 'Signed out' }])
    expect(http.setToken).toHaveBeenLastCalledWith(null)
  })
})
