import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'
import { basemapPlugin } from './geo/basemapPlugin.ts'
import { precompressPlugin } from './vite/precompressPlugin.ts'

// fleetd serves the built app at `/` and the API, /ws and /dev on the same origin.
// `npm run dev` proxies those paths to a local fleetd (override with FLEETD_URL).
const target = process.env.FLEETD_URL ?? 'http://127.0.0.1:3000'

export default defineConfig({
  // basemapPlugin: the offline basemap's tiles, built from packaged geography into <outDir>/basemap/.
  // precompressPlugin: x.gz and x.br beside every compressible output, for fleetd to pick by Accept-Encoding.
  plugins: [react(), basemapPlugin(), precompressPlugin()],
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Maps are written (for debugging a production build) but not linked: no sourceMappingURL comment, and
    // fleetd answers *.map with 404 unless run with --serve-source-maps.
    sourcemap: 'hidden',
    chunkSizeWarningLimit: 1024,
  },
  server: {
    host: '127.0.0.1',
    port: 5173,
    proxy: {
      '/api': { target, changeOrigin: true },
      '/dev/': { target, changeOrigin: true },
      '/.well-known': { target, changeOrigin: true },
      '/ws': { target, changeOrigin: true, ws: true },
      '/healthz': { target, changeOrigin: true },
      '/readyz': { target, changeOrigin: true },
      '/metrics': { target, changeOrigin: true },
    },
  },
})
