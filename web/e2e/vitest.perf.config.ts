import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

// The 500-vehicle load check: a measurement, kept out of the test run.
export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    include: ['e2e/**/*.load.test.ts'],
    environment: 'node',
    testTimeout: 300_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
})
