/**
 * Screen-space clustering of the vehicles the map draws: one pass over a grid of square cells anchored to
 * the world's pixel grid (not the viewport), so panning the map does not reshuffle the clusters. Linear in
 * the number of vehicles and allocation-light: at 5,000 moving vehicles it runs on every vehicle redraw
 * (at most every 200 ms) without a spatial index to keep up to date (an index such as supercluster would
 * have to be rebuilt for every redraw, since every vehicle moves every second).
 */

/** A vehicle where the map draws it: container px, and its position. */
export interface ScreenPoint {
  id: string
  x: number
  y: number
  lat: number
  lon: number
}

/** Two or more vehicles drawn as one circle with their count. */
export interface Cluster {
  /** The grid cell's key: stable while the zoom is (identifies the cluster for keyboard focus). */
  key: string
  count: number
  /** Mean container position of the members (where the circle is drawn). */
  x: number
  y: number
  /** Mean position of the members. */
  lat: number
  lon: number
  /** Bounds of the members: clicking the cluster zooms in to them. */
  south: number
  west: number
  north: number
  east: number
}

export interface ClusterOptions {
  /** Cell size in CSS px. */
  cellPx: number
  /** Container point (0, 0) in world pixels at the current zoom: anchors the grid to the world. */
  originX: number
  originY: number
  /** Vehicles that are always drawn on their own (the selected and the followed one). */
  keepApart: ReadonlySet<string>
}

export interface Clustering {
  /** Vehicles drawn individually: alone in their cell, or kept apart. */
  singles: ScreenPoint[]
  clusters: Cluster[]
}

interface Cell {
  first: ScreenPoint
  cluster: Cluster | null
}

/** Groups the points that share a grid cell; a cell with one point leaves it single. */
export function clusterPoints(points: readonly ScreenPoint[], opts: ClusterOptions): Clustering {
  const cells = new Map<string, Cell>()
  const singles: ScreenPoint[] = []
  const clusters: Cluster[] = []
  for (const p of points) {
    if (opts.keepApart.has(p.id)) {
      singles.push(p)
      continue
    }
    const key = `${Math.floor((p.x + opts.originX) / opts.cellPx)},${Math.floor((p.y + opts.originY) / opts.cellPx)}`
    const cell = cells.get(key)
    if (!cell) {
      cells.set(key, { first: p, cluster: null })
      continue
    }
    let c = cell.cluster
    if (!c) {
      const f = cell.first
      c = { key, count: 1, x: f.x, y: f.y, lat: f.lat, lon: f.lon, south: f.lat, west: f.lon, north: f.lat, east: f.lon }
      cell.cluster = c
      clusters.push(c)
    }
    // Running sums first; divided into means below.
    c.count++
    c.x += p.x
    c.y += p.y
    c.lat += p.lat
    c.lon += p.lon
    if (p.lat < c.south) c.south = p.lat
    if (p.lat > c.north) c.north = p.lat
    if (p.lon < c.west) c.west = p.lon
    if (p.lon > c.east) c.east = p.lon
  }
  for (const cell of cells.values()) if (!cell.cluster) singles.push(cell.first)
  for (const c of clusters) {
    c.x /= c.count
    c.y /= c.count
    c.lat /= c.count
    c.lon /= c.count
  }
  return { singles, clusters }
}
