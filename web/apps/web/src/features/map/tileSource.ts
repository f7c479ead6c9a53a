/** Where the map's background comes from: an XYZ raster URL, or '' for the offline basemap. */
export interface TileSource {
  tileUrl: string
  attribution: string
}

/** Reads `{"map":{"tile_url":…,"attribution":…}}` (fleetd's GET /api/v1/app-config); null if it names none. */
export function parseAppConfig(body: unknown): TileSource | null {
  if (typeof body !== 'object' || body === null) return null
  const map = (body as { map?: unknown }).map
  if (typeof map !== 'object' || map === null) return null
  const { tile_url: tileUrl, attribution } = map as { tile_url?: unknown; attribution?: unknown }
  if (typeof tileUrl !== 'string' || tileUrl.trim() === '') return null
  return { tileUrl: tileUrl.trim(), attribution: typeof attribution === 'string' ? attribution : '' }
}

/**
 * The deployment's tile source: fleetd's `--map-tiles` (GET /api/v1/app-config) when it names one,
 * else the build's VITE_TILE_URL (`fallback`), else '' (offline). A failed, refused or malformed config
 * request counts as "fleetd names none": the page never waits on it to draw a map.
 */
export async function resolveTileSource(
  apiBase: string,
  fallback: TileSource,
  fetchImpl: typeof fetch = fetch,
): Promise<TileSource> {
  try {
    const res = await fetchImpl(`${apiBase}/api/v1/app-config`, { headers: { Accept: 'application/json' } })
    if (res.ok) {
      const fromServer = parseAppConfig(await res.json())
      if (fromServer) return fromServer
    }
  } catch {
    // Offline or an older fleetd: use the build's setting.
  }
  return fallback
}
