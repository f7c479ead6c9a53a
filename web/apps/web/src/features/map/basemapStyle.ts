/** The offline basemap's colours (OpenStreetMap-like, so the map reads as a map at a glance). */
export const LAND = '#f2efe9'
export const WATER = '#aad3df'
export const BORDER = '#9c8fb5'
export const LABEL = '#262626'
export const LABEL_HALO = 'rgba(255, 255, 255, 0.92)'

/** Font size in px for a place of this population: bigger places get bigger (and bold) names. */
export function placeFontSize(population: number): number {
  if (population >= 1_000_000) return 15
  if (population >= 100_000) return 13
  if (population >= 10_000) return 12
  return 11
}

export function placeFont(population: number): string {
  const size = placeFontSize(population)
  return `${size >= 13 ? 'bold ' : ''}${size}px system-ui, sans-serif`
}
