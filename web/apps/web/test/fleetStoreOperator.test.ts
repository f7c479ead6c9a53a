import type { Hello, Snapshot, TelemetryEvent } from '@fleet/api'
import { describe, expect, it } from 'vitest'
import { FleetStore } from '../src/features/live/fleetStore.ts'

const NOW = 1_795_000_100_000
const hello = (tenant: string): Hello => ({ type: 'hello', protocol: 1, tenant, user: 'u', role: 'admin', token_exp: 0, server: 'f', seq: 0 })
const ev = (seq: number, device: string, extra: Partial<TelemetryEvent> = {}): TelemetryEvent => ({ seq, device, ts: NOW - 1000, lat: 1, lon: 2, ...extra })
const snapshot = (seq: number, devices: Snapshot['devices']): Snapshot => ({ type: 'snapshot', seq, devices })

function live() {
  const store = new FleetStore({ now: () => NOW })
  store.reset('org_a')
  store.handleHello(hello('org_a'))
  return store
}

describe('FleetStore for the operator views', () => {
  it('lists vehicles in natural name order and re-sorts after a rename, a new and a removed vehicle', () => {
    const store = live()
    const names = ['van-100', 'van-10', 'van-2', 'Van-1'].map((name, i) => ({ id: `dev_${i}`, name, last: null }))
    store.handleSnapshot(snapshot(1, names))
    expect(store.list().map((v) => v.name)).toEqual(['Van-1', 'van-2', 'van-10', 'van-100'])
    store.setNames([{ id: 'dev_2', name: 'van-200' }])
    expect(store.list().map((v) => v.name)).toEqual(['Van-1', 'van-10', 'van-100', 'van-200'])
    store.handleTelemetry([ev(2, 'dev_new')]) // named by its id until the names arrive
    store.flush()
    expect(store.list().map((v) => v.id)).toEqual(['dev_new', 'dev_3', 'dev_1', 'dev_0', 'dev_2'])
    store.handleSnapshot(snapshot(3, names.slice(0, 2)))
    expect(store.list().map((v) => v.name)).toEqual(['van-10', 'van-100'])
  })
  it('keeps altitude, accuracy and the newest attributes from the snapshot and from telemetry', () => {
    const store = live()
    store.handleSnapshot(
      snapshot(5, [{ id: 'a', name: 'A', last: ev(5, 'a', { altitude_m: 120, accuracy_m: 4.5, attributes: { driver: 'ann' } }) }]),
    )
    expect(store.vehicles.get('a')).toMatchObject({ altitudeM: 120, accuracyM: 4.5, attrs: { driver: 'ann' } })
    // A point without attributes keeps the previous ones; one with attributes replaces them.
    store.handleTelemetry([ev(6, 'a', { speed_kph: 10 })])
    store.flush()
    expect(store.vehicles.get('a')).toMatchObject({ speedKph: 10, altitudeM: 120, attrs: { driver: 'ann' } })
    store.handleTelemetry([ev(7, 'a', { attributes: { driver: 'bob', door_open: true } })])
    store.flush()
    expect(store.vehicles.get('a')!.attrs).toEqual({ driver: 'bob', door_open: true })
  })
})
