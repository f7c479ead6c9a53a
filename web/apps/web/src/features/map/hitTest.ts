import type { Cluster, Clustering } from './cluster.ts'

/** CSS px around a vehicle's centre that hits it (the arrow is 22 px). */
export const HIT_RADIUS = 12

/** What is under a point of the map: a vehicle or a cluster. */
export type Hit = { kind: 'vehicle'; id: string } | { kind: 'cluster'; cluster: Cluster }

/** A cluster circle's radius in CSS px: grows slowly with the count. */
export function clusterRadius(count: number): number {
  return 13 + Math.min(9, 3 * Math.log10(count))
}

/**
 * What is drawn under a container point, topmost first in the canvas's drawing order: a kept-apart vehicle
 * (selected, followed) within HIT_RADIUS (the selected one, drawn last, wins a tie), else a cluster whose
 * circle contains the point, else the nearest other vehicle within HIT_RADIUS.
 */
export function hitDrawn(drawn: Clustering, x: number, y: number, keepApart: ReadonlySet<string>, selected: string | null): Hit | null {
  let top: string | null = null
  let topD2 = HIT_RADIUS * HIT_RADIUS
  let best: string | null = null
  let bestD2 = HIT_RADIUS * HIT_RADIUS
  for (const p of drawn.singles) {
    const d2 = (p.x - x) ** 2 + (p.y - y) ** 2
    if (keepApart.has(p.id)) {
      if (d2 < topD2 || (d2 === topD2 && p.id === selected)) {
        top = p.id
        topD2 = d2
      }
    } else if (d2 < bestD2) {
      best = p.id
      bestD2 = d2
    }
  }
  if (top !== null) return { kind: 'vehicle', id: top }
  for (const c of drawn.clusters) {
    if ((c.x - x) ** 2 + (c.y - y) ** 2 <= clusterRadius(c.count) ** 2) return { kind: 'cluster', cluster: c }
  }
  return best === null ? null : { kind: 'vehicle', id: best }
}
