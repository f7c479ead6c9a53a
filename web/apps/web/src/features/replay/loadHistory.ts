import type { HttpClient, TelemetryEvent } from '@fleet/api'

/** At most this many points are loaded for one replay (50 pages); more says so instead of loading on. */
export const REPLAY_MAX_POINTS = 50_000
const PAGE_LIMIT = 1000

export interface LoadedHistory {
  /** Ascending device time. */
  points: TelemetryEvent[]
  /** True when the range holds more than `maxPoints`: `points` are its first `maxPoints`. */
  capped: boolean
}

/**
 * Every point of a device in `[from, to)` (device time, epoch ms), following the history API's `next`
 * cursor page by page, up to `maxPoints`. Aborting `signal` rejects with the client's `aborted` ApiError.
 */
export async function loadHistory(
  http: Pick<HttpClient, 'history'>,
  id: string,
  range: { from: number; to: number },
  opts: { maxPoints?: number; signal?: AbortSignal; onProgress?: (loaded: number) => void } = {},
): Promise<LoadedHistory> {
  const maxPoints = opts.maxPoints ?? REPLAY_MAX_POINTS
  const points: TelemetryEvent[] = []
  let after: string | undefined
  for (;;) {
    const page = await http.history(id, { from: range.from, to: range.to, limit: PAGE_LIMIT, after }, opts.signal)
    for (const p of page.points) {
      if (points.length === maxPoints) return { points, capped: true }
      points.push(p)
    }
    if (!page.next) return { points, capped: false }
    opts.onProgress?.(points.length)
    // A full cap with more pages behind it: capped, without fetching a page only to learn that.
    if (points.length === maxPoints) return { points, capped: true }
    after = page.next
  }
}
