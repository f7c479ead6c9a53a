/**
 * The protocol 2 sequence rule (docs/protocol.md, "telemetry"): with `prev` the last `seq` the client
 * applied, a frame is consistent when its events ascend, the first is above `prev`, and
 * `last − prev = events.length + skipped`. Anything else is loss, and the client resumes from `prev`.
 */
export type FrameCheck = { ok: true; last: number } | { ok: false; reason: string }

export function checkFrame(prev: number, seqs: readonly number[], skipped: number): FrameCheck {
  if (!Number.isInteger(skipped) || skipped < 0) return { ok: false, reason: `bad skipped ${skipped}` }
  if (seqs.length === 0) {
    // Nothing to apply; a skip without an event to land on cannot be explained.
    return skipped === 0 ? { ok: true, last: prev } : { ok: false, reason: `skipped ${skipped} in an empty frame` }
  }
  let before = prev
  for (const seq of seqs) {
    if (!Number.isInteger(seq)) return { ok: false, reason: 'event without a seq' }
    if (seq <= before) return { ok: false, reason: `seq ${seq} after ${before}` }
    before = seq
  }
  const last = seqs[seqs.length - 1]!
  const expected = seqs.length + skipped
  if (last - prev !== expected) {
    return { ok: false, reason: `seq ${prev} → ${last} with ${seqs.length} events and ${skipped} skipped` }
  }
  return { ok: true, last }
}
