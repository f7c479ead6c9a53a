import L from 'leaflet'
import type { GeometryCollection, Topology } from 'topojson-specification'
// Country outlines from Natural Earth (npm `world-atlas`), emitted as a static asset and fetched from the
// same origin: the basemap works without internet access.
import countriesUrl from 'world-atlas/countries-50m.json?url'
import { gridStepDeg } from './basemapGrid.ts'

/**
 * Adds the basemap: a raster tile layer when `tileUrl` is configured (online deployments, VITE_TILE_URL),
 * otherwise offline country outlines rendered as a GeoJSON layer on a canvas.
 */
export async function addBasemap(map: L.Map, tileUrl: string, attribution: string): Promise<L.Layer | null> {
  if (tileUrl) {
    return L.tileLayer(tileUrl, { attribution, maxZoom: 19 }).addTo(map)
  }
  const [{ feature }, topo] = await Promise.all([
    import('topojson-client'),
    fetch(countriesUrl).then((r) => {
      if (!r.ok) throw new Error(`basemap: HTTP ${r.status}`)
      return r.json() as Promise<Topology<{ countries: GeometryCollection<{ name: string }> }>>
    }),
  ])
  const countries = feature(topo, topo.objects.countries)
  // GeoJSON passes its options on to every polygon, so `renderer` draws them all on one canvas
  // (the typings do not list it).
  const options: L.GeoJSONOptions & L.PathOptions = {
    interactive: false,
    renderer: L.canvas({ padding: 0.5 }),
    style: {
      color: '#8a9aa8',
      weight: 1,
      fillColor: '#eef1ea',
      fillOpacity: 1,
    },
  }
  const layer = L.geoJSON(countries, options)
  layer.addTo(map)
  layer.bringToBack()
  graticule().addTo(map)
  map.attributionControl.addAttribution('Outlines: Natural Earth')
  return layer
}

/** Latitude/longitude grid drawn per tile on canvas, so movement has a visual reference at every zoom. */
function graticule(): L.GridLayer {
  const Grid = L.GridLayer.extend({
    createTile(this: L.GridLayer & { _map: L.Map }, coords: L.Coords): HTMLElement {
      const tile = document.createElement('canvas')
      const size = this.getTileSize()
      tile.width = size.x
      tile.height = size.y
      const ctx = tile.getContext('2d')
      if (!ctx) return tile
      const map = this._map
      const nw = map.unproject([coords.x * size.x, coords.y * size.y], coords.z)
      const se = map.unproject([(coords.x + 1) * size.x, (coords.y + 1) * size.y], coords.z)
      const step = gridStepDeg(coords.z)
      ctx.strokeStyle = 'rgba(90, 110, 130, 0.18)'
      ctx.lineWidth = 1
      ctx.beginPath()
      for (let lon = Math.ceil(nw.lng / step) * step; lon <= se.lng; lon += step) {
        const x = Math.round(map.project([0, lon], coords.z).x - coords.x * size.x) + 0.5
        ctx.moveTo(x, 0)
        ctx.lineTo(x, size.y)
      }
      for (let lat = Math.ceil(se.lat / step) * step; lat <= nw.lat; lat += step) {
        const y = Math.round(map.project([lat, 0], coords.z).y - coords.y * size.y) + 0.5
        ctx.moveTo(0, y)
        ctx.lineTo(size.x, y)
      }
      ctx.stroke()
      return tile
    },
  })
  const GridCtor = Grid as unknown as new (o: L.GridLayerOptions) => L.GridLayer
  // Leaflet's CSS gives canvases in the map z-index 100: draw the grid above the outline canvas.
  return new GridCtor({ pane: 'overlayPane', zIndex: 150 })
}
