/** The fake's region rules and the Qwen-Audio 3.x shapes, spoken to over plain HTTP (spec, November 2026). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_API_KEY, FakeDashScope } from '../../dev/fake-dashscope/server.js';

const beijing = new FakeDashScope();
const singapore = new FakeDashScope({ region: 'ap-southeast-1' });
const virginia = new FakeDashScope({ region: 'us-east-1' });
beforeAll(async () => {
  await Promise.all([beijing.start(), singapore.start(), virginia.start()]);
});
afterAll(async () => {
  await Promise.all([beijing.stop(), singapore.stop(), virginia.stop()]);
});

const auth = { authorization: `Bearer ${FAKE_API_KEY}`, 'content-type': 'application/json' };

async function post(url: string, json: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { ...auth, ...headers },
    body: JSON.stringify(json),
  });
  // biome-ignore lint/suspicious/noExplicitAny: a test reads the recorded JSON freely
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

const audio3 = (fake: FakeDashScope, model: string, parameters: Record<string, unknown>, data: string) =>
  post(`${fake.nativeBase}/services/aigc/multimodal-generation/generation`, {
    model,
    input: { messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data } }] }] },
    parameters,
  });

describe('regions', () => {
  it('each region has its own models', async () => {
    const url = beijing.addMedia('a.mp3', { durationS: 2 });
    expect((await audio3(beijing, 'qwen-audio-3.1-asr-flash', { format: 'mp3' }, url)).status).toBe(200);
    const us = await audio3(
      virginia,
      'qwen-audio-3.1-asr-flash',
      { format: 'mp3' },
      virginia.addMedia('a.mp3', { durationS: 2 }),
    );
    expect(us).toMatchObject({
      status: 400,
      body: { code: 'InvalidParameter', message: 'Model not exist.' },
    });
    const submit = await post(
      `${singapore.nativeBase}/services/audio/asr/transcription`,
      { model: 'paraformer-v2', input: { file_urls: [url] }, parameters: {} },
      { 'x-dashscope-async': 'enable' },
    );
    expect(submit.body.message).toBe('Model not exist.');
  });

  it('the upload policy is refused where the temporary upload is not offered', async () => {
    const res = await fetch(`${virginia.nativeBase}/uploads?action=getPolicy&model=qwen3-asr-flash-us`, {
      headers: auth,
    });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: 'NotFound' });
    const ok = await fetch(`${singapore.nativeBase}/uploads?action=getPolicy&model=fun-asr`, {
      headers: auth,
    });
    expect(ok.status).toBe(200);
  });

  it('us-east-1 has no compatible mode', async () => {
    const res = await post(`${virginia.compatibleBase}/chat/completions`, {
      model: 'qwen3-asr-flash-us',
      messages: [],
    });
    expect(res.status).toBe(404);
  });
});

describe('Qwen-Audio 3.x sync shape', () => {
  it('answers output.text, output.sentence with words in ms, and usage.duration', async () => {
    const url = beijing.addMedia('hi.wav', { durationS: 3, text: 'Hi there.' });
    const { status, body } = await audio3(
      beijing,
      'fun-asr-flash-2026-06-15',
      { format: 'wav', sample_rate: '16000' },
      url,
    );
    expect(status).toBe(200);
    expect(body.output.text).toBe('Hi there.');
    expect(body.output.sentence).toMatchObject({ begin_time: 0, end_time: 3000 });
    expect(body.output.sentence.words).toHaveLength(2);
    expect(body.usage).toEqual({ duration: 3 });
    expect(body.output.choices).toBeUndefined();
  });

  it('refuses a numeric sample_rate, a missing format, unknown (or UNCONFIRMED) parameters', async () => {
    const url = beijing.addMedia('x.wav', { durationS: 1 });
    expect(
      (await audio3(beijing, 'qwen-audio-3.0-asr-flash', { format: 'wav', sample_rate: 16000 }, url)).status,
    ).toBe(400);
    expect((await audio3(beijing, 'qwen-audio-3.0-asr-flash', {}, url)).body.message).toMatch(
      /format is required/,
    );
    for (const key of ['speaker_diarization_enabled', 'keep_dialect', 'vocabulary', 'asr_options']) {
      const res = await audio3(beijing, 'qwen-audio-3.1-asr-flash', { format: 'wav', [key]: true }, url);
      expect(res.body.message).toMatch(/Unknown parameters/);
    }
  });

  it('compatible mode refuses the 3.x models', async () => {
    const res = await post(`${beijing.compatibleBase}/chat/completions`, {
      model: 'qwen-audio-3.1-asr-flash',
      messages: [],
    });
    expect(res).toMatchObject({ status: 404, body: { error: { code: 'model_not_supported' } } });
  });
});

describe('Qwen-Audio 3.x filetrans submission', () => {
  const submit = (json: unknown) =>
    post(`${beijing.nativeBase}/services/audio/asr/transcription`, json, { 'x-dashscope-async': 'enable' });

  it('needs parameters and exactly one URL in file_urls', async () => {
    const url = beijing.addMedia('m.wav', { durationS: 3 });
    const model = 'qwen-audio-3.1-asr-flash-filetrans';
    expect((await submit({ model, input: { file_urls: [url] } })).body.message).toMatch(
      /parameters is required/,
    );
    expect((await submit({ model, input: { file_urls: [url, url] }, parameters: {} })).status).toBe(400);
    expect((await submit({ model, input: { file_url: url }, parameters: {} })).status).toBe(400);
    const ok = await submit({
      model,
      input: {
        file_urls: [url],
        context: [{ role: 'user', content: [{ type: 'input_text', text: 'Qwen' }] }],
      },
      parameters: { channel_id: [0], special_word_filter: { system_reserved_filter: false } },
    });
    expect(ok.status).toBe(200);
    expect(ok.body.output.task_status).toBe('PENDING');
  });

  it('refuses a malformed context', async () => {
    const url = beijing.addMedia('m2.wav', { durationS: 3 });
    const res = await submit({
      model: 'qwen-audio-3.0-asr-flash-filetrans',
      input: { file_urls: [url], context: [{ role: 'system', content: [{ type: 'text', text: 'x' }] }] },
      parameters: {},
    });
    expect(res.body.message).toMatch(/context messages are user or assistant/);
  });
});
