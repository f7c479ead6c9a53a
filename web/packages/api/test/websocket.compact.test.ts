import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { DeviceTable, WebSocketClient, parseServerMessage, type Snapshot, type TelemetryEvent } from '../src/index.ts'
import { tc } from './compact-encoder.ts'
import { EPOCH, FakeSocket, ev, hello, jwt, telemetry } from './fake-socket.ts'
import { makeClient } from './helpers.ts'

beforeEach(() => {
  FakeSocket.reset()
  vi.useFakeTimers()
})

afterEach(() => {
  vi.useRealTimers()
})

const COMPACT = { format: 'compact', flushMs: 50, coalesce: true } as const
const ECHO = { format: 'compact', flush_ms: 50, coalesce: true }

/** The devices of the tests, with their indexes on the first connection. */
const DEVICES = [
  { i: 0, id: 'dev_5f0c2a9e-1b7d-4c36-9a1e-000000000001', name: 'Truck 7' },
  { i: 3, id: 'dev_9ab10000-0000-4000-8000-000000000002', name: 'Van 2' },
  { i: 57, id: 'dev_c0ffee00-0000-4000-8000-000000000003', name: 'Bike 1' },
]
const [D0, D3, D57] = DEVICES.map((d) => d.id) as [string, string, string]
const indexOf = (id: string) => DEVICES.find((d) => d.id === id)!.i

/** A live compact session at `seq` whose snapshot announced DEVICES (or `devices`). */
function liveCompact(seq = 40, devices = DEVICES) {
  const { client, logger } = makeClient({ random: () => 0, stream: COMPACT })
  const batches: TelemetryEvent[][] = []
  const snapshots: Snapshot[] = []
  client.on('telemetry', (e) => batches.push(e))
  client.on('snapshot', (s) => snapshots.push(s))
  const token = jwt('org_a')
  client.setToken(token)
  const s = FakeSocket.last()
  s.goLive('org_a', seq, ECHO)
  s.serverSend({ type: 'snapshot', seq, devices: devices.map((d) => ({ id: d.id, name: d.name, i: d.i, last: null })) })
  return { client, logger, batches, snapshots, token, s }
}

/** A JSON session at `seq` (no stream options), for comparing what both encodings emit. */
function liveJson(seq = 40) {
  const { client } = makeClient({ random: () => 0 })
  const batches: TelemetryEvent[][] = []
  client.on('telemetry', (e) => batches.push(e))
  client.setToken(jwt('org_a'))
  FakeSocket.last().goLive('org_a', seq)
  FakeSocket.last().serverSend({ type: 'snapshot', seq, devices: [] })
  return { client, batches, s: FakeSocket.last() }
}

/** Reconnects after a drop and returns the new socket, opened (its first message sent). */
function reconnect(s: FakeSocket): FakeSocket {
  s.serverClose(1006)
  vi.runOnlyPendingTimers()
  const next = FakeSocket.last()
  expect(next).not.toBe(s)
  next.serverOpen()
  return next
}

/** Every field shape an event can have: all, none, nulls in the middle, only attributes, signs, rounding. */
const EVENTS: TelemetryEvent[] = [
  {
    seq: 41, device: D0, ts: 1795000001123, lat: 48.850123, lon: 2.350456,
    speed_kph: 43, heading_deg: 91.5, altitude_m: -12.25, accuracy_m: 4.8, battery_pct: 88,
    attributes: { door: 'closed', temp_c: 4.5, armed: true, note: '' },
  },
  { seq: 42, device: D3, ts: 1795000001000, lat: -33.868819, lon: -151.209295 }, // negative dt, lat, lon
  { seq: 43, device: D57, ts: 1795000001200, lat: 0, lon: 0, heading_deg: 0 }, // speed null, heading 0
  { seq: 44, device: D0, ts: 1795000001300, lat: 89.999999, lon: -179.999999, battery_pct: 0 },
  { seq: 45, device: D3, ts: 1795000000001, lat: 1e-6, lon: -1e-6, attributes: { k: 1 } }, // only attributes
  { seq: 46, device: D57, ts: 1795000001400, lat: 10, lon: 20, speed_kph: 0, accuracy_m: 3 }, // gaps of nulls
  { seq: 47, device: D0, ts: 1795000001500, lat: 48.85, lon: 2.35, altitude_m: 35 },
]

describe('compact encoding: the same events as JSON', () => {
  it('every field of every event shape round-trips, in one chunk and in many, with the JSON path’s objects', () => {
    const json = liveJson(40)
    json.s.serverSend({ type: 'telemetry', events: EVENTS })
    const one = liveCompact(40)
    one.s.serverSend(tc(EVENTS, indexOf))
    const many = liveCompact(40)
    many.s.serverSend(tc(EVENTS, indexOf, { chunkSize: 2 }))
    const based = liveCompact(40)
    // A base later than some events: dt is negative for them.
    based.s.serverSend(tc(EVENTS, indexOf, { base: { seq: 41, ts: 1795000001600 } }))

    expect(json.batches).toEqual([EVENTS])
    for (const c of [one, many, based]) {
      expect(c.batches).toEqual([EVENTS])
      // The same objects: the same members in the same order, nothing absent set to undefined.
      expect(c.batches[0]!.map((e) => Object.keys(e))).toEqual(json.batches[0]!.map((e) => Object.keys(e)))
      expect(c.client.getStats()).toMatchObject({ gaps: 0, skipped: 0 })
    }
  })

  it('decodes the docs/protocol.md example exactly (lat/lon from 1e-6 integers, ts0 + dt, seq0 + o)', () => {
    const { batches, s } = liveCompact(41)
    s.serverSend(
      '{"type":"tc","chunks":[[42,1795000001123,[0,0,3,48850100,2350200,43,91.5],' +
        '[1,77,57,48860000,2340000,null,null,null,null,88,{"door":"closed","temp_c":4.5}]]]}',
    )
    expect(batches).toEqual([
      [
        { seq: 42, device: D3, ts: 1795000001123, lat: 48.8501, lon: 2.3502, speed_kph: 43, heading_deg: 91.5 },
        { seq: 43, device: D57, ts: 1795000001200, lat: 48.86, lon: 2.34, battery_pct: 88, attributes: { door: 'closed', temp_c: 4.5 } },
      ],
    ])
  })

  it('positions are exact at 1e-6: each integer decodes to the double of its decimal', () => {
    const { batches, s } = liveCompact(0)
    s.serverSend({ type: 'tc', chunks: [[1, 0, [0, 0, 0, 48850123, -2350457], [1, -5, 0, -89999999, 179999999], [2, 0, 0, 1, -1]]] })
    expect(batches[0]!.map((e) => [e.lat, e.lon, e.ts])).toEqual([
      [48.850123, -2.350457, 0],
      [-89.999999, 179.999999, -5],
      [0.000001, -0.000001, 0],
    ])
  })

  it('the snapshot emitted is the JSON one: the indexes stay inside the client', () => {
    const { snapshots } = liveCompact(40)
    expect(snapshots).toEqual([{ type: 'snapshot', seq: 40, devices: DEVICES.map((d) => ({ id: d.id, name: d.name, last: null })) }])
  })
})

describe('compact encoding: device indexes', () => {
  it('a devices message announces an index before its first use; a later announcement overwrites it', () => {
    const { client, batches, s } = liveCompact(40, [DEVICES[0]!])
    s.serverSend({ type: 'devices', devices: [{ i: 57, id: D57 }] })
    s.serverSend(tc([ev(41, D57)], () => 57))
    s.serverSend({ type: 'devices', devices: [{ i: 57, id: D3 }] })
    s.serverSend(tc([ev(42, D3)], () => 57))
    expect(batches).toEqual([[ev(41, D57)], [ev(42, D3)]])
    expect(client.getStats().gaps).toBe(0)
  })

  it('an index this connection never announced is loss: nothing applied, resume from the last seq', () => {
    const { client, batches, token, s } = liveCompact(40, [DEVICES[0]!])
    s.serverSend(tc([ev(41, D0)], indexOf))
    s.serverSend(tc([ev(42, D0), ev(43, D3)], indexOf)) // index 3 was not announced
    expect(batches).toEqual([[ev(41, D0)]])
    expect(client.getStats().gaps).toBe(1)
    expect(s.closeCalls).toEqual([{ code: 1000, reason: 'Resuming' }])
    const next = FakeSocket.last()
    next.serverOpen()
    expect(next.messages()[0]).toEqual({ type: 'auth', token, since: 41, epoch: EPOCH, ...ECHO })
  })

  it('a new connection starts with no indexes: a resumed stream must announce again', () => {
    const { client, batches, s } = liveCompact(40)
    s.serverSend(tc([ev(41, D3)], indexOf))
    const s2 = reconnect(s)
    s2.serverSend(hello('org_a', 41, { ...ECHO, recovered: true }))
    s2.serverSend(tc([ev(42, D3)], indexOf)) // index 3 belonged to the first connection
    expect(batches).toEqual([[ev(41, D3)]])
    expect(client.getStats()).toMatchObject({ gaps: 1, recovered: 1 })

    const s3 = FakeSocket.last()
    expect(s3).not.toBe(s2)
    s3.serverOpen()
    s3.serverSend(hello('org_a', 41, { ...ECHO, recovered: true }))
    // This connection numbers the devices differently; its announcement is what counts.
    s3.serverSend({ type: 'devices', devices: [{ i: 0, id: D3 }] })
    s3.serverSend(tc([ev(42, D3)], () => 0))
    expect(batches).toEqual([[ev(41, D3)], [ev(42, D3)]])
    expect(client.getStats().gaps).toBe(1)
  })

  it('an announcement on a replaced socket never reaches the new connection’s table', () => {
    const { client, batches, s } = liveCompact(40)
    const staleMessage = s.onmessage
    const s2 = reconnect(s)
    s2.serverSend(hello('org_a', 40, { ...ECHO, recovered: true }))
    staleMessage?.({ data: JSON.stringify({ type: 'devices', devices: [{ i: 9, id: D0 }] }) })
    s2.serverSend(tc([ev(41, D0)], () => 9))
    expect(batches).toEqual([])
    expect(client.getStats().gaps).toBe(1)
  })

  it('parseServerMessage keeps the indexes in the table it is given', () => {
    const table = new DeviceTable()
    expect(parseServerMessage('{"type":"devices","devices":[{"i":2,"id":"dev_a"},{"i":-1,"id":"dev_b"},{"id":"dev_c"}]}', table)).toEqual({
      type: 'devices',
      devices: [{ i: 2, id: 'dev_a' }],
    })
    expect(parseServerMessage('{"type":"tc","chunks":[[7,100,[0,1,2,1000000,2000000]]]}', table)).toEqual({
      type: 'telemetry',
      events: [{ seq: 7, device: 'dev_a', ts: 101, lat: 1, lon: 2 }],
      skipped: 0,
      wireSeqs: [7],
    })
    expect(parseServerMessage('{"type":"tc","chunks":[[7,100,[0,1,2,1000000,2000000]]]}')).toMatchObject({ events: [], loss: 'unknown device index 2' })
    table.clear()
    expect(table.get(2)).toBeUndefined()
  })
})

describe('compact encoding: sequence rule and loss', () => {
  it('skipped explains gaps across chunks; the rule holds over the flattened events', () => {
    const { client, batches, s } = liveCompact(40)
    s.serverSend(tc([ev(45, D0), ev(46, D3), ev(50, D57), ev(52, D0)], indexOf, { skipped: 8, chunkSize: 3 }))
    expect(batches.map((b) => b.map((e) => e.seq))).toEqual([[45, 46, 50, 52]])
    expect(client.getStats()).toMatchObject({ skipped: 8, gaps: 0 })
    s.serverSend(tc([ev(53, D0)], indexOf))
    expect(client.getStats()).toMatchObject({ skipped: 8, gaps: 0 })
  })

  it.each([
    ['a hole', tc([ev(41, D0), ev(43, D0)], indexOf)],
    ['too few skipped', tc([ev(45, D0)], indexOf, { skipped: 3 })],
    ['chunks out of order', { type: 'tc', chunks: [[42, 0, [0, 0, 0, 0, 0]], [41, 0, [0, 0, 0, 0, 0]]] }],
    ['a malformed skipped', { type: 'tc', skipped: 'many', chunks: [[41, 0, [0, 0, 0, 0, 0]]] }],
    ['no chunks', { type: 'tc', events: [] }],
    ['a chunk without its base', { type: 'tc', chunks: [[41]] }],
    ['a base that is not a number', { type: 'tc', chunks: [['41', 0, [0, 0, 0, 0, 0]]] }],
    ['an event of four elements', { type: 'tc', chunks: [[41, 0, [0, 0, 0, 0]]] }],
    ['an event that is an object', { type: 'tc', chunks: [[41, 0, { o: 0 }]] }],
    ['a fractional offset', { type: 'tc', chunks: [[41, 0, [0.5, 0, 0, 0, 0]]] }],
    ['lat_e6 not an integer', { type: 'tc', chunks: [[41, 0, [0, 0, 0, 48.85, 0]]] }],
    ['lon_e6 null', { type: 'tc', chunks: [[41, 0, [0, 0, 0, 0, null]]] }],
    ['dt missing', { type: 'tc', chunks: [[41, 0, [0, null, 0, 0, 0]]] }],
    ['an index that is a string', { type: 'tc', chunks: [[41, 0, [0, 0, '0', 0, 0]]] }],
    ['a speed that is a string', { type: 'tc', chunks: [[41, 0, [0, 0, 0, 0, 0, 'fast']]] }],
    ['a battery that is a string', { type: 'tc', chunks: [[41, 0, [0, 0, 0, 0, 0, null, null, null, null, '88']]] }],
    ['attributes that are an array', { type: 'tc', chunks: [[41, 0, [0, 0, 0, 0, 0, null, null, null, null, null, [1]]]] }],
  ])('%s is loss: nothing applied, the socket closes and resumes from the last seq', (_what, frame) => {
    const { client, batches, token, s } = liveCompact(40)
    s.serverSend(frame)
    expect(batches).toEqual([])
    expect(client.getStats().gaps).toBe(1)
    expect(s.closeCalls).toEqual([{ code: 1000, reason: 'Resuming' }])
    FakeSocket.last().serverOpen()
    expect(FakeSocket.last().messages()[0]).toEqual({ type: 'auth', token, since: 40, epoch: EPOCH, ...ECHO })
  })

  it('repeated loss backs off instead of reconnecting in a tight loop', () => {
    const { s } = liveCompact(40)
    s.serverSend({ type: 'tc', chunks: [[41, 0, [0, 0, 99, 0, 0]]] })
    const s2 = FakeSocket.last()
    s2.serverOpen()
    s2.serverSend(hello('org_a', 40, { ...ECHO, recovered: true }))
    s2.serverSend({ type: 'tc', chunks: [[41, 0, [0, 0, 99, 0, 0]]] })
    expect(FakeSocket.instances).toHaveLength(2) // waiting for the backoff timer
    vi.runOnlyPendingTimers()
    expect(FakeSocket.instances).toHaveLength(3)
  })
})

describe('stream options on the wire', () => {
  it('a client that sets none sends exactly today’s auth message and takes JSON telemetry', () => {
    const { client } = makeClient({ random: () => 0 })
    const batches: TelemetryEvent[][] = []
    client.on('telemetry', (e) => batches.push(e))
    client.setToken('a.b.c')
    const s = FakeSocket.last()
    s.serverOpen()
    expect(s.sent).toEqual(['{"type":"auth","token":"a.b.c"}'])
    s.serverSend(hello('org_a', 40))
    s.serverSend(telemetry([41, 42]))
    expect(batches).toEqual([[ev(41), ev(42)]])
    expect(client.getState().format).toBe('json')
    const s2 = reconnect(s)
    expect(s2.sent).toEqual([`{"type":"auth","token":"a.b.c","since":42,"epoch":"${EPOCH}"}`])
    expect(client.getStats().gaps).toBe(0)
  })

  it('the options go in the first auth of every connection, after the resume, and never with a refresh', () => {
    const { client, token, s } = liveCompact(40)
    expect(s.sent).toEqual([JSON.stringify({ type: 'auth', token, format: 'compact', flush_ms: 50, coalesce: true })])
    const t2 = jwt('org_a', 2)
    client.setToken(t2)
    expect(s.messages()[1]).toEqual({ type: 'auth', token: t2 })
    s.serverSend({ type: 'auth_ok', token_exp: 1795000120 })
    const s2 = reconnect(s)
    expect(s2.sent).toEqual([JSON.stringify({ type: 'auth', token: t2, since: 40, epoch: EPOCH, format: 'compact', flush_ms: 50, coalesce: true })])
  })

  it('only the options set are sent', () => {
    const { client } = makeClient({ stream: { flushMs: 0 } })
    client.setToken('t')
    FakeSocket.last().serverOpen()
    expect(FakeSocket.last().sent).toEqual(['{"type":"auth","token":"t","flush_ms":0}'])
    const other = makeClient({ stream: { format: 'json', coalesce: false } })
    other.client.setToken('u')
    FakeSocket.last().serverOpen()
    expect(FakeSocket.last().sent).toEqual(['{"type":"auth","token":"u","format":"json","coalesce":false}'])
  })

  it('the query mode puts them in the query (coalesce as 1/0)', () => {
    const { client } = makeClient({ auth: 'query', stream: COMPACT })
    client.setToken('a.b.c')
    expect(FakeSocket.last().url).toBe('ws://127.0.0.1:3000/ws?token=a.b.c&format=compact&flush_ms=50&coalesce=1')
    const off = makeClient({ auth: 'query', stream: { coalesce: false } })
    off.client.setToken('a.b.c')
    expect(FakeSocket.last().url).toBe('ws://127.0.0.1:3000/ws?token=a.b.c&coalesce=0')
  })

  it.each([
    [{ flushMs: 1001 }],
    [{ flushMs: -1 }],
    [{ flushMs: 2.5 }],
    [{ format: 'cbor' }],
    [{ coalesce: 1 }],
  ])('refuses %j at construction (fleetd would close with 1008 Invalid options)', (stream) => {
    expect(() => new WebSocketClient({ stream: stream as never })).toThrow(RangeError)
  })

  it('hello’s echo sets the session’s format; a server that does not echo streams JSON, and that is accepted', () => {
    const { client, logger } = makeClient({ random: () => 0, stream: COMPACT })
    const batches: TelemetryEvent[][] = []
    client.on('telemetry', (e) => batches.push(e))
    client.setToken('t')
    FakeSocket.last().goLive('org_a', 40) // a server that predates stream options: no echo
    expect(client.getState().format).toBe('json')
    expect(logger.warn).toHaveBeenCalledWith(expect.stringContaining('did not echo the stream options'))
    FakeSocket.last().serverSend(telemetry([41]))
    expect(batches).toEqual([[ev(41)]])

    const echoed = liveCompact(40)
    expect(echoed.client.getState().format).toBe('compact')
    expect(echoed.logger.warn).not.toHaveBeenCalled()

    const other = makeClient({ stream: COMPACT })
    other.client.setToken('t')
    FakeSocket.last().goLive('org_a', 40, { format: 'compact', flush_ms: 20, coalesce: true })
    expect(other.logger.warn).toHaveBeenCalledWith(expect.stringContaining('"flush_ms":20'))
  })
})
