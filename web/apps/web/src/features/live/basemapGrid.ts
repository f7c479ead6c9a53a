/** A "nice" grid step (1, 2 or 5 × 10^n degrees) giving a few lines per 256-px tile. */
export function gridStepDeg(zoom: number): number {
  const target = 360 / 2 ** zoom / 3
  const pow = 10 ** Math.floor(Math.log10(target))
  for (const m of [1, 2, 5, 10]) if (m * pow >= target) return m * pow
  return 10 * pow
}
