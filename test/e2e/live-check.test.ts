/**
 * `npm run test:live`: without a key, one line saying so and exit 0; with the fake standing in for the
 * service (the sample URL pointed at its media), every row runs and passes, so the script cannot rot.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FakeDashScope } from '../../dev/fake-dashscope/server.js';
import { tempDir } from '../helpers/env.js';

const ROOT = join(import.meta.dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const SCRIPT = join(ROOT, 'scripts', 'live-check.ts');

const fake = new FakeDashScope({ runMs: 30 });
beforeAll(() => fake.start());
afterAll(() => fake.stop());

it('skips with one line and exit 0 when DASHSCOPE_API_KEY is not set', () => {
  const env = { ...process.env };
  delete env.DASHSCOPE_API_KEY;
  const run = spawnSync(TSX, [SCRIPT], { env, encoding: 'utf8', timeout: 60_000 });
  expect(run.status).toBe(0);
  expect(run.stdout).toBe('live check skipped: DASHSCOPE_API_KEY is not set\n');
}, 60_000);

it('runs every row against a stand-in and prints the table', async () => {
  const url = fake.addMedia('welcome.mp3', { durationS: 3, text: 'Welcome to Alibaba Cloud.' });
  const env = {
    ...process.env,
    ...fake.env({ LIVE_CHECK_SAMPLE_URL: url, ASR_POLL_INTERVAL_MS: '20', OUTPUT_DIR: tempDir() }),
  };
  delete env.ASR_BUCKET;
  const child = spawn(TSX, [SCRIPT], { env });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  expect(out).toMatch(/status after a restart\s+pass/);
  expect(out).toMatch(/own bucket upload\s+skip.*ASR_BUCKET is not set/);
  expect(out).not.toMatch(/FAIL/);
  expect(code).toBe(0);
}, 60_000);
