/**
 * Web Mercator in "world units": x and y in [0, 1] over the whole map (x = 0 at 180° W, y = 0 at the
 * north edge, 85.05° N), the space Leaflet's tiles divide: tile (z, x, y) covers [x, x + 1] / 2^z.
 */

/** Latitude where Web Mercator's square world ends. */
export const MAX_LAT = 85.0511287798066

export function lonToX(lon: number): number {
  return (lon + 180) / 360
}

export function latToY(lat: number): number {
  const clamped = Math.max(-MAX_LAT, Math.min(MAX_LAT, lat))
  const s = Math.sin((clamped * Math.PI) / 180)
  return 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)
}

export function xToLon(x: number): number {
  return x * 360 - 180
}

export function yToLat(y: number): number {
  return (Math.atan(Math.sinh(Math.PI * (1 - 2 * y))) * 180) / Math.PI
}
