import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

/**
 * `npm run test:external`: the slow checks that need test/external (Node 22, the MCP conformance suite,
 * the Inspector, the MCPB CLI, the agent client libraries) and a built dist/. `.ci/run` runs them after
 * `npm test`.
 */
export default defineConfig({
  test: {
    root: join(import.meta.dirname, '..', '..'),
    include: ['test/external/checks/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    globalSetup: ['test/global-setup.ts'],
    setupFiles: ['test/setup/loopback-only.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
