export interface BackoffOptions {
  /** Base delay of the first retry window (default 500 ms). */
  initialMs?: number
  /** Cap of the retry window (default 30 s). */
  maxMs?: number
  /** Window growth per failed attempt (default 2). */
  factor?: number
}

export const DEFAULT_BACKOFF: Required<BackoffOptions> = { initialMs: 500, maxMs: 30_000, factor: 2 }

/**
 * Exponential backoff with full jitter: a uniformly random delay in
 * [0, min(maxMs, initialMs · factor^attempt, max(initialMs, downForMs))).
 *
 * The last bound is how long the connection has been down: failed attempts against a restarting server
 * fail at once and would otherwise grow the window faster than the outage lasts. With it, a server that
 * was away for two seconds is retried within about two seconds of coming back, while a long outage still
 * backs off to the cap.
 */
export function backoffDelay(
  attempt: number,
  random: () => number,
  opts: Required<BackoffOptions>,
  downForMs = Number.POSITIVE_INFINITY,
): number {
  const grown = opts.initialMs * Math.pow(opts.factor, Math.max(0, attempt))
  const window = Math.min(opts.maxMs, grown, Math.max(opts.initialMs, downForMs))
  return Math.floor(Math.max(0, Math.min(1, random())) * window)
}
