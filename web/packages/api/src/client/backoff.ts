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
 * [0, min(maxMs, initialMs · factor^attempt)).
 */
export function backoffDelay(attempt: number, random: () => number, opts: Required<BackoffOptions>): number {
  const window = Math.min(opts.maxMs, opts.initialMs * Math.pow(opts.factor, Math.max(0, attempt)))
  return Math.floor(Math.max(0, Math.min(1, random())) * window)
}
