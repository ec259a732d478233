import { defineConfig } from 'vitest/config';

/** Settings every project shares. */
const shared = {
  testTimeout: 60_000,
  hookTimeout: 60_000,
};

export default defineConfig({
  test: {
    // Integration files use their own key prefixes and schemas, so files may run in parallel;
    // the machine has two cores, so keep the pool small to avoid starving spawned servers.
    maxWorkers: 2,
    minWorkers: 1,
    // unit: pure, needs no service; integration: Redis, PostgreSQL, MariaDB (REDIS_URL, PG_URL,
    // MYSQL_URL); e2e: the built CLI (npm run build first) against those services.
    // `vitest run --project unit` (npm run test:unit) runs one of them.
    projects: [
      { extends: true, test: { ...shared, name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { extends: true, test: { ...shared, name: 'integration', include: ['test/integration/**/*.test.ts'] } },
      { extends: true, test: { ...shared, name: 'e2e', include: ['test/e2e/**/*.test.ts'] } },
    ],
  },
});
