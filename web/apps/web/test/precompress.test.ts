import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import { afterEach, describe, expect, it } from 'vitest'
import { compressVariants, MIN_BYTES, precompressDir } from '../vite/precompressPlugin.ts'

const dirs: string[] = []
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })))
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'precompress-'))
  dirs.push(d)
  return d
}

const text = Buffer.from('export const vehicles = ['.concat('{"lat":52.5,"lon":13.4},'.repeat(200), ']'))

describe('compressVariants', () => {
  it('gives gzip and brotli variants that decode to the original and are smaller', () => {
    const v = compressVariants(text)
    expect(gunzipSync(v.gzip!)).toEqual(text)
    expect(brotliDecompressSync(v.br!)).toEqual(text)
    expect(v.gzip!.length).toBeLessThan(text.length)
    expect(v.br!.length).toBeLessThan(text.length)
  })

  it('skips tiny files and files that do not shrink', () => {
    expect(compressVariants(Buffer.from('x'.repeat(MIN_BYTES - 1)))).toEqual({})
    // Already-compressed bytes do not shrink again.
    expect(compressVariants(randomBytes(8192))).toEqual({})
  })
})

describe('precompressDir', () => {
  it('writes .gz and .br beside compressible outputs only, and reuses its cache', () => {
    const out = tempDir()
    const cache = join(tempDir(), 'cache')
    mkdirSync(join(out, 'assets'))
    mkdirSync(join(out, 'basemap', '8'), { recursive: true })
    writeFileSync(join(out, 'index.html'), text)
    writeFileSync(join(out, 'assets', 'app.js'), text)
    writeFileSync(join(out, 'assets', 'app.js.map'), text) // source maps stay as they are
    writeFileSync(join(out, 'assets', 'logo.png'), text) // images are compressed formats already
    writeFileSync(join(out, 'basemap', '8', '1-2.pack'), text)
    const first = precompressDir(out, cache)
    expect(first.files).toBe(3)
    const names = (d: string) => readdirSync(join(out, d)).sort()
    expect(names('assets')).toEqual(['app.js', 'app.js.br', 'app.js.gz', 'app.js.map', 'logo.png'])
    expect(names('basemap/8')).toEqual(['1-2.pack', '1-2.pack.br', '1-2.pack.gz'])
    expect(brotliDecompressSync(readFileSync(join(out, 'index.html.br')))).toEqual(text)

    // One cache entry per distinct content (all five files hold the same bytes), written whole.
    expect(readdirSync(cache).map((n) => n.slice(64)).sort()).toEqual(['.br', '.done', '.gz'])
    // A second build of the same bytes reads the cache: same variants, no recompression needed.
    rmSync(join(out, 'index.html.br'))
    rmSync(join(out, 'index.html.gz'))
    expect(precompressDir(out, cache)).toEqual(first)
    expect(gunzipSync(readFileSync(join(out, 'index.html.gz')))).toEqual(text)
  })
})
