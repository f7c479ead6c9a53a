import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

// The comparison page imports the app's own vehicle canvas and the web workspace's packages (vite runs
// from web/: `npx vite build --config ../bench/browser/vite.config.mjs`, see README.md).
const here = dirname(fileURLToPath(import.meta.url))
const web = resolve(here, '../../web/node_modules')
export default {
  root: here,
  logLevel: 'warn',
  resolve: {
    alias: [
      { find: /^leaflet(\/.*)?$/, replacement: `${web}/leaflet$1` },
      { find: /^maplibre-gl(\/.*)?$/, replacement: `${web}/maplibre-gl$1` },
    ],
  },
}
