import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

// The README's screenshots (e2e/screenshots.shots.test.ts): a script that writes docs/, kept out of the
// e2e and perf runs.
export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    include: ['e2e/**/*.shots.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
})
