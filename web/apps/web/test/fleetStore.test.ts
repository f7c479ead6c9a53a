import type { Hello, Snapshot, TelemetryEvent } from '@fleet/api'
import { describe, expect, it, vi } from 'vitest'
import { FleetStore } from '../src/features/live/fleetStore.ts'

const NOW = 1_795_000_100_000

function hello(tenant: string, seq = 0, extra: Partial<Hello> = {}): Hello {
  return { type: 'hello', protocol: 1, tenant, user: 'u', role: 'admin', token_exp: 0, server: 'fleetd/0.1.0', seq, ...extra }
}
function ev(seq: number, device: string, lat = 48.85, lon = 2.35, extra: Partial<TelemetryEvent> = {}): TelemetryEvent {
  return { seq, device, ts: NOW - 1000, lat, lon, ...extra }
}
function snapshot(seq: number, devices: Snapshot['devices']): Snapshot {
  return { type: 'snapshot', seq, devices }
}

function live(tenant = 'org_a') {
  let now = NOW
  const unknown = vi.fn()
  const store = new FleetStore({ now: () => now, onUnknownDevice: unknown })
  store.reset(tenant)
  store.flush()
  store.handleHello(hello(tenant, 10))
  return { store, unknown, advance: (ms: number) => (now += ms) }
}

describe('FleetStore', () => {
  it('applies the snapshot and reports moved vehicles with positions', () => {
    const { store } = live()
    store.handleSnapshot(
      snapshot(10, [
        { id: 'dev_1', name: 'Truck 7', last: ev(10, 'dev_1', 1, 2, { heading_deg: 90, speed_kph: 42 }) },
        { id: 'dev_2', name: 'Van 2', last: null },
      ]),
    )
    const c = store.flush()
    expect(c.moved.map((v) => v.id)).toEqual(['dev_1'])
    expect(store.vehicles.get('dev_1')).toMatchObject({ name: 'Truck 7', tenant: 'org_a', lat: 1, lon: 2, headingDeg: 90, speedKph: 42, seq: 10 })
    expect(store.vehicles.get('dev_2')).toMatchObject({ name: 'Van 2', lat: null })
    expect(store.list().map((v) => v.name)).toEqual(['Truck 7', 'Van 2'])
  })

  it('queues telemetry and applies only the newest event per device once per flush', () => {
    const { store } = live()
    store.handleSnapshot(snapshot(10, [{ id: 'dev_1', name: 'A', last: ev(10, 'dev_1') }]))
    store.flush()
    const v0 = store.version
    store.handleTelemetry([ev(11, 'dev_1', 1, 1), ev(12, 'dev_1', 2, 2)])
    store.handleTelemetry([ev(13, 'dev_1', 3, 3, { heading_deg: 45 })])
    expect(store.vehicles.get('dev_1')!.lat).toBe(48.85) // not applied before the frame
    expect(store.version).toBe(v0)
    const c = store.flush()
    expect(c.moved).toHaveLength(1)
    expect(store.vehicles.get('dev_1')).toMatchObject({ lat: 3, lon: 3, seq: 13, headingDeg: 45 })
    expect(store.version).toBe(v0 + 1)
    expect(store.flush().moved).toEqual([]) // nothing new
  })

  it('ignores events older than what the vehicle already has (e.g. replayed after a snapshot)', () => {
    const { store } = live()
    store.handleSnapshot(snapshot(20, [{ id: 'dev_1', name: 'A', last: ev(20, 'dev_1', 5, 5) }]))
    store.flush()
    store.handleTelemetry([ev(15, 'dev_1', 9, 9)])
    expect(store.flush().moved).toEqual([])
    expect(store.vehicles.get('dev_1')!.lat).toBe(5)
  })

  it('adds devices unknown to the snapshot and asks for their names', () => {
    const { store, unknown } = live()
    store.handleSnapshot(snapshot(10, []))
    store.handleTelemetry([ev(11, 'dev_new', 1, 1)])
    store.flush()
    expect(store.vehicles.get('dev_new')).toMatchObject({ name: 'dev_new', tenant: 'org_a', lat: 1 })
    expect(unknown).toHaveBeenCalledWith('dev_new')
    store.setNames([{ id: 'dev_new', name: 'New truck' }])
    expect(store.vehicles.get('dev_new')!.name).toBe('New truck')
  })

  it('a new snapshot removes vehicles that are gone (revoked)', () => {
    const { store } = live()
    store.handleSnapshot(snapshot(10, [{ id: 'a', name: 'A', last: ev(1, 'a') }, { id: 'b', name: 'B', last: ev(2, 'b') }]))
    store.flush()
    store.handleSnapshot(snapshot(12, [{ id: 'a', name: 'A', last: ev(1, 'a') }]))
    const c = store.flush()
    expect(c.removed).toEqual(['b'])
    expect([...store.vehicles.keys()]).toEqual(['a'])
  })

  it('reset(org) clears everything and gates out the previous tenant until its hello', () => {
    const { store } = live('org_a')
    store.handleSnapshot(snapshot(10, [{ id: 'a1', name: 'A1', last: ev(10, 'a1') }]))
    store.flush()

    store.reset('org_b') // organization switch
    expect(store.vehicles.size).toBe(0)
    expect(store.flush().reset).toBe(true)

    // The old socket is still closing and delivers more of org_a:
    store.handleTelemetry([ev(11, 'a1')])
    store.handleSnapshot(snapshot(11, [{ id: 'a1', name: 'A1', last: ev(11, 'a1') }]))
    store.handleHello(hello('org_a', 11))
    store.handleTelemetry([ev(12, 'a1')])
    expect(store.flush().moved).toEqual([])
    expect(store.vehicles.size).toBe(0)

    store.handleHello(hello('org_b', 3))
    store.handleSnapshot(snapshot(3, [{ id: 'b1', name: 'B1', last: ev(3, 'b1') }]))
    const c = store.flush()
    expect(c.moved.map((v) => [v.id, v.tenant])).toEqual([['b1', 'org_b']])
    expect(store.tenant).toBe('org_b')
  })

  it('sign-out (reset(null)) drops everything; a later hello is accepted', () => {
    const { store } = live('org_a')
    store.handleSnapshot(snapshot(10, [{ id: 'a1', name: 'A1', last: ev(10, 'a1') }]))
    store.reset(null)
    store.handleTelemetry([ev(11, 'a1')])
    expect(store.flush()).toMatchObject({ reset: true, moved: [] })
    store.handleHello(hello('org_c'))
    store.handleTelemetry([ev(1, 'c1')])
    expect(store.flush().moved.map((v) => v.tenant)).toEqual(['org_c'])
  })

  it('forgets sequence numbers when the server sequence goes backwards', () => {
    const { store } = live()
    store.handleSnapshot(snapshot(100, [{ id: 'a', name: 'A', last: ev(100, 'a', 1, 1) }]))
    store.flush()
    store.handleHello(hello('org_a', 5)) // e.g. server restarted with a fresh store
    store.handleSnapshot(snapshot(5, [{ id: 'a', name: 'A', last: ev(5, 'a', 2, 2) }]))
    store.flush()
    expect(store.vehicles.get('a')!.lat).toBe(2)
  })

  it('a resume with recovered:true keeps the vehicles; the missed events apply on top', () => {
    const { store } = live()
    store.handleHello(hello('org_a', 10, { epoch: 'e1' }))
    store.handleSnapshot(snapshot(10, [{ id: 'a', name: 'A', last: ev(10, 'a', 1, 1) }, { id: 'b', name: 'B', last: ev(9, 'b', 4, 4) }]))
    store.handleTelemetry([ev(11, 'a', 2, 2)])
    store.flush()
    const version = store.version
    store.handleHello(hello('org_a', 11, { epoch: 'e1', recovered: true })) // reconnected, no snapshot
    expect(store.flush()).toMatchObject({ reset: false, moved: [], removed: [] })
    expect(store.version).toBe(version)
    expect(store.vehicles.get('a')).toMatchObject({ lat: 2, seq: 11 })
    expect(store.vehicles.get('b')).toMatchObject({ lat: 4, seq: 9 })
    store.handleTelemetry([ev(12, 'b', 5, 5)])
    store.flush()
    expect(store.vehicles.get('b')).toMatchObject({ lat: 5, seq: 12 })
  })

  it('recovered:false: the snapshot that follows replaces the state', () => {
    const { store } = live()
    store.handleHello(hello('org_a', 10, { epoch: 'e1' }))
    store.handleSnapshot(snapshot(10, [{ id: 'a', name: 'A', last: ev(10, 'a', 1, 1) }, { id: 'b', name: 'B', last: ev(9, 'b') }]))
    store.flush()
    store.handleHello(hello('org_a', 50, { epoch: 'e1', recovered: false }))
    store.handleSnapshot(snapshot(50, [{ id: 'a', name: 'A2', last: ev(48, 'a', 3, 3) }]))
    const c = store.flush()
    expect(c.removed).toEqual(['b'])
    expect([...store.vehicles.keys()]).toEqual(['a'])
    expect(store.vehicles.get('a')).toMatchObject({ name: 'A2', lat: 3, seq: 48 })
  })

  it('a new epoch (the server store was reset) replaces positions even when its seqs are higher', () => {
    const { store } = live()
    store.handleHello(hello('org_a', 100, { epoch: 'e1' }))
    store.handleSnapshot(snapshot(100, [{ id: 'a', name: 'A', last: ev(90, 'a', 1, 1) }]))
    store.handleTelemetry([ev(101, 'a', 7, 7)]) // queued from the old seq space
    store.flush()
    store.handleTelemetry([ev(102, 'a', 8, 8)])
    store.handleHello(hello('org_a', 120, { epoch: 'e2', recovered: false }))
    store.handleSnapshot(snapshot(120, [{ id: 'a', name: 'A', last: ev(60, 'a', 2, 2) }]))
    store.flush()
    expect(store.vehicles.get('a')).toMatchObject({ lat: 2, seq: 60 })
    expect(store.epoch).toBe('e2')
  })

  it('marks vehicles stale after 30 s without an update', () => {
    const { store, advance } = live()
    store.handleTelemetry([ev(11, 'a')])
    store.flush()
    const v = store.vehicles.get('a')!
    expect(store.isStale(v, 30_000)).toBe(false)
    advance(30_001)
    expect(store.isStale(v, 30_000)).toBe(true)
    store.handleTelemetry([ev(12, 'a')])
    store.flush()
    expect(store.isStale(v, 30_000)).toBe(false)
  })

  it('handles 500 vehicles × several frames cheaply (one batch per flush)', () => {
    const { store } = live()
    let seq = 11
    const t0 = performance.now()
    for (let frame = 0; frame < 60; frame++) {
      const batch: TelemetryEvent[] = []
      for (let i = 0; i < 500; i++) batch.push(ev(seq++, `dev_${i}`, 48 + i / 1000, 2 + frame / 1000))
      store.handleTelemetry(batch)
      expect(store.flush().moved).toHaveLength(500)
    }
    expect(store.vehicles.size).toBe(500)
    expect(performance.now() - t0).toBeLessThan(1000)
  })
})
