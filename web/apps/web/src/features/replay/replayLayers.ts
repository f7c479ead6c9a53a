import L from 'leaflet'
import { paddingBeside } from './fitPadding.ts'
import type { Stop } from './stops.ts'
import type { Track } from './track.ts'
import { formatClock, formatDuration } from './zonedTime.ts'

/**
 * The replay's own Leaflet layers on the live map: the track as a polyline, one stop circle per stop (its
 * duration in a tooltip) and the replay marker, an arrow along the point's heading (a dot without one),
 * in a colour no live vehicle uses. `remove()` takes all of them off again.
 *
 * The marker moves only when the point it shows changes, and `record` (a hidden element, the test hook
 * `data-testid="replay-marker"`) carries that point's `data-lat`, `data-lon`, `data-ts`.
 */
export class ReplayLayers {
  private readonly group: L.LayerGroup
  private readonly line: L.Polyline
  private readonly marker: L.Marker
  private shown = -2

  constructor(
    private readonly map: L.Map,
    private readonly track: Track,
    stops: readonly Stop[],
    private readonly record: HTMLElement,
    timeZone: string | undefined,
  ) {
    const latlngs: L.LatLngTuple[] = new Array(track.length)
    for (let i = 0; i < track.length; i++) latlngs[i] = [track.lat[i]!, track.lon[i]!]
    this.line = L.polyline(latlngs, { color: '#6f42c1', weight: 4, opacity: 0.85, interactive: false, className: 'replay-track' })
    this.group = L.layerGroup([this.line])
    for (const s of stops) {
      const label = `Stopped ${formatDuration(s.durationMs)} from ${formatClock(s.startTs, timeZone)}`
      L.circleMarker([s.lat, s.lon], { radius: 9, color: '#6f42c1', weight: 3, fillColor: '#ffffff', fillOpacity: 0.9, className: 'replay-stop-mark' })
        .bindTooltip(label)
        .addTo(this.group)
    }
    const icon = L.divIcon({
      className: 'replay-marker',
      html: '<div class="replay-marker-glyph"></div>',
      iconSize: [26, 26],
      iconAnchor: [13, 13],
    })
    this.marker = L.marker([track.lat[0]!, track.lon[0]!], { icon, interactive: false, keyboard: false, zIndexOffset: 1000 })
    this.group.addLayer(this.marker)
    this.group.addTo(map)
  }

  /** Fits the map to the whole track, beside `cover` (the replay panel floating over the map), if given. */
  fit(cover?: Element | null): void {
    const padding = cover ? paddingBeside(this.map.getContainer().getBoundingClientRect(), cover.getBoundingClientRect()) : {}
    this.map.fitBounds(this.line.getBounds(), { ...padding, maxZoom: 17, animate: false })
  }

  /** Shows point `index` (-1: before the first point, shown at the first point). Cheap when unchanged. */
  show(index: number): void {
    if (index === this.shown) return
    this.shown = index
    const i = Math.max(0, index)
    const lat = this.track.lat[i]!
    const lon = this.track.lon[i]!
    this.marker.setLatLng([lat, lon])
    const glyph = this.marker.getElement()?.firstElementChild as HTMLElement | null | undefined
    if (glyph) {
      const heading = this.track.heading[i]!
      glyph.classList.toggle('no-heading', Number.isNaN(heading))
      glyph.style.transform = Number.isNaN(heading) ? '' : `rotate(${heading}deg)`
    }
    this.record.dataset.lat = String(lat)
    this.record.dataset.lon = String(lon)
    this.record.dataset.ts = String(this.track.ts[i])
    this.record.dataset.index = String(i)
  }

  remove(): void {
    this.group.remove()
  }
}
