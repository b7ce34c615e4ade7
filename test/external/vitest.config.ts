/**
 * `npm run test:external`: the slow checks that need test/external (Node 22, the MCP conformance suite,
 * the Inspector, the MCPB CLI, the agent client libraries) and a built dist/. `.ci/run` runs them after
 * `npm test`.
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
