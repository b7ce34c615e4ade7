/**
 * The API key never leaves: every scenario of the suite (sync, async, upload, status, resources, the
 * command line, auth failures, errors whose bodies echo the key or the Authorization header) runs with
 * a recognizable key, and then everything the server produced is scanned for it: tool results, errors,
 * stdout, stderr at debug level, every saved transcript and every task-store record.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FakeDashScope } from '../../dev/fake-dashscope/server.js';
import { fixture, tempDir } from '../helpers/env.js';
import { connect, SERVER_ENTRY } from '../helpers/mcp.js';

// Hyphenated so it can never be mistaken for a real key, yet unique enough to find anywhere.
const KEY = 'sk-canary-7f3a9c2e-5b1d4f6a-8c0e2b4d';
const fake = new FakeDashScope({ apiKey: KEY, runMs: 20 });
const home = tempDir();
const out = join(home, 'out');
beforeAll(() => fake.start());
afterAll(() => fake.stop());

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

it('no result, error, log line, saved file or task record contains the key', async () => {
  const env = fake.env({
    HOME: home,
    OUTPUT_DIR: out,
    ASR_LOG_LEVEL: 'debug',
    ASR_POLL_INTERVAL_MS: '20',
    ASR_POLL_MAX_INTERVAL_MS: '50',
    ASR_MAX_RETRIES: '1',
  });
  expect(env.DASHSCOPE_API_KEY).toBe(KEY);
  const session = await connect(env);
  const seen: string[] = [];
  const call = async (name: string, args: Record<string, unknown>) => {
    const result = await session.client.callTool({ name, arguments: args });
    seen.push(JSON.stringify(result));
    return result as { structuredContent?: { task_id?: string } };
  };
  const url = fake.addMedia('talk.mp3', { durationS: 30, text: 'Secret-free transcript.' });

  await call('asr_transcribe', { audio: fixture('speech-16k-mono.wav') });
  await call('asr_transcribe', { audio: url });
  await call('asr_transcribe', { audio: fixture('speech.mp3'), model: 'qwen3-asr-flash-filetrans' });
  await call('asr_transcribe', { audio: url, model: 'fun-asr', diarization_enabled: true });
  const pending = await call('asr_transcribe', { audio: url, async: true, wait: false });
  await call('asr_task_status', { task_id: pending.structuredContent!.task_id!, wait: true });
  // Errors whose bodies echo the key, raw and as a header, on each kind of endpoint.
  const echo = { code: 'InvalidParameter', message: `bad request: Authorization: Bearer ${KEY}; key=${KEY}` };
  fake.inject('compatible', { kind: 'status', status: 400, body: echo });
  await call('asr_transcribe', { audio: url });
  fake.inject('submit', { kind: 'status', status: 500, body: echo });
  await call('asr_transcribe', { audio: url, model: 'qwen3-asr-flash-filetrans' });
  fake.inject('task', { kind: 'status', status: 403, body: echo }, 10);
  await call('asr_task_status', { task_id: pending.structuredContent!.task_id! });
  fake.clearFaults();
  fake.inject('policy', { kind: 'status', status: 400, body: echo });
  await call('asr_transcribe', { audio: fixture('speech.mp3'), model: 'qwen3-asr-flash-filetrans' });
  const resources = await session.client.listResources();
  for (const r of resources.resources.slice(0, 3))
    seen.push(JSON.stringify(await session.client.readResource({ uri: r.uri })));
  await session.close();
  seen.push(session.stderr());

  // A wrong key of the same shape: the 401 error must not quote it either.
  const wrong = `${KEY.slice(0, -4)}ffff`;
  const other = await connect({ ...env, DASHSCOPE_API_KEY: wrong });
  const denied = await other.client.callTool({ name: 'asr_transcribe', arguments: { audio: url } });
  expect(JSON.stringify(denied)).toMatch(/rejected the API key/);
  seen.push(JSON.stringify(denied));
  await other.close();
  seen.push(other.stderr());

  // The command line, including --print-response and an echoed error.
  fake.inject('compatible', { kind: 'status', status: 400, body: echo });
  for (const args of [
    ['transcribe', url, '--print-response', '-f', 'json'],
    ['transcribe', url],
    ['transcribe', fixture('speech.mp3'), '--async', '--wait', '--print-response'],
  ]) {
    // Asynchronous on purpose: the fake runs in this process and must keep answering meanwhile.
    const r = await promisify(execFile)(process.execPath, [SERVER_ENTRY, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
    }).catch((e: { stdout: string; stderr: string }) => e);
    seen.push(r.stdout, r.stderr);
  }

  const files = filesUnder(out);
  expect(files.some((f) => f.includes(`${join('ai-audio-asr', 'tasks')}`))).toBe(true);
  expect(files.filter((f) => f.endsWith('.json')).length).toBeGreaterThan(5);
  for (const f of files) seen.push(readFileSync(f, 'utf8'));

  const everything = seen.join('\n');
  expect(everything.length).toBeGreaterThan(10_000);
  // The echoed errors did reach the user, redacted.
  expect(everything).toMatch(/Bearer \*\*\*/);
  for (const needle of [KEY, KEY.slice(3), '7f3a9c2e-5b1d4f6a', wrong]) {
    const at = everything.indexOf(needle);
    if (at >= 0) process.stderr.write(`LEAK: ${everything.slice(Math.max(0, at - 300), at + 300)}\n`);
    expect(everything.includes(needle), `found ${needle}`).toBe(false);
  }
});
