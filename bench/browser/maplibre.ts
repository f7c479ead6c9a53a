import { Map as MaplibreMap, setWorkerUrl, type GeoJSONSource } from 'maplibre-gl'
import 'maplibre-gl/dist/maplibre-gl.css'
// The bundle does not sit next to the package's worker file: tell MapLibre where the built one is.
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url'
import { CENTRE, drive, type SimVehicle } from './fleet.ts'

// Same arrow and colours as the app's canvas.
const ARROW_PATH = 'M12 2 L20 21 L12 16.5 L4 21 Z'
const SIZE = 22
// The same cadence as the canvas: vehicle changes reach the GPU at most every 200 ms.
const DATA_REDRAW_MS = 200

/**
 * MapLibre GL JS (WebGL): the vehicles as one GeoJSON source with a symbol layer (an arrow icon rotated by
 * heading, overlap allowed, no collision placement), updated with `updateData` (only the moved features'
 * geometries and headings) at most every 200 ms. Zoom `zoom - 1`: MapLibre's 512-px tiles make that the
 * scale of Leaflet's `zoom`.
 */
export function startMaplibre(el: HTMLElement, fleet: SimVehicle[], zoom: number, ready: () => void, failed: (why: string) => void): void {
  setWorkerUrl(workerUrl)
  let map: MaplibreMap
  try {
    map = new MaplibreMap({
      container: el,
      style: { version: 8, sources: {}, layers: [{ id: 'bg', type: 'background', paint: { 'background-color': '#eef1ea' } }] },
      center: [CENTRE.lon, CENTRE.lat],
      zoom: zoom - 1,
      attributionControl: false,
    })
  } catch (err) {
    failed(String(err))
    return
  }
  map.on('error', (e) => failed(String(e.error)))
  map.on('load', () => {
    map.addImage('arrow', arrowImage(), { pixelRatio: window.devicePixelRatio || 1 })
    map.addSource('vehicles', {
      type: 'geojson',
      data: { type: 'FeatureCollection', features: fleet.map(feature) },
      promoteId: 'id',
    })
    map.addLayer({
      id: 'vehicles',
      type: 'symbol',
      source: 'vehicles',
      layout: {
        'icon-image': 'arrow',
        'icon-rotate': ['get', 'heading'],
        'icon-rotation-alignment': 'map',
        'icon-allow-overlap': true,
        'icon-ignore-placement': true,
      },
    })
    const source = map.getSource('vehicles') as GeoJSONSource
    const pending = new Map<string, SimVehicle>()
    drive(fleet, (moved) => {
      for (const v of moved) pending.set(v.id, v)
    })
    setInterval(() => {
      if (pending.size === 0) return
      source.updateData({
        update: [...pending.values()].map((v) => ({
          id: v.id,
          newGeometry: { type: 'Point', coordinates: [v.lon, v.lat] },
          addOrUpdateProperties: [{ key: 'heading', value: v.heading }],
        })),
      })
      pending.clear()
    }, DATA_REDRAW_MS)
    map.once('idle', ready)
  })
}

function feature(v: SimVehicle): GeoJSON.Feature<GeoJSON.Point> {
  return { type: 'Feature', id: v.id, properties: { id: v.id, heading: v.heading }, geometry: { type: 'Point', coordinates: [v.lon, v.lat] } }
}

function arrowImage(): ImageData {
  const ratio = window.devicePixelRatio || 1
  const px = Math.ceil(SIZE * ratio)
  const c = new OffscreenCanvas(px, px)
  const g = c.getContext('2d')!
  g.scale(px / 24, px / 24)
  g.fillStyle = '#1f6feb'
  g.strokeStyle = 'white'
  g.lineWidth = 1.6
  g.lineJoin = 'round'
  const path = new Path2D(ARROW_PATH)
  g.fill(path)
  g.stroke(path)
  return g.getImageData(0, 0, px, px)
}
