import L from 'leaflet'
import { config } from '../../config.ts'
import { LabelLayer } from './labelLayer.ts'
import { offlineLayer } from './offlineLayer.ts'
import { PackStore } from './packStore.ts'
import { resolveTileSource } from './tileSource.ts'
import './basemap.css'

/** How long the basemap waits for the first vehicle before loading anyway (an empty fleet still gets a map). */
const MAX_WAIT_MS = 5000
const OFFLINE_ATTRIBUTION =
  'Water © <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors (ODbL), ' +
  'borders: Natural Earth, places: GeoNames (CC BY 4.0)'

/**
 * Adds the basemap once `ready()` says the first vehicles are on the map (or after MAX_WAIT_MS): the
 * page's first load is the vehicles, the geography follows. The tile source is fleetd's `--map-tiles`
 * (GET /api/v1/app-config), else the build's VITE_TILE_URL (`tileUrl`), drawn as a raster tile layer;
 * without one, the offline basemap built from packaged geography (web/README, "Basemap").
 */
export async function addBasemap(
  map: L.Map,
  tileUrl: string,
  attribution: string,
  ready: () => boolean = () => true,
): Promise<L.Layer | null> {
  const source = resolveTileSource(config.apiBase, { tileUrl, attribution })
  await whenReady(ready)
  const { tileUrl: url, attribution: credit } = await source
  // The page may have closed the map while this waited (Leaflet's remove() clears _containerId).
  if ((map as L.Map & { _containerId?: number })._containerId === undefined) return null
  exposeForTests(map)
  if (url) return L.tileLayer(url, { attribution: credit, maxZoom: 19 }).addTo(map)
  const store = new PackStore(`${import.meta.env.BASE_URL}basemap/`)
  map.getContainer().classList.add('fleet-basemap-offline')
  const layer = offlineLayer(store).addTo(map)
  new LabelLayer(store).addTo(map)
  map.attributionControl.addAttribution(OFFLINE_ATTRIBUTION)
  return layer
}

function whenReady(ready: () => boolean): Promise<void> {
  const start = Date.now()
  return new Promise((resolve) => {
    const check = () => {
      if (ready() || Date.now() - start >= MAX_WAIT_MS) resolve()
      else setTimeout(check, 100)
    }
    check()
  })
}

/**
 * Test hook `window.__fleetBasemap` (web/README, "Test hooks"), set once the basemap is added: move the
 * view without gestures, and find where a place is on screen.
 */
function exposeForTests(map: L.Map): void {
  Object.defineProperty(window, '__fleetBasemap', {
    configurable: true,
    value: Object.freeze({
      view: (lat: number, lon: number, zoom: number) => map.setView([lat, lon], zoom, { animate: false }),
      point: (lat: number, lon: number) => {
        const p = map.latLngToContainerPoint([lat, lon])
        const r = map.getContainer().getBoundingClientRect()
        return { x: r.left + p.x, y: r.top + p.y }
      },
    }),
  })
}
