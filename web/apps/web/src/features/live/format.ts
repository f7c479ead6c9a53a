import type { SpeedUnit } from './settings.ts'

/** "just now", "12 s ago", "3 min ago", "2 h ago", "5 d ago"; "never" for null. */
export function relativeTime(thenMs: number | null, nowMs: number): string {
  if (thenMs === null) return 'never'
  const s = Math.max(0, Math.round((nowMs - thenMs) / 1000))
  if (s < 2) return 'just now'
  if (s < 60) return `${s} s ago`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m} min ago`
  const h = Math.floor(m / 60)
  if (h < 48) return `${h} h ago`
  return `${Math.floor(h / 24)} d ago`
}

export const KM_PER_MILE = 1.609344

/** "4.3 km/h", "43 km/h" (one decimal below 10), or the same in mph; "—" when unknown. */
export function formatSpeed(kph: number | null, unit: SpeedUnit = 'kmh'): string {
  if (kph === null) return '—'
  const value = unit === 'mph' ? kph / KM_PER_MILE : kph
  const oneDecimal = value.toFixed(1)
  // Decide on the rounded value, so 9.96 reads "10", not "10.0".
  return `${Number(oneDecimal) < 10 ? oneDecimal : value.toFixed(0)} ${unit === 'mph' ? 'mph' : 'km/h'}`
}

const COMPASS = ['N', 'NNE', 'NE', 'ENE', 'E', 'ESE', 'SE', 'SSE', 'S', 'SSW', 'SW', 'WSW', 'W', 'WNW', 'NW', 'NNW']

/** The nearest of 16 compass points (N, NNE, …) to a heading in degrees clockwise from north. */
export function compassPoint(deg: number): string {
  const i = Math.round((((deg % 360) + 360) % 360) / 22.5) % 16
  return COMPASS[i]!
}

/** "91° E"; "—" when unknown. */
export function formatHeading(deg: number | null): string {
  return deg === null ? '—' : `${Math.round(deg) % 360}° ${compassPoint(deg)}`
}

/** "48.857000, 2.353000": 6 decimals, about 0.11 m, the stream's own precision. */
export function formatCoordinates(lat: number, lon: number): string {
  return `${lat.toFixed(6)}, ${lon.toFixed(6)}`
}

/** "81 %", "80.5 %"; "—" when unknown. */
export function formatPercent(pct: number | null): string {
  return pct === null ? '—' : `${Number.isInteger(pct) ? pct : pct.toFixed(1)} %`
}

/** "120 m", "4.5 m" (one decimal below 10). */
export function formatMeters(m: number): string {
  return `${Math.abs(m) < 10 && !Number.isInteger(m) ? m.toFixed(1) : Math.round(m)} m`
}

const dateFormats = new Map<string, Intl.DateTimeFormat>()
const offsetFormats = new Map<string, Intl.DateTimeFormat>()

function cached(cache: Map<string, Intl.DateTimeFormat>, zone: string, opts: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  let f = cache.get(zone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { ...opts, timeZone: zone })
    cache.set(zone, f)
  }
  return f
}

/**
 * "2026-12-05 07:30:12 UTC" or "2026-12-05 08:30:12 Europe/Berlin (GMT+1)": the time in `zone` (an IANA
 * name), the zone always named, so a reader never has to guess which clock it is.
 */
export function formatDateTime(ms: number, zone: string): string {
  const parts: Record<string, string> = {}
  const f = cached(dateFormats, zone, {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  })
  for (const p of f.formatToParts(ms)) parts[p.type] = p.value
  const text = `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`
  if (zone === 'UTC' || zone === 'Etc/UTC') return `${text} UTC`
  const offset = cached(offsetFormats, zone, { timeZoneName: 'shortOffset' })
    .formatToParts(ms)
    .find((p) => p.type === 'timeZoneName')?.value
  return offset ? `${text} ${zone} (${offset})` : `${text} ${zone}`
}
