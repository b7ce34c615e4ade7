/**
 * The bucket's credentials never leave the built server: a local file goes through ASR_BUCKET with a
 * recognizable secret and session token (debug logging on), then a wrong secret fails; tool results,
 * stderr, saved transcripts and task records are scanned for the secret, the token and the presigned
 * link's signature.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FakeDashScope } from '../../dev/fake-dashscope/server.js';
import { fixture, tempDir } from '../helpers/env.js';
import { connect } from '../helpers/mcp.js';

const SECRET = 'bucket-canary-secret-4e7d1a9b3c';
const TOKEN = 'bucket-canary-token-8b2f6e0d5a';
const fake = new FakeDashScope({ runMs: 20, s3SecretAccessKey: SECRET });
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

it('no result, log line, saved file or task record holds the bucket secret, token or link signature', async () => {
  const env = fake.s3Env({
    HOME: home,
    OUTPUT_DIR: out,
    ASR_LOG_LEVEL: 'debug',
    ASR_POLL_INTERVAL_MS: '20',
    ASR_POLL_MAX_INTERVAL_MS: '50',
    AWS_SESSION_TOKEN: TOKEN,
  });
  const seen: string[] = [];
  const session = await connect(env);
  const ok = await session.client.callTool({
    name: 'asr_transcribe',
    arguments: { audio: fixture('speech-16k-mono.wav'), model: 'qwen3-asr-flash-filetrans' },
  });
  expect(JSON.stringify(ok)).toContain('SUCCEEDED');
  seen.push(JSON.stringify(ok));
  await session.close();
  seen.push(session.stderr());

  const submit = fake.requests.filter((r) => r.route === 'submit').at(-1)!;
  const link = new URL((submit.json as { input: { file_url: string } }).input.file_url);
  const signature = link.searchParams.get('X-Amz-Signature')!;
  expect(link.searchParams.get('X-Amz-Security-Token')).toBe(TOKEN);
  expect(fake.s3.deleted.length).toBe(1);

  const wrong = await connect({ ...env, AWS_SECRET_ACCESS_KEY: `${SECRET.slice(0, -4)}ffff` });
  const denied = await wrong.client.callTool({
    name: 'asr_transcribe',
    arguments: { audio: fixture('speech-16k-mono.wav'), model: 'qwen3-asr-flash-filetrans' },
  });
  expect(JSON.stringify(denied)).toMatch(/SignatureDoesNotMatch/);
  expect(JSON.stringify(denied)).toMatch(/AWS_SECRET_ACCESS_KEY/);
  seen.push(JSON.stringify(denied));
  await wrong.close();
  seen.push(wrong.stderr());

  for (const f of filesUnder(out)) seen.push(readFileSync(f, 'utf8'));
  const everything = seen.join('\n');
  for (const needle of [SECRET, `${SECRET.slice(0, -4)}ffff`, TOKEN, signature]) {
    const at = everything.indexOf(needle);
    if (at >= 0) process.stderr.write(`LEAK: ${everything.slice(Math.max(0, at - 300), at + 300)}\n`);
    expect(everything.includes(needle), `found ${needle}`).toBe(false);
  }
});
