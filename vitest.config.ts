import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration files use their own key prefixes and schemas, so files may run in parallel;
    // the machine has two cores, so keep the pool small to avoid starving spawned servers.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
