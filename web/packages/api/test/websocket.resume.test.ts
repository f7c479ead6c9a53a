import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Snapshot, TelemetryEvent } from '../src/index.ts'
import { EPOCH, FakeSocket, ev, jwt, telemetry } from './fake-socket.ts'
import { makeClient } from './helpers.ts'

beforeEach(() => {
  FakeSocket.reset()
  vi.useFakeTimers()
})

afterEach(() => {
  vi.useRealTimers()
})

function live(seq = 40) {
  const { client, logger } = makeClient({ random: () => 0 })
  const batches: TelemetryEvent[][] = []
  const snapshots: Snapshot[] = []
  client.on('telemetry', (e) => batches.push(e))
  client.on('snapshot', (s) => snapshots.push(s))
  const token = jwt('org_a')
  client.setToken(token)
  FakeSocket.last().goLive('org_a', seq)
  return { client, logger, batches, snapshots, token }
}

/** The first message of the newest socket, once it opens. */
function firstMessage() {
  const s = FakeSocket.last()
  s.serverOpen()
  return s.messages()[0]
}

describe('resume', () => {
  it('every reconnect sends since (the last applied seq) and epoch', () => {
    const { token } = live(40)
    FakeSocket.last().serverSend({ type: 'snapshot', seq: 40, devices: [] })
    FakeSocket.last().serverSend(telemetry([41, 42, 43]))
    FakeSocket.last().serverClose(1006)
    vi.runOnlyPendingTimers()
    expect(firstMessage()).toEqual({ type: 'auth', token, since: 43, epoch: EPOCH })
    // A failed attempt does not lose the position.
    FakeSocket.last().serverClose(1006)
    vi.runOnlyPendingTimers()
    expect(firstMessage()).toEqual({ type: 'auth', token, since: 43, epoch: EPOCH })
  })

  it('the query mode passes since and epoch in the query', () => {
    const { client } = makeClient({ auth: 'query', random: () => 0 })
    client.setToken('a.b.c')
    FakeSocket.last().goLive('org_a', 12)
    FakeSocket.last().serverClose(1001, 'Server shutting down')
    vi.runOnlyPendingTimers()
    expect(FakeSocket.last().url).toBe(`ws://127.0.0.1:3000/ws?token=a.b.c&since=12&epoch=${EPOCH}`)
  })

  it('recovered:true: no snapshot, the missed events continue from since + 1', () => {
    const { client, batches, snapshots } = live(40)
    FakeSocket.last().serverSend(telemetry([41]))
    FakeSocket.last().serverClose(1001, 'Server shutting down')
    vi.runOnlyPendingTimers()
    firstMessage()
    FakeSocket.last().serverSend({ ...helloAt(41), recovered: true })
    expect(client.getState()).toMatchObject({ status: 'live', recovered: true })
    FakeSocket.last().serverSend(telemetry([42, 43]))
    expect(batches.map((b) => b.map((e) => e.seq))).toEqual([[41], [42, 43]])
    expect(snapshots).toEqual([])
    expect(client.getStats()).toMatchObject({ recovered: 1, notRecovered: 0, gaps: 0 })
  })

  it('recovered:false: the snapshot replaces the position; the stream continues from its seq', () => {
    const { client, batches, snapshots } = live(40)
    FakeSocket.last().serverSend(telemetry([41]))
    FakeSocket.last().serverClose(1006)
    vi.runOnlyPendingTimers()
    firstMessage()
    FakeSocket.last().serverSend({ ...helloAt(9000), recovered: false })
    FakeSocket.last().serverSend({ type: 'snapshot', seq: 9000, devices: [{ id: 'dev_1', name: 'T', last: ev(9000) }] })
    FakeSocket.last().serverSend(telemetry([9001]))
    expect(client.getState()).toMatchObject({ status: 'live', recovered: false })
    expect(snapshots.map((s) => s.seq)).toEqual([9000])
    expect(batches.map((b) => b.map((e) => e.seq))).toEqual([[41], [9001]])
    expect(client.getStats()).toMatchObject({ recovered: 0, notRecovered: 1, gaps: 0 })
  })

  it('a new epoch (a reset database) with lower seqs is a fresh stream, not loss', () => {
    const { client, batches } = live(500)
    FakeSocket.last().serverClose(1006)
    vi.runOnlyPendingTimers()
    firstMessage()
    FakeSocket.last().serverSend({ ...helloAt(0), epoch: 'another', recovered: false })
    FakeSocket.last().serverSend({ type: 'snapshot', seq: 0, devices: [] })
    FakeSocket.last().serverSend(telemetry([1, 2]))
    expect(batches).toEqual([[ev(1), ev(2)]])
    expect(client.getStats().gaps).toBe(0)
    FakeSocket.last().serverClose(1006)
    vi.runOnlyPendingTimers()
    expect(firstMessage()).toMatchObject({ since: 2, epoch: 'another' })
  })

  it('a protocol 1 server (no epoch): no resume and no sequence rule', () => {
    const { client } = makeClient({ random: () => 0 })
    const batches: TelemetryEvent[][] = []
    client.on('telemetry', (e) => batches.push(e))
    client.setToken('t')
    FakeSocket.last().goLive('org_a', 5, { epoch: undefined, protocol: 1 })
    FakeSocket.last().serverSend(telemetry([9])) // a coalescing gap a protocol 1 server cannot explain
    expect(batches).toHaveLength(1)
    FakeSocket.last().serverClose(1006)
    vi.runOnlyPendingTimers()
    expect(firstMessage()).toEqual({ type: 'auth', token: 't' })
  })

  it('sign-out forgets the position: the next sign-in starts fresh', () => {
    const { client, token } = live(40)
    client.setToken(null)
    client.setToken(token)
    expect(firstMessage()).toEqual({ type: 'auth', token })
  })
})

describe('sequence rule (gaps)', () => {
  it('a gap explained by skipped is accepted and counted', () => {
    const { client, batches } = live(10)
    FakeSocket.last().serverSend(telemetry([16, 17], 5)) // 17 − 10 = 2 events + 5 skipped
    FakeSocket.last().serverSend(telemetry([18]))
    expect(batches.map((b) => b.map((e) => e.seq))).toEqual([[16, 17], [18]])
    expect(client.getStats()).toMatchObject({ skipped: 5, gaps: 0, created: 1 })
  })

  it('an unexplained gap is loss: close, reconnect at once and resume from the last applied seq', () => {
    const { client, batches, token, logger } = live(10)
    FakeSocket.last().serverSend(telemetry([11]))
    const s1 = FakeSocket.last()
    s1.serverSend(telemetry([14, 15])) // 12 and 13 are missing and not explained
    expect(batches.map((b) => b.map((e) => e.seq))).toEqual([[11]]) // the broken frame is not applied
    expect(s1.closeCalls).toEqual([{ code: 1000, reason: 'Resuming' }])
    expect(FakeSocket.instances).toHaveLength(2) // no timer
    expect(firstMessage()).toEqual({ type: 'auth', token, since: 11, epoch: EPOCH })
    expect(client.getStats().gaps).toBe(1)
    expect(logger.warn).toHaveBeenCalledWith(expect.stringContaining('resuming after 11'))
    // The resumed session delivers the missing events.
    FakeSocket.last().serverSend({ ...helloAt(11), recovered: true })
    FakeSocket.last().serverSend(telemetry([12, 13, 14, 15]))
    expect(batches.map((b) => b.map((e) => e.seq))).toEqual([[11], [12, 13, 14, 15]])
  })

  it.each([
    ['a skip too small', telemetry([16, 17], 4)],
    ['a duplicate', telemetry([10])],
    ['events out of order', telemetry([12, 11])],
    ['a malformed skipped', { ...telemetry([11]), skipped: -1 }],
    ['an event without a seq', { type: 'telemetry', events: [{ device: 'd', ts: 1, lat: 1, lon: 1 }] }],
  ])('%s is loss too', (_what, frame) => {
    const { client } = live(10)
    FakeSocket.last().serverSend(frame)
    expect(client.getStats().gaps).toBe(1)
    expect(FakeSocket.instances).toHaveLength(2)
  })

  it('a malformed event with a seq still counts: the frame is consistent, only that event is dropped', () => {
    const { client, batches } = live(10)
    FakeSocket.last().serverSend({ type: 'telemetry', events: [ev(11), { seq: 12, device: 'd', lat: 'x' }, ev(13)] })
    expect(batches.map((b) => b.map((e) => e.seq))).toEqual([[11, 13]])
    expect(client.getStats().gaps).toBe(0)
  })

  it('a second loss right after a resume backs off instead of looping', () => {
    const { client } = live(10)
    FakeSocket.last().serverSend(telemetry([20]))
    expect(FakeSocket.instances).toHaveLength(2)
    FakeSocket.last().serverOpen()
    FakeSocket.last().serverSend({ ...helloAt(10), recovered: true })
    FakeSocket.last().serverSend(telemetry([20]))
    expect(FakeSocket.instances).toHaveLength(2)
    expect(client.getState().status).toBe('reconnecting')
    vi.runOnlyPendingTimers()
    expect(FakeSocket.instances).toHaveLength(3)
  })
})

function helloAt(seq: number) {
  return { type: 'hello', protocol: 2, tenant: 'org_a', user: 'user_alice', role: 'admin', token_exp: 1795000060, token_grace_s: 15, server: 'fleetd/0.1.0', seq, epoch: EPOCH }
}
