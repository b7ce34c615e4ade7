/**
 * The client-compatibility checks (agent frameworks driving the built server), kept out of `npm test`:
 *   npm run build && npx vitest run --config test/external/vitest.config.ts
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: ['test/external/checks/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    globalSetup: ['test/external/checks/global-setup.ts'],
    // Sockets from the test process itself may open to loopback only (the client scripts guard their own).
    setupFiles: ['test/setup/loopback-only.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
