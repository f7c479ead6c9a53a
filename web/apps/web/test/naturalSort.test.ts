import { describe, expect, it } from 'vitest'
import { compareByName, naturalCompare } from '../src/features/live/naturalSort.ts'

const sorted = (names: string[]) => [...names].sort(naturalCompare)

describe('naturalCompare', () => {
  it('orders numbered names by number, not text', () => {
    expect(sorted(['van-100', 'van-10', 'van-2', 'van-1'])).toEqual(['van-1', 'van-2', 'van-10', 'van-100'])
    expect(sorted(['truck 9b', 'truck 10a', 'truck 9a'])).toEqual(['truck 9a', 'truck 9b', 'truck 10a'])
  })
  it('ignores case', () => {
    expect(sorted(['Van-3', 'van-2', 'VAN-10'])).toEqual(['van-2', 'Van-3', 'VAN-10'])
    expect(naturalCompare('Van-2', 'van-2')).toBe(0)
  })
  it('puts a prefix first and compares several number runs', () => {
    expect(sorted(['van-1', 'van', 'van-1-2', 'van-1-10'])).toEqual(['van', 'van-1', 'van-1-2', 'van-1-10'])
  })
  it('compares digit runs beyond the safe integer range by value, leading zeros after equal values', () => {
    expect(naturalCompare('x99999999999999999999', 'x100000000000000000000')).toBeLessThan(0)
    expect(sorted(['a007', 'a7', 'a08'])).toEqual(['a7', 'a007', 'a08'])
  })
  it('is antisymmetric', () => {
    const names = ['van-1', 'Van-1', 'van-01', 'van-10', 'van', 'a', 'b2', 'b10']
    for (const a of names) for (const b of names) expect(Math.sign(naturalCompare(a, b)) + Math.sign(naturalCompare(b, a))).toBe(0)
  })
})

describe('compareByName', () => {
  it('breaks ties (names equal but for case) by id', () => {
    const vs = [
      { name: 'Van-2', id: 'dev_b' },
      { name: 'van-2', id: 'dev_a' },
      { name: 'van-10', id: 'dev_0' },
    ]
    expect([...vs].sort(compareByName).map((v) => v.id)).toEqual(['dev_a', 'dev_b', 'dev_0'])
  })
})
