/**
 * The live page runs on the compact stream: its client asks for it (config.stream), and what arrives as
 * `tc` frames reaches the vehicle store exactly as JSON telemetry would, through the same wiring.
 */
import { WebSocketClient } from '@fleet/api'
import { beforeEach, describe, expect, it } from 'vitest'
import { tc } from '../../../packages/api/test/compact-encoder.ts'
import { FakeSocket, hello, jwt } from '../../../packages/api/test/fake-socket.ts'
import { config } from '../src/config.ts'
import { FleetStore } from '../src/features/live/fleetStore.ts'
import { wireStore } from '../src/features/live/wire.ts'

beforeEach(() => FakeSocket.reset())

const NOW = 1_795_000_100_000

describe('the live page on the compact stream', () => {
  it('asks for compact, 50 ms windows and coalescing, and its store moves the vehicles from tc frames', () => {
    const ws = new WebSocketClient({ baseUrl: 'http://h', WebSocketImpl: FakeSocket, logger: null, stream: config.stream })
    const store = new FleetStore({ now: () => NOW })
    store.reset('org_a')
    wireStore(store, ws)
    const token = jwt('org_a')
    ws.setToken(token)
    const s = FakeSocket.last()
    s.serverOpen()
    expect(s.messages()).toEqual([{ type: 'auth', token, format: 'compact', flush_ms: 50, coalesce: true }])

    s.serverSend(hello('org_a', 10, { format: 'compact', flush_ms: 50, coalesce: true }))
    s.serverSend({ type: 'snapshot', seq: 10, devices: [{ id: 'dev_1', name: 'Truck 7', i: 4, last: null }] })
    s.serverSend({ type: 'devices', devices: [{ i: 9, id: 'dev_2' }] })
    const index = (id: string) => (id === 'dev_1' ? 4 : 9)
    s.serverSend(
      tc(
        [
          { seq: 11, device: 'dev_1', ts: NOW - 900, lat: 48.850123, lon: 2.350456, speed_kph: 42, heading_deg: 90 },
          { seq: 14, device: 'dev_2', ts: NOW - 1000, lat: -33.868819, lon: -151.209295 },
        ],
        index,
        { skipped: 2 },
      ),
    )
    store.flush()
    expect(ws.getState()).toMatchObject({ status: 'live', format: 'compact' })
    expect(ws.getStats()).toMatchObject({ gaps: 0, skipped: 2 })
    expect(store.vehicles.get('dev_1')).toMatchObject({ name: 'Truck 7', lat: 48.850123, lon: 2.350456, speedKph: 42, headingDeg: 90, seq: 11 })
    expect(store.vehicles.get('dev_2')).toMatchObject({ lat: -33.868819, lon: -151.209295, seq: 14 })
  })
})
