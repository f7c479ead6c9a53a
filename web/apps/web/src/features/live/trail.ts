import type { HttpClient, TelemetryEvent } from '@fleet/api'

/** Fetches a device's recent points (oldest first) for its trail, following `next` for a few pages. */
export async function loadTrail(
  http: Pick<HttpClient, 'history'>,
  id: string,
  opts: { windowMs?: number; maxPages?: number; now?: number; signal?: AbortSignal } = {},
): Promise<TelemetryEvent[]> {
  const from = (opts.now ?? Date.now()) - (opts.windowMs ?? 15 * 60_000)
  const maxPages = opts.maxPages ?? 5
  const points: TelemetryEvent[] = []
  let after: string | undefined
  for (let page = 0; page < maxPages; page++) {
    const r = await http.history(id, { from, limit: 1000, after }, opts.signal)
    points.push(...r.points)
    if (!r.next) break
    after = r.next
  }
  return points
}
