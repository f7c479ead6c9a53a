import type { TelemetryEvent } from '../src/index.ts'

/**
 * A reference encoder for `tc` frames, written from docs/protocol.md ("Stream options"), so the tests
 * can send the same events in both encodings. Not the server's code: a second reading of the spec.
 */
const OPTIONAL = ['speed_kph', 'heading_deg', 'altitude_m', 'accuracy_m', 'battery_pct', 'attributes'] as const

export function compactEvent(e: TelemetryEvent, seq0: number, ts0: number, index: number): unknown[] {
  const a: unknown[] = [e.seq - seq0, e.ts - ts0, index, Math.round(e.lat * 1e6), Math.round(e.lon * 1e6)]
  for (const k of OPTIONAL) a.push(e[k] ?? null)
  while (a.length > 5 && a[a.length - 1] === null) a.pop()
  return a
}

/**
 * One `tc` frame: each chunk of `chunkSize` events takes its first event's seq and ts as its base, or
 * `base` when given (so dt can be negative).
 */
export function tc(
  events: TelemetryEvent[],
  indexOf: (device: string) => number,
  opts: { skipped?: number; chunkSize?: number; base?: { seq: number; ts: number } } = {},
): Record<string, unknown> {
  const size = opts.chunkSize ?? events.length
  const chunks: unknown[][] = []
  for (let at = 0; at < events.length; at += size) {
    const part = events.slice(at, at + size)
    const seq0 = opts.base?.seq ?? part[0]!.seq
    const ts0 = opts.base?.ts ?? part[0]!.ts
    chunks.push([seq0, ts0, ...part.map((e) => compactEvent(e, seq0, ts0, indexOf(e.device)))])
  }
  return { type: 'tc', ...(opts.skipped === undefined ? {} : { skipped: opts.skipped }), chunks }
}
