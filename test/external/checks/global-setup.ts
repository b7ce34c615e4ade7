/**
 * Once before the external checks: make sure test/external is installed (the agent SDKs, the
 * conformance suite, Inspector, MCPB CLI and Node 22),
 * and that a built server exists.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { EXTERNAL, NODE22, SERVER_ENTRY } from './harness.js';

const NEEDED = [
  '@langchain/mcp-adapters',
  '@langchain/openai',
  '@langchain/anthropic',
  '@openai/agents',
  '@ai-sdk/mcp',
  '@ai-sdk/openai',
  'ai',
  '@google/genai',
  '@modelcontextprotocol/sdk',
  '@modelcontextprotocol/conformance',
  '@modelcontextprotocol/inspector',
  '@anthropic-ai/mcpb',
];

export default function setup(): void {
  const ready = NEEDED.every((p) => existsSync(join(EXTERNAL, 'node_modules', p, 'package.json')));
  if (!ready || !existsSync(NODE22)) {
    execFileSync('npm', ['ci', '--no-audit', '--no-fund'], {
      cwd: EXTERNAL,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  if (!existsSync(SERVER_ENTRY)) throw new Error(`${SERVER_ENTRY} is missing: run npm run build first`);
}
