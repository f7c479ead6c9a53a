import { describe, expect, it, vi } from 'vitest'
import { formatSpeed, relativeTime } from '../src/features/live/format.ts'
import { loadTrail } from '../src/features/live/trail.ts'

describe('format', () => {
  it('relative time', () => {
    expect(relativeTime(null, 0)).toBe('never')
    expect(relativeTime(1000, 1500)).toBe('just now')
    expect(relativeTime(0, 12_000)).toBe('12 s ago')
    expect(relativeTime(0, 3 * 60_000)).toBe('3 min ago')
    expect(relativeTime(0, 2 * 3_600_000)).toBe('2 h ago')
    expect(relativeTime(0, 72 * 3_600_000)).toBe('3 d ago')
    expect(relativeTime(5000, 0)).toBe('just now') // clock skew
  })
  it('speed', () => {
    expect(formatSpeed(null)).toBe('—')
    expect(formatSpeed(4.25)).toBe('4.3 km/h')
    expect(formatSpeed(42.5)).toBe('43 km/h')
  })
})

describe('loadTrail', () => {
  it('follows next cursors for a bounded number of pages', async () => {
    const pt = (seq: number) => ({ seq, device: 'd', ts: seq, lat: 0, lon: 0 })
    const history = vi.fn(async (_id: string, q: { after?: string }) => {
      const page = Number(q.after ?? 0)
      return { points: [pt(page * 2), pt(page * 2 + 1)], next: page < 10 ? String(page + 1) : null }
    })
    const points = await loadTrail({ history }, 'd', { maxPages: 3, now: 1_000_000, windowMs: 1000 })
    expect(points.map((p) => p.seq)).toEqual([0, 1, 2, 3, 4, 5])
    expect(history).toHaveBeenCalledTimes(3)
    expect(history.mock.calls[0]![1]).toMatchObject({ from: 999_000, limit: 1000 })
  })
})
