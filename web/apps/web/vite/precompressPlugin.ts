import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'
import type { Plugin } from 'vite'

/**
 * Build outputs worth compressing: text formats (scripts, styles, pages, data, vector images) and the
 * offline basemap's packs (JSON of base64 varints: gzip 9 saves ~43 %, brotli 11 ~45 %, measured on a
 * sample of 219 packs; a city view's one or two packs are most of a first load's data).
 */
export const COMPRESSIBLE = /\.(?:js|mjs|css|html|json|geojson|topojson|svg|txt|xml|webmanifest|wasm|pack)$/
/** Below this a file fits in one packet anyway, and headers cost more than the bytes saved. */
export const MIN_BYTES = 1024

export interface Variants {
  gzip?: Buffer
  br?: Buffer
}

/**
 * The gzip (level 9) and brotli (quality 11) variants of `bytes` worth sending: each only if it is smaller
 * than the original. Pure, so the rules are unit-tested without a build.
 */
export function compressVariants(bytes: Buffer): Variants {
  if (bytes.length < MIN_BYTES) return {}
  const out: Variants = {}
  const gzip = gzipSync(bytes, { level: 9 })
  if (gzip.length < bytes.length) out.gzip = gzip
  const br = brotliCompressSync(bytes, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 11,
      [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
    },
  })
  if (br.length < bytes.length) out.br = br
  return out
}

export interface PrecompressSummary {
  files: number
  bytes: number
  gzipBytes: number
  brBytes: number
}

/**
 * Writes `x.gz` and `x.br` beside every compressible file under `dir` (fleetd serves them by
 * Accept-Encoding, src/net/static_files.hpp). Brotli at quality 11 is slow (~1 MB/s), so results are kept
 * in `cacheDir` by content hash: a rebuild recompresses only what changed (the basemap's tiles rarely do).
 */
export function precompressDir(dir: string, cacheDir?: string): PrecompressSummary {
  const summary: PrecompressSummary = { files: 0, bytes: 0, gzipBytes: 0, brBytes: 0 }
  for (const file of listFiles(dir)) {
    if (!COMPRESSIBLE.test(file)) continue
    const bytes = readFileSync(file)
    const variants = cached(bytes, cacheDir)
    summary.files++
    summary.bytes += bytes.length
    for (const coding of ['gzip', 'br'] as const) {
      const variant = variants[coding]
      if (!variant) continue
      writeFileSync(`${file}.${coding === 'gzip' ? 'gz' : 'br'}`, variant)
      summary[coding === 'gzip' ? 'gzipBytes' : 'brBytes'] += variant.length
    }
  }
  return summary
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
}

// Cache entries: <sha256>.gz / .br, plus <sha256>.none for "no variant is smaller".
function cached(bytes: Buffer, cacheDir: string | undefined): Variants {
  if (!cacheDir) return compressVariants(bytes)
  const key = join(cacheDir, createHash('sha256').update(bytes).digest('hex'))
  if (existsSync(`${key}.done`)) {
    const out: Variants = {}
    if (existsSync(`${key}.gz`)) out.gzip = readFileSync(`${key}.gz`)
    if (existsSync(`${key}.br`)) out.br = readFileSync(`${key}.br`)
    return out
  }
  const out = compressVariants(bytes)
  mkdirSync(cacheDir, { recursive: true })
  // Each file lands whole (write, rename); `.done` last, so an interrupted build never leaves half an entry.
  const put = (name: string, data: Buffer) => {
    writeFileSync(`${name}.tmp-${process.pid}`, data)
    renameSync(`${name}.tmp-${process.pid}`, name)
  }
  if (out.gzip) put(`${key}.gz`, out.gzip)
  if (out.br) put(`${key}.br`, out.br)
  put(`${key}.done`, Buffer.alloc(0))
  return out
}

const appDir = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/**
 * Vite plugin: after every other plugin has written its files (closeBundle; the basemap's tiles too),
 * precompresses the build output. FLEET_PRECOMPRESS=off skips it.
 */
export function precompressPlugin(): Plugin {
  let outDir = ''
  let log: (msg: string) => void = () => {}
  let enabled = process.env.FLEET_PRECOMPRESS !== 'off'
  return {
    name: 'fleet-precompress',
    apply: 'build',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir)
      log = (msg) => config.logger.info(msg)
      if (config.build.ssr) enabled = false
    },
    closeBundle: {
      order: 'post',
      sequential: true,
      handler() {
        if (!enabled) return
        const started = Date.now()
        const s = precompressDir(outDir, join(appDir, 'node_modules', '.cache', 'fleet-precompress'))
        const kb = (n: number) => `${(n / 1024).toFixed(0)} KB`
        log(
          `precompressed ${s.files} files (${kb(s.bytes)}): gzip ${kb(s.gzipBytes)}, br ${kb(s.brBytes)} ` +
            `in ${((Date.now() - started) / 1000).toFixed(1)} s`,
        )
      },
    },
  }
}
