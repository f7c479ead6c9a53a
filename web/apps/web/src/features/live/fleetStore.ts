import type { Attributes, Hello, Snapshot, TelemetryEvent, ViewChange } from '@fleet/api'
import { compareByName } from './naturalSort.ts'

/** Mutable per-vehicle state. Lives outside React; the map reads it every frame, the list a few times a second. */
export interface Vehicle {
  id: string
  name: string
  /** Tenant the vehicle was received for (from `hello.tenant`). */
  tenant: string
  lat: number | null
  lon: number | null
  headingDeg: number | null
  speedKph: number | null
  batteryPct: number | null
  altitudeM: number | null
  accuracyM: number | null
  /** Attributes of the newest point that carried any (a point without attributes keeps the previous ones). */
  attrs: Attributes | null
  /** Device time of the last point (ms). */
  ts: number | null
  /** Tenant sequence number of the last applied point (-1: none). */
  seq: number
  /** Local time (ms) the last point was received (for snapshot points: their device time, capped at now). */
  updatedAt: number | null
  /**
   * false while the stream is scoped to a view and the vehicle is outside it: it keeps its last known
   * position, and no update means nothing about the vehicle (status `outside`, not stale).
   */
  inView: boolean
}

/** What changed since the previous `flush()`; consumed by the map once per animation frame. */
export interface FrameChanges {
  /** Everything was dropped (tenant change, sign-out): remove all markers first. */
  reset: boolean
  /** Vehicles whose position changed (including ones that got their first position). */
  moved: Vehicle[]
  /** Vehicles that no longer exist. */
  removed: string[]
}

export interface FleetStoreOptions {
  now?: () => number
  /** Called (at most once per flush) when telemetry names a device the snapshot did not list. */
  onUnknownDevice?: (id: string) => void
}

/**
 * Vehicle state for the tenant of the current session.
 *
 * Telemetry is queued (newest event per device) and applied in `flush()`, which the map calls once per
 * `requestAnimationFrame`; 500 vehicles at 2 Hz therefore cost one small batch per frame, and nothing is
 * rendered by React per message. The list subscribes with `subscribe()` and throttles itself.
 *
 * Tenant gate: `reset(org)` sets the expected tenant (from the auth layer) and drops everything. Until a
 * `hello` for that tenant arrives, snapshots and telemetry are ignored — so a socket of the previous
 * organization that is still closing can never put its vehicles back on the map.
 */
export class FleetStore {
  readonly vehicles = new Map<string, Vehicle>()
  /** Tenant of the current session (from `hello`). */
  tenant: string | null = null
  /** `hello.epoch`: the seq space the vehicles' `seq` belong to (null from a protocol 1 server). */
  epoch: string | null = null
  /** Tenant the user is signed in to (from the auth layer); null = accept whatever `hello` says. */
  expectedTenant: string | null = null
  /** Incremented on every applied change (cheap change detection for the list). */
  version = 0
  /** The stream is scoped to a view (the last snapshot answered a filtering one): some may be outside. */
  scoped = false

  private pending = new Map<string, TelemetryEvent>()
  private moved = new Set<string>()
  private removed = new Set<string>()
  private resetPending = false
  private maxSeq = -1
  private gateOpen = false
  private readonly listeners = new Set<() => void>()
  /** The vehicles in `list()` order; null when a vehicle came, went or was renamed since it was sorted. */
  private sorted: Vehicle[] | null = null
  private readonly now: () => number
  private readonly onUnknownDevice: ((id: string) => void) | undefined

  constructor(opts: FleetStoreOptions = {}) {
    this.now = opts.now ?? Date.now
    this.onUnknownDevice = opts.onUnknownDevice
  }

  /** Drops everything (sign-out, organization switch) and expects `expectedTenant` next. */
  reset(expectedTenant: string | null): void {
    this.expectedTenant = expectedTenant
    this.tenant = null
    this.epoch = null
    this.gateOpen = false
    this.clearData()
  }

  handleHello(h: Hello): void {
    if (this.expectedTenant !== null && h.tenant !== this.expectedTenant) {
      // A session of another organization: ignore it and everything it sends.
      this.gateOpen = false
      return
    }
    if (this.tenant !== null && this.tenant !== h.tenant) this.clearData()
    const newEpoch = h.epoch !== undefined && this.epoch !== null && h.epoch !== this.epoch
    if (newEpoch || h.seq < this.maxSeq) {
      // Another seq space (the server's store was reset): our per-device seqs compare with nothing in it,
      // so the snapshot that follows replaces every position.
      for (const v of this.vehicles.values()) v.seq = -1
      this.pending.clear()
      this.maxSeq = -1
    }
    // recovered:true continues the stream as is: no snapshot follows, the vehicles stay.
    this.epoch = h.epoch ?? null
    this.tenant = h.tenant
    this.gateOpen = true
  }

  /**
   * Applies a snapshot. The connection's (unscoped) snapshot lists every vehicle: the others were revoked
   * and go. A `scoped` one (answering a view that filters) lists only the vehicles in view: the others stay
   * where they were last seen, marked outside the view.
   */
  handleSnapshot(s: Snapshot, scoped = false): void {
    if (!this.gateOpen || this.tenant === null) return
    const tenant = this.tenant
    const seen = new Set<string>()
    this.scoped = scoped
    for (const d of s.devices) {
      seen.add(d.id)
      let v = this.vehicles.get(d.id)
      if (!v) {
        v = emptyVehicle(d.id, d.name, tenant)
        this.vehicles.set(d.id, v)
        this.sorted = null
      }
      if (v.name !== d.name) {
        v.name = d.name
        this.sorted = null
      }
      if (d.last && d.last.seq > v.seq) {
        this.applyEvent(v, d.last, Math.min(d.last.ts, this.now()))
      }
      this.setInView(v, true)
    }
    for (const v of [...this.vehicles.values()]) {
      if (seen.has(v.id)) continue
      if (scoped) this.setInView(v, false)
      else this.removeVehicle(v.id) // revoked since the last snapshot
    }
    this.maxSeq = Math.max(this.maxSeq, s.seq)
    this.changed()
  }

  /** Devices crossed the view's edge: `left` keep their last position, marked outside the view. */
  handleViewChange(c: ViewChange): void {
    if (!this.gateOpen || !this.scoped) return
    let changed = false
    for (const id of c.entered) {
      const v = this.vehicles.get(id)
      if (v) changed = this.setInView(v, true) || changed
    }
    for (const id of c.left) {
      const v = this.vehicles.get(id)
      if (!v) continue
      this.pending.delete(id) // the server sends no position outside the view; nothing queued may move it
      changed = this.setInView(v, false) || changed
    }
    if (changed) this.changed()
  }

  /** Queues a telemetry batch (newest event per device wins; applied in `flush()`). */
  handleTelemetry(events: readonly TelemetryEvent[]): void {
    if (!this.gateOpen) return
    for (const e of events) {
      const queued = this.pending.get(e.device)
      if (!queued || e.seq > queued.seq) this.pending.set(e.device, e)
    }
  }

  /** Applies queued telemetry and returns what changed since the last call. */
  flush(): FrameChanges {
    if (this.pending.size > 0 && this.tenant !== null) {
      const now = this.now()
      let unknown: string | null = null
      for (const e of this.pending.values()) {
        let v = this.vehicles.get(e.device)
        if (!v) {
          v = emptyVehicle(e.device, e.device, this.tenant)
          this.vehicles.set(e.device, v)
          this.sorted = null
          unknown ??= e.device
        }
        if (e.seq <= v.seq) continue
        this.applyEvent(v, e, now)
        // A scoped stream sends only events in view (`entered` came first; this covers a missed one).
        this.setInView(v, true)
        if (e.seq > this.maxSeq) this.maxSeq = e.seq
      }
      this.pending.clear()
      if (unknown !== null) this.onUnknownDevice?.(unknown)
      this.changed()
    }
    const out: FrameChanges = {
      reset: this.resetPending,
      moved: [],
      removed: [...this.removed],
    }
    for (const id of this.moved) {
      const v = this.vehicles.get(id)
      if (v && v.lat !== null) out.moved.push(v)
    }
    this.resetPending = false
    this.moved.clear()
    this.removed.clear()
    return out
  }

  /** Updates names (e.g. after fetching the device list for an unknown device). */
  setNames(devices: readonly { id: string; name: string }[]): void {
    let changed = false
    for (const d of devices) {
      const v = this.vehicles.get(d.id)
      if (v && v.name !== d.name) {
        v.name = d.name
        this.sorted = null
        changed = true
      }
    }
    if (changed) this.changed()
  }

  isStale(v: Vehicle, staleAfterMs: number, now = this.now()): boolean {
    return v.updatedAt === null || now - v.updatedAt > staleAfterMs
  }

  /**
   * Vehicles in natural name order ("van-2" before "van-10", case-insensitive), then by id. Sorted only when
   * the set of vehicles or a name changed, so calling it on every render costs nothing at 5,000 vehicles;
   * the array is shared: do not modify it.
   */
  list(): readonly Vehicle[] {
    this.sorted ??= [...this.vehicles.values()].sort(compareByName)
    return this.sorted
  }

  /** Notified after every applied change; listeners should throttle their own rendering. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private applyEvent(v: Vehicle, e: TelemetryEvent, updatedAt: number): void {
    v.lat = e.lat
    v.lon = e.lon
    v.ts = e.ts
    v.seq = e.seq
    if (e.heading_deg !== undefined) v.headingDeg = e.heading_deg
    if (e.speed_kph !== undefined) v.speedKph = e.speed_kph
    if (e.battery_pct !== undefined) v.batteryPct = e.battery_pct
    if (e.altitude_m !== undefined) v.altitudeM = e.altitude_m
    if (e.accuracy_m !== undefined) v.accuracyM = e.accuracy_m
    if (e.attributes !== undefined) v.attrs = e.attributes
    v.updatedAt = updatedAt
    this.moved.add(v.id)
  }

  /** Returns whether it changed; a change redraws the vehicle (the map greys those outside). */
  private setInView(v: Vehicle, inView: boolean): boolean {
    if (v.inView === inView) return false
    v.inView = inView
    if (v.lat !== null) this.moved.add(v.id)
    return true
  }

  private removeVehicle(id: string): void {
    this.vehicles.delete(id)
    this.sorted = null
    this.pending.delete(id)
    this.moved.delete(id)
    this.removed.add(id)
  }

  private clearData(): void {
    this.vehicles.clear()
    this.sorted = null
    this.pending.clear()
    this.moved.clear()
    this.removed.clear()
    this.resetPending = true
    this.maxSeq = -1
    this.scoped = false
    this.changed()
  }

  private changed(): void {
    this.version++
    for (const l of [...this.listeners]) l()
  }
}

function emptyVehicle(id: string, name: string, tenant: string): Vehicle {
  return {
    id,
    name,
    tenant,
    lat: null,
    lon: null,
    headingDeg: null,
    speedKph: null,
    batteryPct: null,
    altitudeM: null,
    accuracyM: null,
    attrs: null,
    ts: null,
    seq: -1,
    updatedAt: null,
    inView: true,
  }
}
