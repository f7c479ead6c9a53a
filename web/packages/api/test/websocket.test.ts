import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  WebSocketClient,
  backoffDelay,
  toWebSocketUrl,
  type Hello,
  type Snapshot,
  type TelemetryEvent,
} from '../src/index.ts'
import { FakeSocket, hello, jwt } from './fake-socket.ts'
import { makeClient } from './helpers.ts'

beforeEach(() => {
  FakeSocket.reset()
  vi.useFakeTimers()
})

afterEach(() => {
  vi.useRealTimers()
})

describe('URL conversion', () => {
  it('maps http→ws and https→wss and appends /ws, without a query by default', () => {
    expect(toWebSocketUrl('http://localhost:3000')).toBe('ws://localhost:3000/ws')
    expect(toWebSocketUrl('https://fleet.example.com/')).toBe('wss://fleet.example.com/ws')
    expect(toWebSocketUrl('HTTPS://Fleet.example.com')).toBe('wss://Fleet.example.com/ws')
    expect(toWebSocketUrl('ws://h:1')).toBe('ws://h:1/ws')
    expect(toWebSocketUrl('wss://h')).toBe('wss://h/ws')
    expect(toWebSocketUrl('https://h/prefix')).toBe('wss://h/prefix/ws')
  })

  it('URL-encodes query values (protocol 1 token in the query)', () => {
    const token = 'a+b/c=d&e f?g#h'
    const url = toWebSocketUrl('http://h', '/ws', { token, since: 41, epoch: 'e1' })
    expect(url).toBe('ws://h/ws?token=a%2Bb%2Fc%3Dd%26e%20f%3Fg%23h&since=41&epoch=e1')
    expect(new URL(url).searchParams.get('token')).toBe(token)
  })

  it('refuses relative or non-HTTP bases', () => {
    expect(() => toWebSocketUrl('/api')).toThrow()
    expect(() => toWebSocketUrl('ftp://h')).toThrow()
  })

  it('the client resolves a base function at connect time; the URL never holds the token', () => {
    let base = 'https://a.example'
    const { client } = makeClient({ baseUrl: () => base })
    client.setToken(jwt('org_a'))
    expect(FakeSocket.last().url).toBe('wss://a.example/ws')
    base = 'http://b.example:8080'
    client.setToken(jwt('org_b')) // another organization: a new socket
    expect(FakeSocket.last().url).toBe('ws://b.example:8080/ws')
  })
})

describe('token handling', () => {
  it('does not connect on construction; connect() without a token warns and returns', () => {
    const { client, logger } = makeClient()
    expect(FakeSocket.instances).toHaveLength(0)
    expect(client.getState().status).toBe('idle')
    client.connect()
    expect(FakeSocket.instances).toHaveLength(0)
    expect(logger.warn).toHaveBeenCalledWith('[WebSocket] No auth token, skipping connection')
  })

  it('setToken connects; the same token again does nothing; connect() while connected does nothing', () => {
    const { client } = makeClient()
    client.setToken('t1')
    expect(FakeSocket.instances).toHaveLength(1)
    expect(client.getState().status).toBe('connecting')
    client.setToken('t1')
    client.connect()
    expect(FakeSocket.instances).toHaveLength(1)
  })

  it('goes live on hello (not merely on open) and records the tenant', () => {
    const { client } = makeClient()
    const hellos: Hello[] = []
    client.on('hello', (h) => hellos.push(h))
    client.setToken('t1')
    FakeSocket.last().serverOpen()
    expect(client.getState().status).toBe('connecting')
    FakeSocket.last().serverSend(hello('org_acme', 41))
    expect(client.getState()).toMatchObject({ status: 'live', tenant: 'org_acme', tokenExp: 1795000060, recovered: null })
    expect(hellos).toEqual([hello('org_acme', 41)])
    expect(client.getStats()).toMatchObject({ created: 1, opened: 1, open: 1 })
  })

  it('another organization while connecting: old socket closed, its later events ignored, exactly one live socket', () => {
    const { client } = makeClient()
    const hellos: Hello[] = []
    const telemetry: TelemetryEvent[][] = []
    client.on('hello', (h) => hellos.push(h))
    client.on('telemetry', (e) => telemetry.push(e))

    client.setToken(jwt('org_old'))
    const s1 = FakeSocket.last()
    // Keep the old handlers as a browser would still hold them for in-flight events.
    const old = { open: s1.onopen, message: s1.onmessage, close: s1.onclose }

    client.setToken(jwt('org_new'))
    const s2 = FakeSocket.last()
    expect(s2).not.toBe(s1)
    expect(s1.closeCalls).toHaveLength(1)
    expect(s1.onmessage).toBeNull() // handlers detached
    expect(FakeSocket.live()).toEqual([s2])

    // The old socket's events arrive late, through the detached handlers or the captured ones.
    s1.serverOpen()
    s1.serverSend(hello('org_old'))
    old.open?.({})
    old.message?.({ data: JSON.stringify(hello('org_old')) })
    old.message?.({ data: JSON.stringify({ type: 'telemetry', events: [ev(1, 'dev_old')] }) })
    old.close?.({ code: 1006, reason: '', wasClean: false })
    expect(hellos).toEqual([])
    expect(telemetry).toEqual([])
    expect(client.getState().status).toBe('connecting')
    expect(client.getStats().opened).toBe(0)
    vi.advanceTimersByTime(60_000)
    expect(FakeSocket.instances).toHaveLength(2) // the stale close did not schedule a retry

    s2.goLive('org_new')
    expect(hellos.map((h) => h.tenant)).toEqual(['org_new'])
    expect(client.getState().status).toBe('live')
    expect(client.getStats()).toMatchObject({ created: 2, opened: 1, open: 1 })
  })

  it('a token for another organization while live closes the old socket and reconnects with it', () => {
    const { client } = makeClient()
    client.setToken(jwt('org_a'))
    const s1 = FakeSocket.last()
    s1.goLive()
    const oldClose = s1.onclose
    const t2 = jwt('org_b')
    client.setToken(t2)
    expect(s1.closeCalls).toEqual([{ code: 1000, reason: 'Reconnecting' }])
    expect(FakeSocket.instances).toHaveLength(2)
    expect(client.getState()).toMatchObject({ status: 'connecting', tenant: null })
    expect(client.getStats().open).toBe(0)
    oldClose?.({ code: 1000, reason: 'Reconnecting', wasClean: true })
    expect(client.getState().lastClose).toBeNull()
    expect(FakeSocket.live()).toEqual([FakeSocket.last()])
    FakeSocket.last().serverOpen()
    expect(FakeSocket.last().messages()).toEqual([{ type: 'auth', token: t2 }]) // no resume across tenants
  })

  it('a stale socket from several generations ago never acts', () => {
    const { client } = makeClient()
    const statuses: string[] = []
    client.setToken(jwt('org_a'))
    const captured = FakeSocket.last()
    const handlers = { message: captured.onmessage, close: captured.onclose }
    client.setToken(jwt('org_b'))
    client.setToken(jwt('org_c'))
    FakeSocket.last().goLive('org_c')
    client.on('status', (s) => statuses.push(s.status))
    handlers.message?.({ data: JSON.stringify(hello('org_a')) })
    handlers.close?.({ code: 1008, reason: 'Invalid token', wasClean: true })
    expect(statuses).toEqual([])
    expect(client.getState()).toMatchObject({ status: 'live', tenant: 'org_c', authRejected: false })
  })
})

describe('messages', () => {
  it('parses snapshot and batched telemetry frames (one event per frame is not assumed)', () => {
    const { client } = makeClient()
    const snaps: Snapshot[] = []
    const batches: TelemetryEvent[][] = []
    client.on('snapshot', (s) => snaps.push(s))
    client.on('telemetry', (e) => batches.push(e))
    client.setToken('t')
    const s = FakeSocket.last()
    s.goLive('org_a', 41)
    s.serverSend({
      type: 'snapshot',
      seq: 41,
      devices: [
        { id: 'dev_1', name: 'Truck 7', last: ev(41, 'dev_1') },
        { id: 'dev_2', name: 'Van 2', last: null },
      ],
    })
    s.serverSend({
      type: 'telemetry',
      events: [
        { ...ev(42, 'dev_1'), speed_kph: 43, heading_deg: 91.5 },
        { seq: 43, device: 'dev_2', ts: 1795000001200, lat: 48.86, lon: 2.34, battery_pct: 88, attributes: { door: 'closed', temp_c: 4.5 } },
        { seq: 44, device: 'dev_1', ts: 1795000001300, lat: 'bad', lon: 2 }, // malformed: dropped
        { ...ev(45, 'dev_1'), heading_deg: 'north' }, // bad optional field: only that field dropped
      ],
    })
    s.serverSend({ type: 'telemetry', events: [] }) // empty frames are not emitted
    s.serverSend('not json')
    s.serverSend({ type: 'future_message', x: 1 })
    s.serverSend({ type: 'pong' })

    expect(snaps).toHaveLength(1)
    expect(snaps[0]!.devices).toEqual([
      { id: 'dev_1', name: 'Truck 7', last: ev(41, 'dev_1') },
      { id: 'dev_2', name: 'Van 2', last: null },
    ])
    expect(batches).toHaveLength(1)
    expect(batches[0]!.map((e) => e.seq)).toEqual([42, 43, 45])
    expect(batches[0]![0]).toMatchObject({ speed_kph: 43, heading_deg: 91.5 })
    expect(batches[0]![1]).toMatchObject({ battery_pct: 88, attributes: { door: 'closed', temp_c: 4.5 } })
    expect(batches[0]![2]!.heading_deg).toBeUndefined()
  })

  it('send/ping only when open', () => {
    const { client } = makeClient()
    expect(client.ping()).toBe(false)
    client.setToken('t')
    expect(client.ping()).toBe(false)
    FakeSocket.last().serverOpen()
    expect(client.ping()).toBe(true)
    expect(FakeSocket.last().sent).toEqual(['{"type":"auth","token":"t"}', '{"type":"ping"}'])
  })
})

describe('backoff', () => {
  const opts = { initialMs: 500, maxMs: 30_000, factor: 2 }

  it('full jitter: uniform in [0, min(cap, base·2^attempt, max(base, down for)))', () => {
    expect(backoffDelay(0, () => 0, opts)).toBe(0)
    expect(backoffDelay(0, () => 0.5, opts)).toBe(250)
    expect(backoffDelay(0, () => 0.999999, opts)).toBe(499)
    expect(backoffDelay(3, () => 0.5, opts)).toBe(2000)
    expect(backoffDelay(6, () => 0.999999, opts)).toBe(29_999) // 32000 capped at 30000
    expect(backoffDelay(50, () => 0.5, opts)).toBe(15_000)
    expect(backoffDelay(6, () => 0.5, opts, 3_000)).toBe(1_500) // down for 3 s: window 3 s
    expect(backoffDelay(6, () => 0.5, opts, 10)).toBe(250) // never below the base window
    expect(backoffDelay(1, () => 0.5, opts, 60_000)).toBe(500) // the attempt still bounds it
  })

  it('grows after each failed attempt, is capped, and resets after hello', () => {
    const { client, statuses } = makeClient({ random: () => 0.999999 })
    client.setToken('t')
    const expected = [499, 999, 1999, 3999, 7999, 15_999, 29_999, 29_999]
    for (const delay of expected) {
      const count = FakeSocket.instances.length
      vi.advanceTimersByTime(60_000) // each attempt hangs a minute before it fails: the outage is long
      FakeSocket.last().serverClose(1006)
      expect(client.getState()).toMatchObject({ status: 'reconnecting', retryInMs: delay, retryAt: Date.now() + delay })
      vi.advanceTimersByTime(delay - 1)
      expect(FakeSocket.instances).toHaveLength(count) // not yet
      vi.advanceTimersByTime(1)
      expect(FakeSocket.instances).toHaveLength(count + 1)
      expect(client.getState().status).toBe('reconnecting')
    }
    FakeSocket.last().goLive()
    expect(client.getState()).toMatchObject({ status: 'live', attempt: 0 })
    FakeSocket.last().serverClose(1001, 'Server shutting down')
    expect(client.getState()).toMatchObject({ status: 'reconnecting', retryInMs: 499 })
    expect(client.getState().lastClose).toMatchObject({ code: 1001, reason: 'Server shutting down' })
    expect(statuses.some((s) => s.status === 'live')).toBe(true)
  })

  it('attempts that fail at once (a restarting server) never wait longer than the outage has lasted', () => {
    const { client } = makeClient({ random: () => 0.999999, backoff: { maxMs: 10_000 } })
    client.setToken('t')
    FakeSocket.last().goLive()
    const lostAt = Date.now()
    FakeSocket.last().serverClose(1001, 'Server shutting down')
    for (let i = 0; i < 12; i++) {
      const { retryInMs } = client.getState()
      expect(retryInMs).toBeLessThan(Math.max(500, Date.now() - lostAt))
      expect(retryInMs).toBeLessThan(10_000)
      vi.advanceTimersByTime(retryInMs!)
      FakeSocket.last().serverClose(1006) // connection refused
    }
    // The windows still grow, to the cap, as the outage goes on.
    expect(client.getState().retryInMs).toBe(9_999)
  })

  it('an open that closes before hello does not reset the backoff', () => {
    const { client } = makeClient({ random: () => 0.999999 })
    client.setToken('t')
    FakeSocket.last().serverClose(1006)
    vi.advanceTimersByTime(499)
    FakeSocket.last().serverOpen()
    vi.advanceTimersByTime(5_000)
    FakeSocket.last().serverClose(1011, 'Internal error')
    expect(client.getState().retryInMs).toBe(999) // attempt 1 → window 1000
  })

  it('jitter spreads retries according to the random source', () => {
    const values = [0.1, 0.9]
    let i = 0
    const { client } = makeClient({ random: () => values[i++ % values.length]! })
    client.setToken('t')
    FakeSocket.last().serverClose(1013, 'Server busy')
    expect(client.getState().retryInMs).toBe(50)
    vi.advanceTimersByTime(5_000)
    FakeSocket.last().serverClose(1013, 'Server busy')
    expect(client.getState().retryInMs).toBe(900)
  })

  it('reconnectNow skips a pending backoff', () => {
    const { client } = makeClient({ random: () => 0.999999 })
    client.setToken('t')
    FakeSocket.last().serverClose(1006)
    expect(FakeSocket.instances).toHaveLength(1)
    client.reconnectNow()
    expect(FakeSocket.instances).toHaveLength(2)
    vi.advanceTimersByTime(100_000)
    expect(FakeSocket.instances).toHaveLength(2)
  })
})

describe('sign-out', () => {
  it('setToken(null) closes the socket and it stays closed', () => {
    const { client } = makeClient()
    client.setToken('t')
    const s = FakeSocket.last()
    s.goLive()
    client.setToken(null)
    expect(s.closeCalls).toEqual([{ code: 1000, reason: 'Signed out' }])
    expect(client.getState().status).toBe('signed-out')
    expect(client.getStats().open).toBe(0)
    // The close handshake completes later: nothing happens.
    s.serverClose(1000, 'Signed out')
    vi.advanceTimersByTime(3_600_000)
    expect(FakeSocket.instances).toHaveLength(1)
    expect(client.getState().status).toBe('signed-out')
    client.connect()
    expect(FakeSocket.instances).toHaveLength(1)
  })

  it('setToken(null) cancels a pending retry', () => {
    const { client } = makeClient()
    client.setToken('t')
    FakeSocket.last().serverClose(1006)
    expect(client.getState().status).toBe('reconnecting')
    client.setToken(null)
    vi.advanceTimersByTime(3_600_000)
    expect(FakeSocket.instances).toHaveLength(1)
    expect(client.getState().status).toBe('signed-out')
  })

  it('signing in again after sign-out connects', () => {
    const { client } = makeClient()
    client.setToken('t')
    client.setToken(null)
    client.setToken('t')
    expect(FakeSocket.instances).toHaveLength(2)
    expect(FakeSocket.live()).toEqual([FakeSocket.last()])
  })

  it('disconnect() keeps the token but stops reconnecting', () => {
    const { client } = makeClient()
    client.setToken('t')
    FakeSocket.last().goLive()
    client.disconnect()
    vi.advanceTimersByTime(600_000)
    expect(FakeSocket.instances).toHaveLength(1)
    expect(client.getState().status).toBe('idle')
    client.connect()
    expect(FakeSocket.instances).toHaveLength(2)
  })
})

describe('status events', () => {
  it('emits a new frozen state object per change', () => {
    const { client, statuses } = makeClient()
    client.setToken('t')
    FakeSocket.last().goLive()
    expect(statuses.map((s) => s.status)).toEqual(['connecting', 'live'])
    expect(Object.isFrozen(client.getState())).toBe(true)
    expect(statuses[1]).toBe(client.getState())
  })

  it('a throwing listener does not break the client or other listeners', () => {
    const { client } = makeClient()
    const err = vi.spyOn(console, 'error').mockImplementation(() => {})
    const seen: string[] = []
    client.on('hello', () => {
      throw new Error('boom')
    })
    client.on('hello', (h) => seen.push(h.tenant))
    client.setToken('t')
    FakeSocket.last().goLive('org_x')
    expect(seen).toEqual(['org_x'])
    expect(client.getState().status).toBe('live')
    err.mockRestore()
  })
})

function ev(seq: number, device: string): TelemetryEvent {
  return { seq, device, ts: 1795000000000 + seq, lat: 48.85, lon: 2.35 }
}
