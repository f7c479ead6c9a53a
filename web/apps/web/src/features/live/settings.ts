/**
 * The viewer's display settings (speed unit, time zone) and what the stream covers, persisted in localStorage under `fleet.settings`
 * and shared by everything that shows a speed or a time (list, details). One `SettingsStore` per page
 * (`settingsStore`); components read it with `useSettings()`.
 */

export type SpeedUnit = 'kmh' | 'mph'

/** `'browser'`: the browser's own zone; otherwise an IANA zone name ('UTC', 'Europe/Berlin', …). */
export type TimeZoneSetting = string

/**
 * What the live stream covers: `fleet` every vehicle; `view` only those in the map view (plus the followed
 * and selected ones); `auto` the map view when the fleet has more than 1,000 vehicles (viewportView.ts).
 */
export type StreamScope = 'fleet' | 'view' | 'auto'

export const STREAM_SCOPES: readonly StreamScope[] = ['fleet', 'view', 'auto']

export interface Settings {
  speedUnit: SpeedUnit
  timeZone: TimeZoneSetting
  stream: StreamScope
}

export const DEFAULT_SETTINGS: Settings = { speedUnit: 'kmh', timeZone: 'browser', stream: 'auto' }
export const SETTINGS_KEY = 'fleet.settings'

/** The part of `Storage` settings need; null where storage is unavailable (private mode, tests). */
export type SettingsStorage = Pick<Storage, 'getItem' | 'setItem'> | null

/** Whether the runtime knows `zone` as an IANA time zone. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone })
    return true
  } catch {
    return false
  }
}

/** The zone a setting stands for ('browser' resolved to the browser's zone). */
export function resolveTimeZone(setting: TimeZoneSetting): string {
  return setting === 'browser' ? Intl.DateTimeFormat().resolvedOptions().timeZone : setting
}

/** Every zone the settings offer: UTC first, then the runtime's IANA list. */
export function timeZoneChoices(): string[] {
  const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : []
  return ['UTC', ...zones.filter((z) => z !== 'UTC')]
}

/** Reads settings, keeping each stored value only if it is still valid (a zone the browser knows, a unit). */
export function readSettings(storage: SettingsStorage): Settings {
  let raw: unknown
  try {
    raw = JSON.parse(storage?.getItem(SETTINGS_KEY) ?? 'null')
  } catch {
    raw = null
  }
  const out = { ...DEFAULT_SETTINGS }
  if (typeof raw !== 'object' || raw === null) return out
  const r = raw as Record<string, unknown>
  if (r.speedUnit === 'kmh' || r.speedUnit === 'mph') out.speedUnit = r.speedUnit
  if (typeof r.timeZone === 'string' && (r.timeZone === 'browser' || isTimeZone(r.timeZone))) out.timeZone = r.timeZone
  if (STREAM_SCOPES.includes(r.stream as StreamScope)) out.stream = r.stream as StreamScope
  return out
}

export class SettingsStore {
  private current: Settings
  private readonly listeners = new Set<() => void>()

  constructor(private readonly storage: SettingsStorage) {
    this.current = readSettings(storage)
  }

  /** The current settings (a new object after each change, so React can compare by identity). */
  get(): Settings {
    return this.current
  }

  /** Applies and persists a change; invalid values are refused with a RangeError. */
  set(patch: Partial<Settings>): void {
    const next = { ...this.current, ...patch }
    if (next.speedUnit !== 'kmh' && next.speedUnit !== 'mph') throw new RangeError(`unknown speed unit ${String(next.speedUnit)}`)
    if (next.timeZone !== 'browser' && !isTimeZone(next.timeZone)) throw new RangeError(`unknown time zone ${next.timeZone}`)
    if (!STREAM_SCOPES.includes(next.stream)) throw new RangeError(`unknown stream scope ${String(next.stream)}`)
    this.current = next
    try {
      this.storage?.setItem(SETTINGS_KEY, JSON.stringify(next))
    } catch {
      // Storage full or refused: the setting still applies to this page.
    }
    this.notify()
  }

  /** Re-reads storage (another tab changed the settings). */
  reload(): void {
    this.current = readSettings(this.storage)
    this.notify()
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private notify(): void {
    for (const l of [...this.listeners]) l()
  }
}

function browserStorage(): SettingsStorage {
  try {
    return typeof window === 'undefined' ? null : window.localStorage
  } catch {
    return null
  }
}

export const settingsStore = new SettingsStore(browserStorage())

if (typeof window !== 'undefined') {
  window.addEventListener('storage', (e) => {
    if (e.key === SETTINGS_KEY) settingsStore.reload()
  })
}
