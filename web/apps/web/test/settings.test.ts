import { describe, expect, it, vi } from 'vitest'
import { DEFAULT_SETTINGS, SETTINGS_KEY, SettingsStore, readSettings, resolveTimeZone, timeZoneChoices } from '../src/features/live/settings.ts'

/** An in-memory stand-in for localStorage. */
function memoryStorage(initial: Record<string, string> = {}) {
  const data = new Map(Object.entries(initial))
  return {
    data,
    getItem: (k: string) => data.get(k) ?? null,
    setItem: (k: string, v: string) => void data.set(k, v),
  }
}

describe('settings', () => {
  it('default to km/h and the browser zone', () => {
    expect(readSettings(null)).toEqual(DEFAULT_SETTINGS)
    expect(readSettings(memoryStorage())).toEqual({ speedUnit: 'kmh', timeZone: 'browser', stream: 'auto' })
  })
  it('persist: a new store on the same storage (a reload) reads what the last one set', () => {
    const storage = memoryStorage()
    const first = new SettingsStore(storage)
    first.set({ speedUnit: 'mph' })
    first.set({ timeZone: 'America/New_York' })
    expect(JSON.parse(storage.data.get(SETTINGS_KEY)!)).toEqual({ speedUnit: 'mph', timeZone: 'America/New_York', stream: 'auto' })
    expect(new SettingsStore(storage).get()).toEqual({ speedUnit: 'mph', timeZone: 'America/New_York', stream: 'auto' })
  })
  it('notify subscribers with a new object', () => {
    const store = new SettingsStore(memoryStorage())
    const before = store.get()
    const listener = vi.fn()
    const off = store.subscribe(listener)
    store.set({ timeZone: 'UTC' })
    expect(listener).toHaveBeenCalledTimes(1)
    expect(store.get()).not.toBe(before)
    off()
    store.set({ timeZone: 'browser' })
    expect(listener).toHaveBeenCalledTimes(1)
  })
  it('refuse unknown units and zones, and ignore them (or broken JSON) in storage', () => {
    const store = new SettingsStore(memoryStorage())
    expect(() => store.set({ timeZone: 'Mars/Olympus' })).toThrow(RangeError)
    expect(() => store.set({ speedUnit: 'knots' as never })).toThrow(RangeError)
    expect(store.get()).toEqual(DEFAULT_SETTINGS)
    expect(readSettings(memoryStorage({ [SETTINGS_KEY]: '{"speedUnit":"knots","timeZone":"Mars/Olympus"}' }))).toEqual(DEFAULT_SETTINGS)
    expect(readSettings(memoryStorage({ [SETTINGS_KEY]: '{"speedUnit":"mph"' }))).toEqual(DEFAULT_SETTINGS)
    expect(readSettings(memoryStorage({ [SETTINGS_KEY]: '{"speedUnit":"mph","timeZone":"Asia/Tokyo"}' }))).toEqual({
      speedUnit: 'mph',
      timeZone: 'Asia/Tokyo',
      stream: 'auto',
    })
  })
  it('a storage that throws on write still applies the setting', () => {
    const store = new SettingsStore({
      getItem: () => null,
      setItem: () => {
        throw new Error('QuotaExceededError')
      },
    })
    store.set({ speedUnit: 'mph' })
    expect(store.get().speedUnit).toBe('mph')
  })
  it('offer UTC first and the IANA zones; "browser" resolves to the runtime zone', () => {
    const zones = timeZoneChoices()
    expect(zones[0]).toBe('UTC')
    expect(zones).toContain('Europe/Berlin')
    expect(zones.filter((z) => z === 'UTC')).toHaveLength(1)
    expect(resolveTimeZone('browser')).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone)
    expect(resolveTimeZone('Asia/Tokyo')).toBe('Asia/Tokyo')
  })
})
