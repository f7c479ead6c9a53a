import type { Attributes, TelemetryEvent } from '../types/protocol.ts'

/** Type guards for decoded JSON, shared by the JSON and the compact decoders. */
export type Obj = Record<string, unknown>

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

export function isNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v)
}

export function str(v: unknown, fallback = ''): string {
  return typeof v === 'string' ? v : fallback
}

function isScalar(v: unknown): v is string | number | boolean {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'
}

/**
 * An event's attribute map: the decoded object itself when every member is a string, number or boolean
 * (the usual case: no copy), else a copy without the other members. Both decoders use it, so an event
 * looks the same whichever encoding carried it.
 */
export function attributesOf(v: Obj): Attributes {
  for (const k in v) {
    if (!isScalar(v[k])) return scalarMembers(v)
  }
  return v as Attributes
}

function scalarMembers(v: Obj): Attributes {
  const out: Attributes = {}
  for (const [k, x] of Object.entries(v)) {
    // defineProperty, not assignment: a member named `__proto__` stays a member.
    if (isScalar(x)) Object.defineProperty(out, k, { value: x, enumerable: true, writable: true, configurable: true })
  }
  return out
}

/** The event's required fields, in the order every event object is built with (one hidden class). */
export function baseEvent(seq: number, device: string, ts: number, lat: number, lon: number): TelemetryEvent {
  return { seq, device, ts, lat, lon }
}
