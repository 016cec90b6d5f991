import { defineConfig } from 'vitest/config';

// Every test starts real `pre` processes; run files one at a time so a loaded 2-core machine
// does not starve heartbeats and timers.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['helpers/setup.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
