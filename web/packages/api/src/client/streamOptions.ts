import type { Hello, StreamFormat } from '../types/protocol.ts'

/**
 * How the client asks fleetd to shape its stream (docs/protocol.md, "Stream options"). Each option is
 * sent only when set, in the first `auth` message of every connection (never with a refresh): a client
 * that sets none sends exactly the protocol 2 `auth` it always did and gets the JSON stream.
 */
export interface StreamOptions {
  /** `compact` makes telemetry arrive as `tc` frames (decoded into the same events); default `json`. */
  format?: StreamFormat
  /** 0–1000: the longest the server may hold an event to send it with later ones; default 0. */
  flushMs?: number
  /** At each flush, only the newest queued event per device (the rest counted as `skipped`); default false. */
  coalesce?: boolean
}

/** The options as `auth` members (`format`, `flush_ms`, `coalesce`), only those set; null when none is. */
export interface StreamMembers {
  format?: StreamFormat
  flush_ms?: number
  coalesce?: boolean
}

/** Checks the options at construction, so a bad one is a clear error here and not `1008 Invalid options`. */
export function streamMembers(o: StreamOptions | undefined): StreamMembers | null {
  if (!o) return null
  const m: StreamMembers = {}
  if (o.format !== undefined) {
    if (o.format !== 'json' && o.format !== 'compact') throw new RangeError(`stream.format must be 'json' or 'compact', not ${String(o.format)}`)
    m.format = o.format
  }
  if (o.flushMs !== undefined) {
    if (!Number.isInteger(o.flushMs) || o.flushMs < 0 || o.flushMs > 1000) {
      throw new RangeError(`stream.flushMs must be an integer from 0 to 1000, not ${String(o.flushMs)}`)
    }
    m.flush_ms = o.flushMs
  }
  if (o.coalesce !== undefined) {
    if (typeof o.coalesce !== 'boolean') throw new RangeError(`stream.coalesce must be a boolean, not ${String(o.coalesce)}`)
    m.coalesce = o.coalesce
  }
  return Object.keys(m).length > 0 ? m : null
}

/** The same options as query parameters, for `auth: 'query'` (`coalesce=1`/`0`). */
export function streamQuery(m: StreamMembers | null): Record<string, string | number> {
  if (!m) return {}
  const q: Record<string, string | number> = {}
  if (m.format !== undefined) q.format = m.format
  if (m.flush_ms !== undefined) q.flush_ms = m.flush_ms
  if (m.coalesce !== undefined) q.coalesce = m.coalesce ? 1 : 0
  return q
}

/**
 * What `hello` says the session runs on, compared with what was asked. A server that predates stream
 * options echoes nothing and streams JSON; one that echoes other values than asked is reported (the
 * client decodes whichever encoding arrives either way).
 */
export function echoMismatch(asked: StreamMembers, h: Hello): string | null {
  if (h.format === undefined && h.flush_ms === undefined && h.coalesce === undefined) {
    return 'the server did not echo the stream options (it predates them): JSON stream'
  }
  const want = { format: asked.format ?? 'json', flush_ms: asked.flush_ms ?? 0, coalesce: asked.coalesce ?? false }
  const got = { format: h.format, flush_ms: h.flush_ms, coalesce: h.coalesce }
  if (got.format === want.format && got.flush_ms === want.flush_ms && got.coalesce === want.coalesce) return null
  return `the server runs the stream as ${JSON.stringify(got)}, asked ${JSON.stringify(want)}`
}
