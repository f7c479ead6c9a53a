/**
 * Wall-clock times in a chosen IANA time zone (undefined: the browser's), for the range inputs
 * (`datetime-local` has no zone of its own) and the absolute replay time. Built on Intl only.
 */

const partFormats = new Map<string, Intl.DateTimeFormat>()

function partsFormat(timeZone: string | undefined): Intl.DateTimeFormat {
  const key = timeZone ?? ''
  let f = partFormats.get(key)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      timeZoneName: 'short',
    })
    partFormats.set(key, f)
  }
  return f
}

interface WallTime {
  year: number
  month: number
  day: number
  hour: number
  minute: number
  second: number
  zone: string
}

function wallTime(ms: number, timeZone: string | undefined): WallTime {
  const w: WallTime = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0, zone: '' }
  for (const p of partsFormat(timeZone).formatToParts(ms)) {
    if (p.type === 'timeZoneName') w.zone = p.value
    else if (p.type in w) (w as unknown as Record<string, number>)[p.type] = Number(p.value)
  }
  return w
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0')

/** How far the zone's wall clock is ahead of UTC at `ms` (ms; whole seconds). */
function zoneOffsetMs(ms: number, timeZone: string | undefined): number {
  const w = wallTime(ms, timeZone)
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second)
  return asUtc - Math.floor(ms / 1000) * 1000
}

/** `YYYY-MM-DDTHH:mm` (a `datetime-local` value) for the zone's wall clock at `ms`. */
export function toInputValue(ms: number, timeZone?: string): string {
  const w = wallTime(ms, timeZone)
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}`
}

/**
 * The instant a `datetime-local` value (`YYYY-MM-DDTHH:mm[:ss]`) names in the zone, or null when it is not
 * one. A wall time that a DST change skips is read with the offset before the change; one it repeats
 * gives the earlier instant.
 */
export function fromInputValue(value: string, timeZone?: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$/.exec(value)
  if (!m) return null
  const asUtc = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +(m[6] ?? 0))
  if (Number.isNaN(asUtc)) return null
  // The zone's offsets a day either side cover any change near this time; an offset fits when the instant
  // it gives has that offset. Both fit in a repeated hour, neither in a skipped one.
  const before = zoneOffsetMs(asUtc - 86_400_000, timeZone)
  const after = zoneOffsetMs(asUtc + 86_400_000, timeZone)
  const fits = [before, after].map((o) => asUtc - o).filter((ms, k) => zoneOffsetMs(ms, timeZone) === (k === 0 ? before : after))
  return fits.length > 0 ? Math.min(...fits) : asUtc - before
}

/** `2026-12-05 07:25:49 UTC` style: absolute, to the second, with the zone's short name. */
export function formatAbsolute(ms: number, timeZone?: string): string {
  const w = wallTime(ms, timeZone)
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)} ${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)} ${w.zone}`
}

/** `HH:mm:ss` in the zone, for lists where the day is clear from the range. */
export function formatClock(ms: number, timeZone?: string): string {
  const w = wallTime(ms, timeZone)
  return `${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}`
}

/** `45 s`, `4 min 5 s`, `2 h 3 min`. */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000)
  if (s < 60) return `${s} s`
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`
}
