/**
 * The fake itself, spoken to over plain HTTP: an injected fault belongs to exactly one request, chosen
 * when that request arrives, and never lingers into the next one. And the fake stays apart from the
 * client it is there to check.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_API_KEY, FakeDashScope } from '../../dev/fake-dashscope/server.js';

const fake = new FakeDashScope();
beforeAll(() => fake.start());
afterAll(() => fake.stop());
afterEach(() => fake.clearFaults());

const TEXT = 'One two three four five six seven eight.';

function completion(base: string, audio: string, extra: Record<string, unknown> = {}) {
  return fetch(`${base}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${FAKE_API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'qwen3-asr-flash',
      messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: audio } }] }],
      ...extra,
    }),
  });
}

/** A streamed call: how many content chunks arrived, and whether the stream reached `[DONE]`. */
async function streamed(base: string, audio: string): Promise<{ chunks: number; done: boolean }> {
  const res = await completion(base, audio, { stream: true });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    for (let r = await reader.read(); !r.done; r = await reader.read()) text += decoder.decode(r.value);
  } catch {
    // The fake dropped the connection mid-answer: what arrived so far is the point.
  }
  const events = text.split('\n\n').filter((e) => e.startsWith('data: '));
  return {
    chunks: events.filter((e) => e.includes('"content"')).length,
    done: events.includes('data: [DONE]'),
  };
}

describe('fault injection is per request', () => {
  it('a cut-stream fault cuts one streamed answer; the next one on the same route is whole', async () => {
    const audio = fake.addMedia('cut-once.mp3', { durationS: 5, text: TEXT });
    fake.inject('compatible', { kind: 'cut-stream', afterChunks: 2 });
    const first = await streamed(fake.compatibleBase, audio);
    const second = await streamed(fake.compatibleBase, audio);
    expect(first).toEqual({ chunks: 2, done: false });
    expect(second).toEqual({ chunks: TEXT.split(' ').length, done: true });
  });

  it('a cut-stream fault met by a request that does not stream is spent, not saved for a later stream', async () => {
    const audio = fake.addMedia('cut-spent.mp3', { durationS: 5, text: TEXT });
    fake.inject('compatible', { kind: 'cut-stream', afterChunks: 1 });
    const plain = await completion(fake.compatibleBase, audio);
    expect(plain.status).toBe(200);
    expect(await plain.json()).toMatchObject({ choices: [{ message: { content: TEXT } }] });
    expect(await streamed(fake.compatibleBase, audio)).toMatchObject({ done: true });
  });

  it('a cut-stream fault met by a refused request is spent too', async () => {
    fake.inject('compatible', { kind: 'cut-stream', afterChunks: 1 });
    const refused = await completion(fake.compatibleBase, 'file:///etc/passwd', { stream: true });
    expect(refused.status).toBe(400);
    const audio = fake.addMedia('cut-refused.mp3', { durationS: 5, text: TEXT });
    expect(await streamed(fake.compatibleBase, audio)).toMatchObject({ done: true });
  });

  it('the fault is chosen on arrival: one injected while a request is in flight is for the next', async () => {
    const slow = await new FakeDashScope({ latencyMs: 300 }).start();
    try {
      const audio = slow.addMedia('a.mp3', { durationS: 5 });
      const inFlight = completion(slow.compatibleBase, audio);
      // Recorded means arrived; it now waits out the latency before it is answered.
      while (slow.count('compatible') === 0) await new Promise((r) => setTimeout(r, 5));
      slow.inject('compatible', { kind: 'status', status: 503, body: { code: 'ModelUnavailable' } });
      expect((await inFlight).status).toBe(200);
      expect((await completion(slow.compatibleBase, audio)).status).toBe(503);
      expect((await completion(slow.compatibleBase, audio)).status).toBe(200);
    } finally {
      await slow.stop();
    }
  });

  it('a fault on one route leaves the other routes alone', async () => {
    fake.inject('submit', { kind: 'status', status: 500 });
    const audio = fake.addMedia('other-route.mp3', { durationS: 5 });
    expect((await completion(fake.compatibleBase, audio)).status).toBe(200);
    expect(fake.count('submit')).toBe(0);
  });
});

describe('independence from the client', () => {
  it('no module of the fake imports from src/', () => {
    const dir = join(import.meta.dirname, '..', '..', 'dev', 'fake-dashscope');
    const modules = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    expect(modules).toContain('server.ts');
    const offenders = modules.filter((f) =>
      /\bfrom\s+['"][^'"]*\/src\/|import\(\s*['"][^'"]*\/src\//.test(readFileSync(join(dir, f), 'utf8')),
    );
    expect(offenders).toEqual([]);
  });
});
