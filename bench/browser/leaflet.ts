import L from 'leaflet'
import 'leaflet/dist/leaflet.css'
import { VehicleCanvas, type VehicleGlyph } from '../../web/apps/web/src/features/map/vehicleCanvas.ts'
import { CENTRE, drive, type SimVehicle } from './fleet.ts'

/**
 * The app's renderer: Leaflet with the app's own VehicleCanvas (one 2D canvas, arrows from an atlas,
 * vehicle redraws at most every 200 ms), fed the way MapView feeds it (update the glyph, invalidate, draw
 * once per animation frame if dirty). No basemap on either side: only the vehicles are compared.
 */
export function startLeaflet(el: HTMLElement, fleet: SimVehicle[], zoom: number): void {
  const map = L.map(el, { center: [CENTRE.lat, CENTRE.lon], zoom, zoomControl: false })
  const glyphs = new Map<string, VehicleGlyph>()
  for (const v of fleet) glyphs.set(v.id, { lat: v.lat, lon: v.lon, heading: v.heading, stale: false })
  const canvas = new VehicleCanvas(map, glyphs, {
    selected: () => null,
    keepApart: () => new Set(),
    focused: () => null,
    drawn: () => {},
  })
  drive(fleet, (moved) => {
    for (const v of moved) {
      const g = glyphs.get(v.id)!
      g.lat = v.lat
      g.lon = v.lon
      g.heading = v.heading
    }
    canvas.invalidate()
  })
  const frame = () => {
    canvas.drawIfDirty(performance.now())
    requestAnimationFrame(frame)
  }
  requestAnimationFrame(frame)
}
