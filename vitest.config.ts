import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Unit (pure), integration (in-process against the fake) and end-to-end (the built server spawned);
    // the slow external checks run with `npm run test:external` (test/external/vitest.config.ts).
    include: ['test/{unit,integration,e2e}/**/*.test.ts'],
    exclude: ['test/external/**', '**/node_modules/**'],
    setupFiles: ['test/setup/loopback-only.ts'],
    // Two cores here and in CI: two workers, and generous timeouts for spawned servers.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
