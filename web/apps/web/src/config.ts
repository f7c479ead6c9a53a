import type { StreamOptions } from '@fleet/api'

function list(v: string | undefined, fallback: string[]): string[] {
  const items = (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  return items.length > 0 ? items : fallback
}

export const config = {
  clerkPublishableKey: (import.meta.env.VITE_CLERK_PUBLISHABLE_KEY ?? '').trim(),
  tileUrl: (import.meta.env.VITE_TILE_URL ?? '').trim(),
  tileAttribution: import.meta.env.VITE_TILE_ATTRIBUTION ?? '',
  /** '' = same origin (fleetd serves the app, the API and /ws). */
  apiBase: (import.meta.env.VITE_API_BASE ?? '').trim().replace(/\/+$/, ''),
  devOrgs: list(import.meta.env.VITE_DEV_ORGS, ['org_acme', 'org_globex', 'org_initech']),
  devUsers: list(import.meta.env.VITE_DEV_USERS, ['user_alice', 'user_bob', 'user_carol']),
  /** A device without an update for longer than this is marked stale. */
  staleAfterMs: 30_000,
  /** Cap of the WebSocket reconnect backoff window: a live map should not stay stale for long. */
  reconnectMaxMs: 10_000,
  /**
   * The stream the map asks fleetd for (docs/protocol.md, "Stream options"): compact telemetry (about a
   * fifth of JSON's bytes to parse), sent at most 50 ms late, newest position per vehicle only. The
   * store applies the newest event per vehicle once per animation frame anyway, so neither changes what
   * the map shows.
   */
  stream: { format: 'compact', flushMs: 50, coalesce: true } satisfies StreamOptions,
}

/** Base URL for the WebSocket client, resolved at connect time. */
export function wsBaseUrl(): string {
  return config.apiBase || window.location.origin
}
