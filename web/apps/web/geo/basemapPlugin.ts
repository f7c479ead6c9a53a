import { createHash } from 'node:crypto'
import { cpSync, createReadStream, existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs'
import { dirname, join, normalize, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Plugin } from 'vite'
import { buildBasemap } from './buildBasemap.ts'
import { resolveSource, SOURCES } from './sources.ts'

const here = dirname(fileURLToPath(import.meta.url))
const appDir = resolve(here, '..')

/** Files whose content decides the output: the build step and the format code it shares with the page. */
const CODE = [
  'geo/buildBasemap.ts',
  'geo/sources.ts',
  'geo/tiler.ts',
  'src/features/map/geo/antimeridian.ts',
  'src/features/map/geo/clip.ts',
  'src/features/map/geo/mercator.ts',
  'src/features/map/geo/simplify.ts',
  'src/features/map/geo/tileAddress.ts',
  'src/features/map/geo/tileCodec.ts',
]

/**
 * Vite plugin: builds the offline basemap's packs (buildBasemap.ts, about a minute) into a cache keyed by
 * the build code and the data packages' versions, so rebuilds of the app cost only a copy; `vite build`
 * copies them to `<outDir>/basemap/`, `vite` (dev) serves them at `/basemap/`. FLEET_BASEMAP=off skips it
 * (the page then draws land colour only).
 */
export function basemapPlugin(): Plugin {
  let outDir = ''
  let enabled = process.env.FLEET_BASEMAP !== 'off'
  // Hashed when the config (and with it this code) is loaded, so an edit during a build cannot pair
  // new sources' hash with old code's output.
  const key = cacheKey()
  return {
    name: 'fleet-basemap',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir)
      if (config.command === 'build' && config.build.ssr) enabled = false
    },
    writeBundle() {
      if (!enabled) return
      cpSync(ensureBuilt(key, (m) => this.info(m)), join(outDir, 'basemap'), { recursive: true })
    },
    configureServer(server) {
      if (!enabled) return
      server.middlewares.use('/basemap/', (req, res, next) => {
        const dir = ensureBuilt(key, (m) => server.config.logger.info(m))
        const file = normalize(join(dir, (req.url ?? '').split('?')[0]!))
        if (!file.startsWith(dir)) return next()
        // A missing pack is a 404, as from fleetd (not Vite's index.html fallback).
        if (!existsSync(file) || !statSync(file).isFile()) {
          res.statusCode = 404
          res.end()
          return
        }
        res.setHeader('Content-Type', 'application/json')
        createReadStream(file).pipe(res)
      })
    },
  }
}

/** Hash of the build code and the data packages' versions: the packs' cache key. */
function cacheKey(): string {
  const hash = createHash('sha256')
  for (const f of CODE) hash.update(f).update(readFileSync(join(appDir, f)))
  for (const spec of Object.values(SOURCES)) {
    const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!
    hash.update(pkg).update(readFileSync(resolveSource(`${pkg}/package.json`)))
  }
  return hash.digest('hex').slice(0, 16)
}

/**
 * The cache directory holding this version's packs, built first if needed (atomically: build, rename;
 * other versions are removed then, they are ~50 MB each).
 */
export function ensureBuilt(key: string, log: (msg: string) => void): string {
  const cacheRoot = join(appDir, 'node_modules', '.cache', 'fleet-basemap')
  const dir = join(cacheRoot, key)
  if (existsSync(dir)) return dir
  const tmp = `${dir}.tmp-${process.pid}`
  rmSync(tmp, { recursive: true, force: true })
  buildBasemap(tmp, log)
  try {
    renameSync(tmp, dir)
  } catch {
    // Another build finished the same version first: use that one.
    rmSync(tmp, { recursive: true, force: true })
  }
  for (const old of readdirSync(cacheRoot)) {
    if (old !== key && !old.includes('.tmp-')) rmSync(join(cacheRoot, old), { recursive: true, force: true })
  }
  return dir
}
