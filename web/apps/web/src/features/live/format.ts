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

export function formatSpeed(kph: number | null): string {
  return kph === null ? '—' : `${kph.toFixed(kph < 10 ? 1 : 0)} km/h`
}
