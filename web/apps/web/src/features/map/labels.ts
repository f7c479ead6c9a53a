/** A place name the label layer may draw, in screen pixels (its box centred on x, y). */
export interface LabelCandidate {
  name: string
  x: number
  y: number
  width: number
  height: number
  /** Higher wins a collision (population). */
  rank: number
}

/**
 * Greedy label placement: candidates in descending rank, each kept only if its box (plus `gap` pixels)
 * overlaps no kept box and lies inside the view. Deterministic for equal ranks (then by name).
 */
export function placeLabels(
  candidates: readonly LabelCandidate[],
  view: { width: number; height: number },
  gap = 4,
): LabelCandidate[] {
  const sorted = [...candidates].sort((a, b) => b.rank - a.rank || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  const kept: LabelCandidate[] = []
  for (const c of sorted) {
    const left = c.x - c.width / 2
    const top = c.y - c.height / 2
    if (left < 0 || top < 0 || left + c.width > view.width || top + c.height > view.height) continue
    const hit = kept.some(
      (k) =>
        Math.abs(k.x - c.x) * 2 < k.width + c.width + 2 * gap && Math.abs(k.y - c.y) * 2 < k.height + c.height + 2 * gap,
    )
    if (!hit) kept.push(c)
  }
  return kept
}
