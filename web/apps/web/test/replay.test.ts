import type { HistoryPage, HistoryQuery, TelemetryEvent } from '@fleet/api'
import { describe, expect, it } from 'vitest'
import { loadHistory } from '../src/features/replay/loadHistory.ts'
import { ReplayClock, type FrameScheduler } from '../src/features/replay/replayClock.ts'
import { paddingBeside } from '../src/features/replay/fitPadding.ts'
import { detectStops, distanceM } from '../src/features/replay/stops.ts'
import { indexAtTime, toTrack } from '../src/features/replay/track.ts'
import { formatAbsolute, formatDuration, fromInputValue, toInputValue } from '../src/features/replay/zonedTime.ts'

const T0 = Date.UTC(2026, 10, 24, 12, 0, 0)
/** About 11 m of latitude. */
const STEP = 0.0001

function point(i: number, ts: number, lat: number, lon = 2.35): TelemetryEvent {
  return { seq: i + 1, device: 'dev_1', ts, lat, lon }
}

/** A track of `(secondsFromT0, lat)` pairs. */
function trackOf(...pts: [number, number][]) {
  return toTrack(pts.map(([s, lat], i) => point(i, T0 + s * 1000, lat)))
}

describe('indexAtTime', () => {
  const ts = new Float64Array([10, 20, 20, 30])
  it('is the newest point at or before t', () => {
    expect(indexAtTime(ts, 9)).toBe(-1)
    expect(indexAtTime(ts, 10)).toBe(0)
    expect(indexAtTime(ts, 19.9)).toBe(0)
    expect(indexAtTime(ts, 20)).toBe(2) // the last of equal times
    expect(indexAtTime(ts, 29)).toBe(2)
    expect(indexAtTime(ts, 30)).toBe(3)
    expect(indexAtTime(ts, 1e15)).toBe(3)
    expect(indexAtTime(new Float64Array(0), 5)).toBe(-1)
  })
  it('agrees with a linear scan over 50,000 points', () => {
    const big = new Float64Array(50_000)
    for (let i = 0; i < big.length; i++) big[i] = i * 1000 + (i % 7 === 0 ? 0 : 1)
    for (const t of [0, 1, 999, 1000, 1001, 123_456, 49_999_001, 60_000_000]) {
      let linear = -1
      for (let i = 0; i < big.length && big[i]! <= t; i++) linear = i
      expect(indexAtTime(big, t)).toBe(linear)
    }
  })
})

describe('detectStops (within 50 m for at least 2 min)', () => {
  it('finds one stop with its span, duration and mean position', () => {
    const t = trackOf(
      [0, 48.0],
      [20, 48.001], // ~111 m apart: moving
      [40, 48.002],
      [60, 48.002 + STEP / 10], // stopped from here, drifting a metre or two
      [120, 48.002 - STEP / 10],
      [180, 48.002],
      [200, 48.002 + STEP / 10],
      [220, 48.003], // leaves
      [240, 48.004],
    )
    const stops = detectStops(t)
    expect(stops).toHaveLength(1)
    expect(stops[0]).toMatchObject({ first: 2, last: 6, startTs: T0 + 40_000, endTs: T0 + 200_000, durationMs: 160_000 })
    expect(distanceM(stops[0]!.lat, stops[0]!.lon, 48.002, 2.35)).toBeLessThan(2)
  })
  it('ignores a halt shorter than 2 min and a slow crawl that leaves the 50 m circle', () => {
    const short = trackOf([0, 48.0], [60, 48.0], [119, 48.0], [140, 48.01])
    expect(detectStops(short)).toEqual([])
    // 10 m every 20 s: any 2 min spans 60 m, more than the radius.
    const crawl = trackOf(...Array.from({ length: 20 }, (_, i) => [i * 20, 48 + (i * STEP) / 1.11] as [number, number]))
    expect(detectStops(crawl)).toEqual([])
  })
  it('counts exactly 2 min as a stop, and finds separate stops', () => {
    const t = trackOf([0, 48.0], [120, 48.0], [140, 48.01], [200, 48.01], [260, 48.01], [300, 48.02])
    expect(detectStops(t).map((s) => [s.first, s.last])).toEqual([
      [0, 1],
      [2, 4],
    ])
  })
  it('haversine distance', () => {
    expect(distanceM(48, 2, 48, 2)).toBe(0)
    expect(distanceM(0, 0, 1, 0)).toBeCloseTo(111_195, -1)
  })
})

/** A fake history endpoint serving `total` points in pages, recording each query. */
function fakeHistory(total: number) {
  const queries: HistoryQuery[] = []
  const http = {
    async history(_id: string, q: HistoryQuery = {}): Promise<HistoryPage> {
      queries.push(q)
      const start = q.after === undefined ? 0 : Number(q.after)
      const end = Math.min(total, start + (q.limit ?? 100))
      const points = Array.from({ length: end - start }, (_, k) => point(start + k, T0 + (start + k) * 1000, 48))
      return { points, next: end < total ? String(end) : null }
    },
  }
  return { http, queries }
}

describe('loadHistory', () => {
  it('follows next through every page of the range', async () => {
    const { http, queries } = fakeHistory(2500)
    const progress: number[] = []
    const r = await loadHistory(http, 'dev_1', { from: 1, to: 2 }, { onProgress: (n) => progress.push(n) })
    expect(r.capped).toBe(false)
    expect(r.points).toHaveLength(2500)
    expect(r.points.map((p) => p.seq)).toEqual(Array.from({ length: 2500 }, (_, i) => i + 1))
    expect(queries).toEqual([
      { from: 1, to: 2, limit: 1000, after: undefined },
      { from: 1, to: 2, limit: 1000, after: '1000' },
      { from: 1, to: 2, limit: 1000, after: '2000' },
    ])
    expect(progress).toEqual([1000, 2000])
  })
  it('stops at the cap and says so', async () => {
    const { http, queries } = fakeHistory(5000)
    const r = await loadHistory(http, 'dev_1', { from: 1, to: 2 }, { maxPoints: 2000 })
    expect(r).toMatchObject({ capped: true })
    expect(r.points).toHaveLength(2000)
    expect(queries).toHaveLength(2)
  })
  it('is not capped when the range holds exactly the cap', async () => {
    const { http } = fakeHistory(2000)
    const r = await loadHistory(http, 'dev_1', { from: 1, to: 2 }, { maxPoints: 2000 })
    expect(r.capped).toBe(false)
    expect(r.points).toHaveLength(2000)
  })
  it('passes the abort signal to every request and rejects with its error', async () => {
    const ctrl = new AbortController()
    const signals: (AbortSignal | undefined)[] = []
    const http = {
      async history(_id: string, q: HistoryQuery = {}, signal?: AbortSignal): Promise<HistoryPage> {
        signals.push(signal)
        if (q.after) {
          ctrl.abort()
          throw new Error('aborted')
        }
        return { points: [point(0, T0, 48)], next: '1' }
      },
    }
    await expect(loadHistory(http, 'dev_1', { from: 1, to: 2 }, { signal: ctrl.signal })).rejects.toThrow('aborted')
    expect(signals).toEqual([ctrl.signal, ctrl.signal])
  })
})

/** A manual frame scheduler: `step(ms)` advances wall time and runs the pending frame. */
function manualFrames() {
  let now = 0
  let pending: (() => void) | null = null
  const frames: FrameScheduler = {
    request: (cb) => {
      pending = cb
      return 1
    },
    cancel: () => {
      pending = null
    },
    now: () => now,
  }
  return {
    frames,
    step(ms: number) {
      now += ms
      const cb = pending
      pending = null
      cb?.()
    },
    get pending() {
      return pending !== null
    },
  }
}

describe('ReplayClock', () => {
  it('advances by wall time × speed, pauses at the end, restarts from the start', () => {
    const f = manualFrames()
    const times: number[] = []
    const playing: boolean[] = []
    const c = new ReplayClock(1000, 61_000, (t) => times.push(t), (p) => playing.push(p), f.frames)
    c.setSpeed(60)
    c.play()
    f.step(100) // 6 s of device time
    f.step(400) // 24 s
    expect(times).toEqual([7000, 31_000])
    f.step(1000) // past the end: clamped, paused
    expect(times.at(-1)).toBe(61_000)
    expect(playing).toEqual([true, false])
    expect(f.pending).toBe(false)
    c.play()
    expect(c.time).toBe(1000)
  })
  it('holds still while paused, and seeking clamps and reports at once', () => {
    const f = manualFrames()
    const times: number[] = []
    const c = new ReplayClock(0, 100_000, (t) => times.push(t), () => {}, f.frames)
    c.setSpeed(4)
    c.play()
    f.step(1000)
    c.pause()
    f.step(5000)
    expect(c.time).toBe(4000)
    c.seek(250_000)
    c.seek(-5)
    c.seek(50_000)
    expect(times).toEqual([4000, 100_000, 0, 50_000])
    // Wall time spent paused does not count after resuming.
    c.play()
    f.step(10)
    expect(c.time).toBe(50_040)
  })
})

describe('zoned range inputs', () => {
  it('round-trips a datetime-local value in a zone, across a DST change', () => {
    const ms = Date.UTC(2026, 2, 29, 0, 30) // Europe/Berlin switches at 01:00 UTC that day
    expect(toInputValue(ms, 'Europe/Berlin')).toBe('2026-03-29T01:30')
    expect(fromInputValue('2026-03-29T01:30', 'Europe/Berlin')).toBe(ms)
    expect(fromInputValue('2026-03-29T04:00', 'Europe/Berlin')).toBe(Date.UTC(2026, 2, 29, 2, 0))
    // Skipped (02:30 does not exist): read with the offset before the change. Repeated: the earlier one.
    expect(fromInputValue('2026-03-29T02:30', 'Europe/Berlin')).toBe(Date.UTC(2026, 2, 29, 1, 30))
    expect(fromInputValue('2026-10-25T02:30', 'Europe/Berlin')).toBe(Date.UTC(2026, 9, 25, 0, 30))
    expect(fromInputValue('2026-11-24T12:00', 'UTC')).toBe(Date.UTC(2026, 10, 24, 12))
    expect(fromInputValue('2026-11-24T12:00:30', 'America/New_York')).toBe(Date.UTC(2026, 10, 24, 17, 0, 30))
    expect(fromInputValue('yesterday', 'UTC')).toBeNull()
  })
  it('formats absolute times and durations', () => {
    expect(formatAbsolute(Date.UTC(2026, 11, 5, 7, 5, 9), 'UTC')).toBe('2026-12-05 07:05:09 UTC')
    expect(formatDuration(45_000)).toBe('45 s')
    expect(formatDuration(245_000)).toBe('4 min 5 s')
    expect(formatDuration(7_380_000)).toBe('2 h 3 min')
  })
})

describe('paddingBeside (the track is fitted beside the replay panel)', () => {
  const map = { left: 100, top: 50, width: 1000, height: 700 }
  it('gives up the side a tall panel sits on', () => {
    // Top right, 400 wide and 600 tall: the free strip on its left is larger.
    expect(paddingBeside(map, { left: 690, top: 60, right: 1090, bottom: 660 })).toEqual({
      paddingTopLeft: [24, 24],
      paddingBottomRight: [24 + 410, 24],
    })
    expect(paddingBeside(map, { left: 110, top: 60, right: 510, bottom: 660 }).paddingTopLeft).toEqual([24 + 410, 24])
  })
  it('gives up the top or bottom under a wide panel (phones)', () => {
    const phone = { left: 0, top: 100, width: 360, height: 600 }
    expect(paddingBeside(phone, { left: 8, top: 108, right: 352, bottom: 408 })).toEqual({
      paddingTopLeft: [24, 24 + 308],
      paddingBottomRight: [24, 24],
    })
  })
  it('pads only the margin when the panel is elsewhere', () => {
    expect(paddingBeside(map, { left: 0, top: 0, right: 90, bottom: 40 })).toEqual({ paddingTopLeft: [24, 24], paddingBottomRight: [24, 24] })
  })
})
