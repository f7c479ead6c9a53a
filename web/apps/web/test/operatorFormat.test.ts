import { describe, expect, it } from 'vitest'
import {
  compassPoint,
  formatCoordinates,
  formatDateTime,
  formatHeading,
  formatMeters,
  formatPercent,
  formatSpeed,
} from '../src/features/live/format.ts'

describe('operator formatting', () => {
  it('speed in km/h or mph', () => {
    expect(formatSpeed(72, 'kmh')).toBe('72 km/h')
    expect(formatSpeed(72, 'mph')).toBe('45 mph') // 44.74
    expect(formatSpeed(8, 'mph')).toBe('5.0 mph') // 4.97
    expect(formatSpeed(100, 'mph')).toBe('62 mph') // 62.14
    expect(formatSpeed(null, 'mph')).toBe('—')
    expect(formatSpeed(9.96, 'kmh')).toBe('10 km/h')
    expect(formatSpeed(9.94, 'kmh')).toBe('9.9 km/h')
  })
  it('heading in degrees and the nearest of 16 compass points', () => {
    expect(formatHeading(0)).toBe('0° N')
    expect(formatHeading(91.5)).toBe('92° E')
    expect(formatHeading(225)).toBe('225° SW')
    expect(formatHeading(359.6)).toBe('0° N')
    expect(formatHeading(null)).toBe('—')
    expect(compassPoint(11.24)).toBe('N')
    expect(compassPoint(11.25)).toBe('NNE')
    expect(compassPoint(348.75)).toBe('N')
    expect(compassPoint(-90)).toBe('W')
  })
  it('coordinates with 6 decimals, percent, metres', () => {
    expect(formatCoordinates(48.8566, 2.3522)).toBe('48.856600, 2.352200')
    expect(formatCoordinates(-33.9, -151.2)).toBe('-33.900000, -151.200000')
    expect(formatPercent(81)).toBe('81 %')
    expect(formatPercent(80.55)).toBe('80.5 %')
    expect(formatPercent(null)).toBe('—')
    expect(formatMeters(123.4)).toBe('123 m')
    expect(formatMeters(4.5)).toBe('4.5 m')
  })
  it('date and time in a given zone, the zone named', () => {
    const ms = Date.UTC(2026, 11, 5, 7, 30, 12, 345) // 2026-12-05T07:30:12.345Z
    expect(formatDateTime(ms, 'UTC')).toBe('2026-12-05 07:30:12 UTC')
    expect(formatDateTime(ms, 'Europe/Berlin')).toBe('2026-12-05 08:30:12 Europe/Berlin (GMT+1)')
    expect(formatDateTime(ms, 'America/New_York')).toBe('2026-12-05 02:30:12 America/New_York (GMT-5)')
    expect(formatDateTime(ms, 'Asia/Kolkata')).toBe('2026-12-05 13:00:12 Asia/Kolkata (GMT+5:30)')
    // Midnight is 00, not 24, and the date is the zone's.
    expect(formatDateTime(Date.UTC(2026, 11, 5, 23, 0, 0), 'Europe/Berlin')).toBe('2026-12-06 00:00:00 Europe/Berlin (GMT+1)')
  })
})
