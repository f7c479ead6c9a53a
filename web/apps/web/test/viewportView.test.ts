import type { Hello, Snapshot, TelemetryEvent, ViewSpec } from '@fleet/api'
import { describe, expect, it, vi } from 'vitest'
import { FleetStore } from '../src/features/live/fleetStore.ts'
import { vehicleStatus } from '../src/features/live/status.ts'
import { filterVehicles, NO_FILTER } from '../src/features/live/filter.ts'
import { readSettings } from '../src/features/live/settings.ts'
import { ViewportSync, scopesToView, viewportBoxes, viewportView, type ViewTimers } from '../src/features/live/viewportView.ts'

describe('viewportBoxes', () => {
  it('one box for a viewport within ±180', () => {
    expect(viewportBoxes({ west: 2.25, south: 48.81, east: 2.42, north: 48.9 })).toEqual([[2.25, 48.81, 2.42, 48.9]])
  })

  it('two boxes when the viewport spans the antimeridian, from either world copy', () => {
    const pacific = [
      [170, -20, 180, 10],
      [-180, -20, -170, 10],
    ]
    expect(viewportBoxes({ west: 170, south: -20, east: 190, north: 10 })).toEqual(pacific)
    expect(viewportBoxes({ west: -190, south: -20, east: -170, north: 10 })).toEqual(pacific)
  })

  it('a world copy away from ±180 is brought back; latitudes are clamped; 360° or more is the world', () => {
    expect(viewportBoxes({ west: 362.5, south: 48.81, east: 362.75, north: 48.9 })).toEqual([[2.5, 48.81, 2.75, 48.9]])
    expect(viewportBoxes({ west: -10, south: -95, east: 10, north: 97 })).toEqual([[-10, -90, 10, 90]])
    expect(viewportBoxes({ west: -400, south: -85, east: 400, north: 85 })).toEqual([[-180, -85, 180, 85]])
  })
})

describe('scope', () => {
  it('automatic scopes above 1,000 vehicles; the two others always do what they say', () => {
    expect(scopesToView('auto', 1000)).toBe(false)
    expect(scopesToView('auto', 1001)).toBe(true)
    expect(scopesToView('view', 1)).toBe(true)
    expect(scopesToView('fleet', 10_000)).toBe(false)
  })

  it('the setting defaults to automatic and keeps only known values', () => {
    const storage = (v: unknown) => ({ getItem: () => JSON.stringify(v), setItem: () => {} })
    expect(readSettings(null).stream).toBe('auto')
    expect(readSettings(storage({ stream: 'view' })).stream).toBe('view')
    expect(readSettings(storage({ stream: 'tenant' })).stream).toBe('auto')
  })

  it('the view keeps the followed and selected vehicles once each', () => {
    const b = { west: 2, south: 48, east: 3, north: 49 }
    expect(viewportView(b, ['dev_1', 'dev_1', null])).toEqual({ boxes: [[2, 48, 3, 49]], devices: ['dev_1'] })
    expect(viewportView(b, [null, null])).toEqual({ boxes: [[2, 48, 3, 49]] })
  })
})

/** A map with a `moveend` event and settable bounds, and timers run by hand. */
function harness(scoped = true) {
  let bounds = { west: 2, south: 48, east: 3, north: 49 }
  const handlers = new Set<() => void>()
  const map = {
    getBounds: () => ({ getWest: () => bounds.west, getSouth: () => bounds.south, getEast: () => bounds.east, getNorth: () => bounds.north }),
    on: (_: 'moveend', fn: () => void) => handlers.add(fn),
    off: (_: 'moveend', fn: () => void) => handlers.delete(fn),
  }
  let pending: { fn: () => void; at: number } | null = null
  let clock = 0
  const timers: ViewTimers = {
    setTimeout: (fn, ms) => (pending = { fn, at: clock + ms }),
    clearTimeout: () => (pending = null),
  }
  const advance = (ms: number) => {
    clock += ms
    if (pending && pending.at <= clock) {
      const p = pending
      pending = null
      p.fn()
    }
  }
  const sent: (ViewSpec | null)[] = []
  const state = { scoped }
  const sync = new ViewportSync(map, { setView: (v) => sent.push(v) }, { scoped: () => state.scoped, timers })
  const pan = (b: typeof bounds) => {
    bounds = b
    for (const h of handlers) h()
  }
  return { sync, sent, pan, advance, state, handlers }
}

describe('ViewportSync', () => {
  it('sends the viewport 250 ms after the last pan, once for a burst of pans', () => {
    const h = harness()
    h.advance(250)
    expect(h.sent).toEqual([{ boxes: [[2, 48, 3, 49]] }])
    h.pan({ west: 2.1, south: 48, east: 3.1, north: 49 })
    h.advance(200)
    h.pan({ west: 2.2, south: 48, east: 3.2, north: 49 })
    h.advance(200)
    h.pan({ west: 2.3, south: 48, east: 3.3, north: 49 })
    h.advance(249)
    expect(h.sent).toHaveLength(1)
    h.advance(1)
    expect(h.sent).toEqual([{ boxes: [[2, 48, 3, 49]] }, { boxes: [[2.3, 48, 3.3, 49]] }])
  })

  it('the followed and selected vehicles go into the view; an unchanged view is not sent again', () => {
    const h = harness()
    h.advance(250)
    h.sync.setKept(['dev_f', 'dev_s'])
    h.advance(250)
    h.sync.setKept(['dev_f', 'dev_s'])
    h.advance(250)
    expect(h.sent).toEqual([{ boxes: [[2, 48, 3, 49]] }, { boxes: [[2, 48, 3, 49]], devices: ['dev_f', 'dev_s'] }])
  })

  it('whole fleet sends no view; a change of scope is picked up by checkScope without postponing', () => {
    const h = harness(false)
    h.advance(250)
    expect(h.sent).toEqual([null])
    h.state.scoped = true
    h.sync.checkScope()
    h.advance(100)
    h.sync.checkScope() // a store change while the send waits: no new wait
    h.advance(150)
    expect(h.sent).toEqual([null, { boxes: [[2, 48, 3, 49]] }])
    h.sync.checkScope()
    h.advance(250)
    expect(h.sent).toHaveLength(2)
    h.sync.destroy()
    expect(h.sent).toEqual([null, { boxes: [[2, 48, 3, 49]] }, null])
    expect(h.handlers.size).toBe(0)
  })
})

const NOW = 1_795_000_100_000
function hello(seq: number): Hello {
  return { type: 'hello', protocol: 2, tenant: 'org_a', user: 'u', role: 'admin', token_exp: 0, server: 'fleetd', seq, epoch: 'e' }
}
function ev(seq: number, device: string, lat = 48.85): TelemetryEvent {
  return { seq, device, ts: NOW - 1000, lat, lon: 2.35, speed_kph: 40 }
}
function snap(seq: number, ids: string[], view?: number): Snapshot {
  return { type: 'snapshot', seq, devices: ids.map((id) => ({ id, name: id, last: ev(seq, id) })), ...(view === undefined ? {} : { view }) }
}

describe('FleetStore in a scoped stream', () => {
  function live() {
    let now = NOW
    const store = new FleetStore({ now: () => now, onUnknownDevice: vi.fn() })
    store.reset('org_a')
    store.handleHello(hello(10))
    store.handleSnapshot(snap(10, ['dev_in', 'dev_out']))
    store.flush()
    return { store, advance: (ms: number) => (now += ms), now: () => now }
  }

  it('a scoped snapshot keeps the vehicles it does not list where they were, outside the view', () => {
    const { store, now } = live()
    store.handleSnapshot(snap(11, ['dev_in'], 1), true)
    const out = store.vehicles.get('dev_out')!
    expect(out).toMatchObject({ inView: false, lat: 48.85 })
    expect(vehicleStatus(out, now())).toBe('outside')
    expect(store.flush().moved.map((v) => v.id)).toContain('dev_out') // redrawn greyed
    expect(store.vehicles.get('dev_in')!.inView).toBe(true)
  })

  it('outside the view is not stale or offline however old, and the counts say so', () => {
    const { store, advance, now } = live()
    store.handleSnapshot(snap(11, ['dev_in'], 1), true)
    advance(60 * 60_000)
    const r = filterVehicles(store.list(), NO_FILTER, now())
    expect(r.counts).toMatchObject({ outside: 1, offline: 1 })
    expect(vehicleStatus(store.vehicles.get('dev_out')!, now())).toBe('outside')
  })

  it('view_change moves vehicles in and out; a left vehicle keeps its last position', () => {
    const { store } = live()
    store.handleSnapshot(snap(11, ['dev_in'], 1), true)
    store.handleViewChange({ type: 'view_change', view: 1, entered: ['dev_out'], left: ['dev_in'] })
    expect(store.vehicles.get('dev_out')!.inView).toBe(true)
    expect(store.vehicles.get('dev_in')).toMatchObject({ inView: false, lat: 48.85 })
  })

  it('an unscoped snapshot puts every vehicle back in view and still drops the revoked', () => {
    const { store } = live()
    store.handleSnapshot(snap(11, ['dev_in'], 1), true)
    store.handleSnapshot(snap(12, ['dev_out'], 2), false)
    expect(store.vehicles.get('dev_out')!.inView).toBe(true)
    expect(store.vehicles.has('dev_in')).toBe(false)
    expect(store.scoped).toBe(false)
  })

  it('telemetry of a vehicle marked outside brings it back in view', () => {
    const { store } = live()
    store.handleSnapshot(snap(11, [], 1), true)
    store.handleTelemetry([ev(12, 'dev_out', 48.9)])
    store.flush()
    expect(store.vehicles.get('dev_out')).toMatchObject({ inView: true, lat: 48.9 })
  })
})
