import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Snapshot, TelemetryEvent, ViewChange } from '../src/index.ts'
import { EPOCH, FakeSocket, ev, hello, jwt, telemetry } from './fake-socket.ts'
import { makeClient } from './helpers.ts'

beforeEach(() => {
  FakeSocket.reset()
  vi.useFakeTimers()
})

afterEach(() => {
  vi.useRealTimers()
})

const PARIS: [number, number, number, number] = [2.25, 48.81, 2.42, 48.9]

function setup() {
  const { client, logger } = makeClient({ random: () => 0 })
  const batches: TelemetryEvent[][] = []
  const snapshots: Snapshot[] = []
  const changes: ViewChange[] = []
  client.on('telemetry', (e) => batches.push(e))
  client.on('snapshot', (s) => snapshots.push(s))
  client.on('viewChange', (c) => changes.push(c))
  client.setToken(jwt('org_a'))
  return { client, logger, batches, snapshots, changes }
}

/** The `view` messages a socket carried, parsed. */
function views(s: FakeSocket) {
  return s.messages().filter((m) => m.type === 'view')
}

function scopedSnapshot(view: number, seq: number, ids: string[] = ['dev_1']) {
  return { type: 'snapshot', seq, view, devices: ids.map((id) => ({ id, name: id, last: ev(seq, id) })) }
}

describe('views', () => {
  it('a view set before the socket opens goes in its auth message, so the first snapshot is scoped', () => {
    const { client } = setup()
    client.setView({ boxes: [PARIS], devices: ['dev_9'], minIntervalMs: 1000 })
    const s = FakeSocket.last()
    s.serverOpen()
    expect(s.messages()[0]).toMatchObject({
      type: 'auth',
      view: { id: 1, boxes: [PARIS], devices: ['dev_9'], min_interval_ms: 1000 },
    })
    s.serverSend(hello('org_a', 40))
    expect(views(s)).toEqual([]) // not again after hello
  })

  it('a view set while live is sent at once; each new view gets a higher id', () => {
    const { client } = setup()
    FakeSocket.last().goLive('org_a', 40)
    client.setView({ boxes: [PARIS] })
    client.setView({ boxes: [[2.3, 48.8, 2.5, 48.95]] })
    expect(views(FakeSocket.last()).map((v) => v.id)).toEqual([1, 2])
  })

  it('every reconnect sends the view again in its auth message, with a new id', () => {
    const { client } = setup()
    FakeSocket.last().goLive('org_a', 40)
    client.setView({ boxes: [PARIS], devices: ['dev_9'] })
    FakeSocket.last().serverClose(1001, 'Server shutting down')
    vi.runOnlyPendingTimers()
    const s = FakeSocket.last()
    s.serverOpen()
    expect(s.messages()[0]).toMatchObject({
      type: 'auth',
      since: 40,
      epoch: EPOCH,
      view: { id: 2, boxes: [PARIS], devices: ['dev_9'] },
    })
    s.serverSend(hello('org_a', 40, { recovered: false }))
    expect(views(s)).toEqual([])
  })

  it('null returns to the whole tenant: an empty view on a scoped socket, nothing after a reconnect', () => {
    const { client } = setup()
    FakeSocket.last().goLive('org_a', 40)
    client.setView(null)
    expect(views(FakeSocket.last())).toEqual([]) // nothing to undo
    client.setView({ boxes: [PARIS] })
    client.setView(null)
    expect(views(FakeSocket.last())).toEqual([
      { type: 'view', id: 1, boxes: [PARIS] },
      { type: 'view', id: 2 },
    ])
    FakeSocket.last().serverClose(1006)
    vi.runOnlyPendingTimers()
    FakeSocket.last().goLive('org_a', 40)
    expect(views(FakeSocket.last())).toEqual([])
  })

  it('a view fleetd would refuse throws before anything is sent', () => {
    const { client } = setup()
    FakeSocket.last().goLive('org_a', 40)
    expect(() => client.setView({ boxes: [[-181, 0, 10, 10]] })).toThrow(RangeError)
    expect(() => client.setView({ boxes: [[0, 10, 10, 5]] })).toThrow(RangeError) // south > north
    expect(() => client.setView({ boxes: Array.from({ length: 17 }, () => PARIS) })).toThrow(RangeError)
    expect(() => client.setView({ devices: Array.from({ length: 1001 }, (_, i) => `dev_${i}`) })).toThrow(RangeError)
    expect(() => client.setView({ minIntervalMs: 50 })).toThrow(RangeError)
    expect(views(FakeSocket.last())).toEqual([])
  })

  it('applies the scoped snapshot of the newest view and ignores one answering an older view', () => {
    const { client, snapshots } = setup()
    const s = FakeSocket.last()
    s.goLive('org_a', 40)
    s.serverSend({ type: 'snapshot', seq: 40, devices: [] }) // the connection's own snapshot: always applied
    client.setView({ boxes: [PARIS] })
    client.setView({ boxes: [[2.3, 48.8, 2.5, 48.95]] })
    s.serverSend(scopedSnapshot(1, 41, ['dev_old']))
    s.serverSend(scopedSnapshot(2, 42, ['dev_new']))
    expect(snapshots.map((x) => [x.view, x.devices.map((d) => d.id)])).toEqual([
      [undefined, []],
      [2, ['dev_new']],
    ])
  })

  it('emits view_change of the newest view only', () => {
    const { client, changes } = setup()
    const s = FakeSocket.last()
    s.goLive('org_a', 40)
    client.setView({ boxes: [PARIS] })
    client.setView({ boxes: [[2.3, 48.8, 2.5, 48.95]] })
    s.serverSend({ type: 'view_change', view: 1, entered: ['dev_old'], left: [] })
    s.serverSend(scopedSnapshot(2, 41))
    s.serverSend({ type: 'view_change', view: 2, entered: ['dev_3'], left: ['dev_1'] })
    expect(changes).toEqual([{ type: 'view_change', view: 2, entered: ['dev_3'], left: ['dev_1'] }])
  })

  it('in a scoped stream a gap in seq is not loss; the resume starts after the newest event seen', () => {
    const { client, batches } = setup()
    const s = FakeSocket.last()
    s.goLive('org_a', 40)
    client.setView({ boxes: [PARIS] })
    s.serverSend(scopedSnapshot(1, 41))
    s.serverSend(telemetry([45]))
    s.serverSend(telemetry([52, 60]))
    expect(batches.map((b) => b.map((e) => e.seq))).toEqual([[45], [52, 60]])
    expect(s.closeCalls).toEqual([])
    expect(client.getStats().gaps).toBe(0)
    s.serverClose(1006)
    vi.runOnlyPendingTimers()
    FakeSocket.last().serverOpen()
    expect(FakeSocket.last().messages()[0]).toMatchObject({ type: 'auth', since: 60, epoch: EPOCH })
  })

  it('gaps are normal from the moment a scoped view is sent, before its snapshot arrives', () => {
    const { client } = setup()
    const s = FakeSocket.last()
    s.goLive('org_a', 40)
    client.setView({ devices: ['dev_1'] })
    s.serverSend(telemetry([44]))
    expect(s.closeCalls).toEqual([])
    expect(client.getStats().gaps).toBe(0)
  })

  it('an unscoped stream still treats a gap as loss, and so does one whose view went back to the whole tenant', () => {
    const { client } = setup()
    const s = FakeSocket.last()
    s.goLive('org_a', 40)
    client.setView({ boxes: [PARIS] })
    s.serverSend(scopedSnapshot(1, 41))
    s.serverSend(telemetry([45]))
    client.setView(null)
    s.serverSend(telemetry([47])) // still the scoped view until its answer arrives
    expect(s.closeCalls).toEqual([])
    s.serverSend({ type: 'snapshot', seq: 50, view: 2, devices: [] })
    s.serverSend(telemetry([51]))
    expect(s.closeCalls).toEqual([])
    s.serverSend(telemetry([53]))
    expect(client.getStats().gaps).toBe(1)
    expect(s.closeCalls).toEqual([{ code: 1000, reason: 'Resuming' }])
  })

  it('a reconnected socket checks gaps again until its view is sent', () => {
    const { client } = setup()
    FakeSocket.last().goLive('org_a', 40)
    client.setView({ boxes: [PARIS] })
    FakeSocket.last().serverSend(telemetry([45]))
    FakeSocket.last().serverClose(1006)
    vi.runOnlyPendingTimers()
    const s = FakeSocket.last()
    s.goLive('org_a', 45, { recovered: true })
    // The view went out right after hello: the stream is filtered again.
    s.serverSend(telemetry([49]))
    expect(client.getStats().gaps).toBe(0)
  })
})

describe('share sessions end for good', () => {
  it.each(['Share expired', 'Share revoked'])('1008 %s: status ended, no reconnect, no token request', (reason) => {
    const { client } = makeClient({ random: () => 0 })
    const tokenRequired = vi.fn()
    client.on('tokenRequired', tokenRequired)
    client.setToken('fsh_abc')
    FakeSocket.last().goLive('org_a', 3, { role: 'share', user: 'share:shr_1' })
    FakeSocket.last().serverClose(1008, reason)
    expect(client.getState()).toMatchObject({ status: 'ended', retryAt: null, lastClose: { code: 1008, reason } })
    vi.runAllTimers()
    expect(FakeSocket.instances).toHaveLength(1)
    expect(tokenRequired).not.toHaveBeenCalled()
  })
})
