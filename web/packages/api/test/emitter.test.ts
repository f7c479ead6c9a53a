import { describe, expect, it } from 'vitest'
import { TypedEmitter } from '../src/index.ts'

describe('TypedEmitter', () => {
  it('on/off/once and unsubscribe during emit', () => {
    const e = new TypedEmitter<{ a: number; b: string }>()
    const got: string[] = []
    const off = e.on('a', (n) => got.push(`a${n}`))
    e.once('b', (s) => got.push(`once:${s}`))
    const self = e.on('a', () => {
      got.push('self')
      self()
    })
    e.emit('a', 1)
    e.emit('a', 2)
    e.emit('b', 'x')
    e.emit('b', 'y')
    off()
    e.emit('a', 3)
    expect(got).toEqual(['a1', 'self', 'a2', 'once:x'])
    expect(e.listenerCount('a')).toBe(0)
  })
})
