import { makeFleet } from './fleet.ts'
import { startLeaflet } from './leaflet.ts'
import { startMaplibre } from './maplibre.ts'

/** `?renderer=leaflet|maplibre&n=5000&zoom=13`; `window.__bench` says when it is drawing, or why not. */
const q = new URLSearchParams(location.search)
const n = Number(q.get('n') ?? 5000)
const zoom = Number(q.get('zoom') ?? 13)
const state = { ready: false, error: null as string | null, webgl: webglRenderer() }
Object.assign(window, { __bench: state })
const el = document.getElementById('map')!
const fleet = makeFleet(n)
if (q.get('renderer') === 'maplibre') {
  startMaplibre(el, fleet, zoom, () => (state.ready = true), (why) => (state.error = why))
} else {
  startLeaflet(el, fleet, zoom)
  requestAnimationFrame(() => (state.ready = true))
}

/** Which WebGL implementation the browser offers (SwiftShader when there is no GPU), or null. */
function webglRenderer(): string | null {
  const gl = document.createElement('canvas').getContext('webgl2') ?? document.createElement('canvas').getContext('webgl')
  if (!gl) return null
  const ext = gl.getExtension('WEBGL_debug_renderer_info')
  return String(ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER))
}
