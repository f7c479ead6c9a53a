import type { Attributes } from '@fleet/api'
import { describe, expect, it } from 'vitest'
import { filterVehicles, matchesAttrs, NO_FILTER, parseAttrFilter } from '../src/features/live/filter.ts'

const NOW = 1_795_000_000_000

function v(id: string, name: string, ageMs: number | null, speedKph: number | null, attrs: Attributes | null = null) {
  return { id, name, updatedAt: ageMs === null ? null : NOW - ageMs, speedKph, attrs }
}

const FLEET = [
  v('dev_a1', 'van-1', 1_000, 40, { driver: 'Ann Lee', door_open: false, temp_c: 4.5 }),
  v('dev_b2', 'van-2', 1_000, 0, { driver: 'Bob', door_open: true }),
  v('dev_c3', 'Truck 10', 60_000, 30, { Driver: 'ann' }),
  v('dev_d4', 'trailer', null, null),
]
const ids = (r: { shown: { id: string }[] }) => r.shown.map((x) => x.id)

describe('parseAttrFilter', () => {
  it('reads equals, contains and has terms, comma-separated, trimmed, lower-cased', () => {
    expect(parseAttrFilter(' Driver=Ann Lee , door:op, temp_c ,')).toEqual({
      terms: [
        { key: 'driver', op: 'equals', value: 'ann lee' },
        { key: 'door', op: 'contains', value: 'op' },
        { key: 'temp_c', op: 'has', value: '' },
      ],
      invalid: [],
    })
  })
  it('splits at the first = or :, so values may contain either', () => {
    expect(parseAttrFilter('url:http://x=1').terms).toEqual([{ key: 'url', op: 'contains', value: 'http://x=1' }])
    expect(parseAttrFilter('a=b:c').terms).toEqual([{ key: 'a', op: 'equals', value: 'b:c' }])
  })
  it('reports terms without a name', () => {
    expect(parseAttrFilter('=x, :y, ok')).toEqual({ terms: [{ key: 'ok', op: 'has', value: '' }], invalid: ['=x', ':y'] })
  })
  it('reads nothing from an empty text', () => {
    expect(parseAttrFilter('  ,  ')).toEqual({ terms: [], invalid: [] })
  })
})

describe('matchesAttrs', () => {
  const attrs = { driver: 'Ann Lee', door_open: false, temp_c: 4.5 }
  it('equals compares the whole text, case-insensitively; numbers and booleans by their text', () => {
    expect(matchesAttrs(attrs, parseAttrFilter('driver=ann lee').terms)).toBe(true)
    expect(matchesAttrs(attrs, parseAttrFilter('driver=ann').terms)).toBe(false)
    expect(matchesAttrs(attrs, parseAttrFilter('temp_c=4.5, door_open=false').terms)).toBe(true)
    expect(matchesAttrs(attrs, parseAttrFilter('door_open=true').terms)).toBe(false)
  })
  it('contains and has', () => {
    expect(matchesAttrs(attrs, parseAttrFilter('driver:ANN').terms)).toBe(true)
    expect(matchesAttrs(attrs, parseAttrFilter('DRIVER').terms)).toBe(true)
    expect(matchesAttrs(attrs, parseAttrFilter('fuel').terms)).toBe(false)
  })
  it('no attributes match only an empty filter', () => {
    expect(matchesAttrs(null, [])).toBe(true)
    expect(matchesAttrs(null, parseAttrFilter('driver').terms)).toBe(false)
  })
})

describe('filterVehicles', () => {
  it('without a filter shows everything, counts every status and is not active', () => {
    const r = filterVehicles(FLEET, NO_FILTER, NOW)
    expect(ids(r)).toEqual(['dev_a1', 'dev_b2', 'dev_c3', 'dev_d4'])
    expect(r.statusOf).toEqual(['moving', 'idle', 'stale', 'offline'])
    expect(r.counts).toEqual({ moving: 1, idle: 1, stale: 1, offline: 1, outside: 0 })
    expect(r.active).toBe(false)
  })
  it('searches name or id, case-insensitively, as a substring', () => {
    expect(ids(filterVehicles(FLEET, { ...NO_FILTER, text: 'VAN' }, NOW))).toEqual(['dev_a1', 'dev_b2'])
    expect(ids(filterVehicles(FLEET, { ...NO_FILTER, text: ' c3 ' }, NOW))).toEqual(['dev_c3'])
    expect(ids(filterVehicles(FLEET, { ...NO_FILTER, text: 'van-1' }, NOW))).toEqual(['dev_a1'])
  })
  it('filters by status while the counts stay those of the whole fleet', () => {
    const r = filterVehicles(FLEET, { ...NO_FILTER, status: 'stale' }, NOW)
    expect(ids(r)).toEqual(['dev_c3'])
    expect(r.statusOf).toEqual(['stale'])
    expect(r.counts).toEqual({ moving: 1, idle: 1, stale: 1, offline: 1, outside: 0 })
    expect(r.active).toBe(true)
  })
  it('combines search, status and attributes', () => {
    expect(ids(filterVehicles(FLEET, { ...NO_FILTER, attrs: 'driver:ann' }, NOW))).toEqual(['dev_a1', 'dev_c3'])
    expect(ids(filterVehicles(FLEET, { text: 'truck', status: null, attrs: 'driver:ann' }, NOW))).toEqual(['dev_c3'])
    expect(ids(filterVehicles(FLEET, { text: '', status: 'moving', attrs: 'driver:ann' }, NOW))).toEqual(['dev_a1'])
  })
  it('an unreadable attribute term shows nothing and is reported', () => {
    const r = filterVehicles(FLEET, { ...NO_FILTER, attrs: '=ann' }, NOW)
    expect(r.shown).toEqual([])
    expect(r.invalidAttrs).toEqual(['=ann'])
    expect(r.active).toBe(true)
  })
})
