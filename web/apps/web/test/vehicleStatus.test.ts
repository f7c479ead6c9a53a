import { describe, expect, it } from 'vitest'
import { STATUS_HELP, STATUS_THRESHOLDS, vehicleStatus } from '../src/features/live/status.ts'

const NOW = 1_795_000_000_000
const at = (ageMs: number, speedKph: number | null = 50) => ({ updatedAt: NOW - ageMs, speedKph })

describe('vehicleStatus', () => {
  it('uses the documented thresholds', () => {
    expect(STATUS_THRESHOLDS).toEqual({ staleAfterMs: 30_000, offlineAfterMs: 600_000, movingMinKph: 3 })
    expect(STATUS_HELP.stale).toContain('30 s')
    expect(STATUS_HELP.offline).toContain('10 min')
    expect(STATUS_HELP.moving).toContain('3 km/h')
  })
  it('moving at and above 3 km/h, idle below it or without a speed', () => {
    expect(vehicleStatus(at(0, 3), NOW)).toBe('moving')
    expect(vehicleStatus(at(0, 2.99), NOW)).toBe('idle')
    expect(vehicleStatus(at(0, 0), NOW)).toBe('idle')
    expect(vehicleStatus(at(0, null), NOW)).toBe('idle')
  })
  it('fresh up to 30 s, stale just after', () => {
    expect(vehicleStatus(at(30_000), NOW)).toBe('moving')
    expect(vehicleStatus(at(30_001), NOW)).toBe('stale')
    expect(vehicleStatus(at(30_001, 0), NOW)).toBe('stale')
  })
  it('stale up to 10 min, offline just after, and offline when never seen', () => {
    expect(vehicleStatus(at(600_000), NOW)).toBe('stale')
    expect(vehicleStatus(at(600_001), NOW)).toBe('offline')
    expect(vehicleStatus({ updatedAt: null, speedKph: 40 }, NOW)).toBe('offline')
  })
  it('a point from slightly in the future counts as fresh', () => {
    expect(vehicleStatus(at(-5_000, 10), NOW)).toBe('moving')
  })
})
