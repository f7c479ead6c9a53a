import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

// Measurements kept out of the test run: the load check (*.load.test.ts) and the first load on Fast 3G
// (*.perf.test.ts).
export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    include: ['e2e/**/*.load.test.ts', 'e2e/**/*.perf.test.ts'],
    environment: 'node',
    testTimeout: 300_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
})
