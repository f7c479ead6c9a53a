import { describe, expect, it } from 'vitest'
import { clusterPoints, type ScreenPoint } from '../src/features/map/cluster.ts'
import { hitDrawn } from '../src/features/map/hitTest.ts'
import { clusterLabel, directionOf, nearestItem, nextItem, vehicleLabel, type NavItem } from '../src/features/map/markerNav.ts'

function pt(id: string, x: number, y: number): ScreenPoint {
  return { id, x, y, lat: y / 100, lon: x / 100 }
}

const grid = { cellPx: 50, originX: 0, originY: 0, keepApart: new Set<string>() }

describe('clusterPoints', () => {
  it('groups the vehicles that share a cell and counts them; a lone vehicle stays single', () => {
    const pts = [pt('a', 10, 10), pt('b', 20, 30), pt('c', 40, 45), pt('d', 120, 10), pt('e', 130, 20), pt('f', 300, 300)]
    const { singles, clusters } = clusterPoints(pts, grid)
    expect(singles.map((p) => p.id)).toEqual(['f'])
    expect(clusters.map((c) => c.count).sort()).toEqual([2, 3])
    const three = clusters.find((c) => c.count === 3)!
    expect(three.x).toBeCloseTo((10 + 20 + 40) / 3)
    expect(three.y).toBeCloseTo((10 + 30 + 45) / 3)
    expect([three.south, three.north, three.west, three.east]).toEqual([0.1, 0.45, 0.1, 0.4])
    // Every vehicle is drawn exactly once: alone or counted in one cluster.
    expect(singles.length + clusters.reduce((n, c) => n + c.count, 0)).toBe(pts.length)
  })

  it('never clusters the vehicles kept apart (selected, followed), and does not count them', () => {
    const pts = [pt('a', 10, 10), pt('sel', 11, 11), pt('fol', 12, 12), pt('b', 13, 13)]
    const { singles, clusters } = clusterPoints(pts, { ...grid, keepApart: new Set(['sel', 'fol']) })
    expect(singles.map((p) => p.id).sort()).toEqual(['fol', 'sel'])
    expect(clusters).toHaveLength(1)
    expect(clusters[0]!.count).toBe(2)
  })

  it('anchors cells to the world: the same vehicles panned by a whole number of pixels keep their grouping', () => {
    const pts = [pt('a', 45, 10), pt('b', 55, 10)] // either side of a cell border at origin 0
    expect(clusterPoints(pts, grid).clusters).toHaveLength(0)
    // Panned 20 px: container points shift, the world origin shifts with them, the border stays between.
    const panned = pts.map((p) => ({ ...p, x: p.x - 20 }))
    expect(clusterPoints(panned, { ...grid, originX: 20 }).clusters).toHaveLength(0)
    // A different world position of the view would put them in one cell.
    expect(clusterPoints(pts, { ...grid, originX: 10 }).clusters).toHaveLength(1)
  })

  it('keys clusters by their cell, so a cluster keeps its key while its vehicles move inside the cell', () => {
    const before = clusterPoints([pt('a', 10, 10), pt('b', 20, 20)], grid).clusters[0]!
    const after = clusterPoints([pt('a', 12, 14), pt('b', 30, 25)], grid).clusters[0]!
    expect(after.key).toBe(before.key)
  })
})

describe('markerNav', () => {
  //        up
  //   l    c    r
  //              far
  //        down
  const items: NavItem[] = [
    { key: 'c', x: 100, y: 100 },
    { key: 'r', x: 160, y: 105 },
    { key: 'l', x: 40, y: 95 },
    { key: 'up', x: 102, y: 40 },
    { key: 'down', x: 98, y: 170 },
    { key: 'far', x: 130, y: 150 },
  ]
  const c = items[0]!

  it('arrow keys move to the nearest item on that side, preferring items in line', () => {
    expect(nextItem(items, c, 'right')?.key).toBe('r')
    expect(nextItem(items, c, 'left')?.key).toBe('l')
    expect(nextItem(items, c, 'up')?.key).toBe('up')
    // 'far' is less far down than 'down', but off to the side.
    expect(nextItem(items, c, 'down')?.key).toBe('down')
  })

  it('stays put (null) when nothing lies that way', () => {
    const r = items[1]!
    expect(nextItem(items, r, 'right')).toBeNull()
    expect(nextItem([c], c, 'left')).toBeNull()
  })

  it('starts at the item nearest a point, and has none to start at on an empty map', () => {
    expect(nearestItem(items, 150, 110)?.key).toBe('r')
    expect(nearestItem([], 0, 0)).toBeNull()
  })

  it('maps only the arrow keys to directions', () => {
    expect(['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'Enter', 'a'].map(directionOf)).toEqual(['left', 'right', 'up', 'down', null, null])
  })

  it('names vehicles and clusters', () => {
    expect(vehicleLabel('van-7', 'moving', 42)).toBe('van-7, moving, 42 km/h')
    expect(vehicleLabel('van-8', 'stale', null)).toBe('van-8, stale')
    expect(clusterLabel(12)).toBe('12 vehicles, press Enter to zoom in')
  })
})

describe('hitDrawn', () => {
  const cluster = clusterPoints([pt('a', 100, 100), pt('b', 104, 102), pt('c', 98, 99)], grid).clusters[0]!
  const drawn = { singles: [pt('sel', 101, 100), pt('near', 140, 100), pt('fol', 141, 101)], clusters: [cluster] }

  it('hits what is drawn on top: the selected or followed vehicle over a cluster, a cluster over the others', () => {
    expect(hitDrawn(drawn, 100, 100, new Set(['sel']), 'sel')).toEqual({ kind: 'vehicle', id: 'sel' })
    expect(hitDrawn(drawn, 100, 100, new Set(), null)).toEqual({ kind: 'cluster', cluster })
    // Between a plain vehicle and the followed one just beside it: the followed one, drawn above.
    expect(hitDrawn(drawn, 140, 100, new Set(['fol']), null)).toEqual({ kind: 'vehicle', id: 'fol' })
    expect(hitDrawn(drawn, 140, 100, new Set(), null)).toEqual({ kind: 'vehicle', id: 'near' })
  })

  it('hits nothing farther than an arrow from every vehicle and outside every circle', () => {
    expect(hitDrawn(drawn, 300, 300, new Set(), null)).toBeNull()
    // 13 px from 'near', 12.04 px from 'fol': both just beyond the arrow's 12 px.
    expect(hitDrawn(drawn, 153, 100, new Set(), null)).toBeNull()
    // 11 px west of 'near' (hit), 12.04 px from 'fol' (not).
    expect(hitDrawn(drawn, 129, 100, new Set(), null)).toEqual({ kind: 'vehicle', id: 'near' })
  })
})
