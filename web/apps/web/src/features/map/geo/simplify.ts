/**
 * Douglas–Peucker importance, computed once per ring or line on the full-detail coordinates: each point
 * gets the squared distance at which DP would first keep it (endpoints get 1, the maximum in world
 * units). A zoom then keeps the points whose importance exceeds its squared tolerance, so every zoom's
 * simplification costs one comparison per point instead of another DP run.
 */
export function markImportance(coords: number[]): void {
  const n = coords.length / 3
  if (n === 0) return
  coords[2] = 1
  coords[(n - 1) * 3 + 2] = 1
  const stack: number[] = [0, n - 1]
  while (stack.length > 0) {
    const last = stack.pop()!
    const first = stack.pop()!
    let maxSq = 0
    let index = -1
    for (let i = first + 1; i < last; i++) {
      const d = sqSegDist(coords, i, first, last)
      if (d > maxSq) {
        maxSq = d
        index = i
      }
    }
    if (index < 0) continue
    coords[index * 3 + 2] = maxSq
    stack.push(first, index, index, last)
  }
}

/** The points of `coords` that a squared tolerance keeps (stride 3 in, stride 3 out). */
export function keepAbove(coords: readonly number[], sqTolerance: number): number[] {
  const out: number[] = []
  for (let i = 0; i < coords.length; i += 3) {
    if (coords[i + 2]! > sqTolerance) out.push(coords[i]!, coords[i + 1]!, coords[i + 2]!)
  }
  return out
}

function sqSegDist(c: readonly number[], p: number, a: number, b: number): number {
  const px = c[p * 3]!
  const py = c[p * 3 + 1]!
  let x = c[a * 3]!
  let y = c[a * 3 + 1]!
  let dx = c[b * 3]! - x
  let dy = c[b * 3 + 1]! - y
  if (dx !== 0 || dy !== 0) {
    const t = ((px - x) * dx + (py - y) * dy) / (dx * dx + dy * dy)
    if (t > 1) {
      x = c[b * 3]!
      y = c[b * 3 + 1]!
    } else if (t > 0) {
      x += dx * t
      y += dy * t
    }
  }
  dx = px - x
  dy = py - y
  return dx * dx + dy * dy
}
