/**
 * The official checks, run on Node 22 from test/external against the built server: the MCP
 * conformance suite's server scenarios that apply to a tools-and-resources server (over `--http`), and
 * the Inspector CLI's strict tool-schema portability check (over stdio).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../helpers/env.js';
import { EXTERNAL, NODE22 } from '../../helpers/external.js';
import { SERVER_ENTRY, stopAll, TOOL_NAMES } from '../../helpers/mcp.js';

const run = promisify(execFile);
const bin = (name: string) => join(EXTERNAL, 'node_modules', '.bin', name);
const home = tempDir();
// A key is set so that start-up is the normal path; nothing here reaches DashScope.
const serverEnv = {
  PATH: process.env.PATH ?? '',
  HOME: home,
  OUTPUT_DIR: join(home, 'out'),
  DASHSCOPE_API_KEY: 'sk-fake-conformance-not-real',
};

// Scenarios for what this server offers; prompts, sampling, elicitation, subscriptions and SSE
// resumption do not apply. wire-schema-valid and tools-name-format are checked inside them.
const SCENARIOS = [
  'server-initialize',
  'ping',
  'tools-list',
  'logging-set-level',
  'resources-list',
  'dns-rebinding-protection',
];

let server: ChildProcess | undefined;
let url = '';

beforeAll(async () => {
  server = spawn(process.execPath, [SERVER_ENTRY, '--http', '--port', '0'], {
    env: serverEnv,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  url = await new Promise<string>((resolve, reject) => {
    let err = '';
    server!.stderr!.on('data', (d) => {
      err += d;
      const m = /listening on (http:\/\/\S+\/mcp)/.exec(err);
      if (m) resolve(m[1]!);
    });
    server!.on('exit', () => reject(new Error(`server exited: ${err}`)));
  });
}, 60_000);
afterAll(async () => {
  if (server) await stopAll([server]);
});

describe('MCP conformance suite 0.2.0-alpha.12 (server scenarios, Node 22)', () => {
  for (const scenario of SCENARIOS) {
    it(scenario, async () => {
      const out = tempDir('qwen-asr-conformance-');
      const { stdout } = await run(
        NODE22,
        [bin('conformance'), 'server', '--url', url, '--scenario', scenario, '-o', out],
        { env: { ...process.env, HOME: home }, timeout: 90_000 },
      );
      const summary = /Passed: (\d+)\/(\d+), (\d+) failed, (\d+) warnings/.exec(stdout);
      expect(summary, stdout).not.toBeNull();
      const [, passed, total, failed, warnings] = summary!.map(Number);
      expect({ failed, warnings }, stdout).toEqual({ failed: 0, warnings: 0 });
      expect(passed).toBe(total);
      // Every scenario that exchanges JSON-RPC messages also validates them against the spec schema.
      if (scenario !== 'dns-rebinding-protection')
        expect(stdout).toMatch(/\[wire-schema-valid\s*\] .*SUCCESS/);
      if (scenario === 'tools-list') expect(stdout).toMatch(/\[tools-name-format\s*\] .*SUCCESS/);
    }, 120_000);
  }
});

describe('MCP Inspector CLI 2.x, strict', () => {
  it('reports no schema portability warnings or errors for our tools', async () => {
    const { stdout, stderr } = await run(
      NODE22,
      [
        bin('mcp-inspector'),
        '--cli',
        '--method',
        'tools/list',
        '--strict',
        ...Object.entries(serverEnv).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
        '--',
        process.execPath,
        SERVER_ENTRY,
      ],
      { env: { ...process.env, HOME: home }, timeout: 90_000 },
    );
    const tools = JSON.parse(stdout).tools as { name: string }[];
    expect(tools.map((t) => t.name).sort()).toEqual(TOOL_NAMES);
    // Our own log lines go to stderr too; anything else there is the inspector reporting a problem.
    const reported = stderr.split('\n').filter((l) => l.trim() && !l.startsWith('[qwen-asr-mcp]'));
    expect(reported).toEqual([]);
  }, 120_000);
});
