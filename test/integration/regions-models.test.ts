/**
 * #14 against the fake: the Qwen-Audio 3.x / Fun-ASR-Flash models, masking, region rules planned
 * before any byte is sent, workspace and User-Agent headers, and the upload's form fields.
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDashScope } from '../../dev/fake-dashscope/server.js';
import { InputError, UploadError } from '../../src/domain/errors.js';
import { VERSION } from '../../src/util/version.js';
import { fixture, tempDir, testConfig } from '../helpers/env.js';
import { makeService } from '../helpers/service.js';

const home = tempDir();
const beijing = new FakeDashScope({ runMs: 20 });
const singapore = new FakeDashScope({ runMs: 20, region: 'ap-southeast-1', temporaryUpload: false });
const virginia = new FakeDashScope({ runMs: 20, region: 'us-east-1' });
beforeAll(async () => {
  await Promise.all([beijing.start(), singapore.start(), virginia.start()]);
});
afterAll(async () => {
  await Promise.all([beijing.stop(), singapore.stop(), virginia.stop()]);
});

const last = (fake: FakeDashScope, route: string) => fake.requests.filter((r) => r.route === route).at(-1)!;
// biome-ignore lint/suspicious/noExplicitAny: a test reads the recorded JSON freely
const body = (fake: FakeDashScope, route: string) => last(fake, route).json as Record<string, any>;

describe('Qwen-Audio 3.x and Fun-ASR-Flash, sync', () => {
  it('sends input_audio, format, language_hints and SSE disable; reads text, sentences and words', async () => {
    const { service } = makeService(testConfig(beijing, home));
    const url = beijing.addMedia('hello.mp3', {
      durationS: 4,
      text: 'Hello from the fake. Second sentence.',
    });
    const result = await service.transcribe({
      audio: url,
      model: 'qwen-audio-3.1-asr-flash',
      language_hints: ['en'],
      context: 'Alibaba, Qwen',
      timestamp_granularities: ['word'],
    });
    const req = last(beijing, 'native-sync');
    expect(req.headers['x-dashscope-sse']).toBe('disable');
    expect(req.json).toEqual({
      model: 'qwen-audio-3.1-asr-flash',
      input: {
        messages: [
          { role: 'user', content: [{ type: 'input_text', text: 'Alibaba, Qwen' }] },
          { role: 'user', content: [{ type: 'input_audio', input_audio: { data: url } }] },
        ],
      },
      parameters: { format: 'mp3', language_hints: ['en'] },
    });
    expect(result.model).toBe('qwen-audio-3.1-asr-flash');
    expect(result.text).toBe('Hello from the fake. Second sentence.');
    expect(result.sentences?.[0]?.end_ms).toBe(4000);
    expect(result.sentences?.[0]?.words?.[0]).toMatchObject({ text: 'Hello', begin_ms: 0 });
    expect(result.usage).toEqual({ duration: 4 });
    expect(result.cost_estimate).toBeUndefined();
  });

  it('sends a local file as a data URI with the sniffed format and sample_rate as a string', async () => {
    const { service } = makeService(testConfig(beijing, home));
    const result = await service.transcribe({
      audio: fixture('speech-16k-mono.wav'),
      model: 'fun-asr-flash-2026-06-15',
      sample_rate: 16000,
      language_hints: ['en', 'zh'],
    });
    const sent = body(beijing, 'native-sync');
    expect(sent.input.messages.at(-1).content[0].input_audio.data).toMatch(/^data:audio\/wav;base64,/);
    expect(sent.parameters).toEqual({ format: 'wav', sample_rate: '16000', language_hints: ['en'] });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.warnings.join('\n')).toMatch(/only the first language hint/);
  });

  it('reads sample_rate from the file header when not given', async () => {
    const { service } = makeService(testConfig(beijing, home));
    await service.transcribe({ audio: fixture('speech.mp3'), model: 'qwen-audio-3.0-asr-flash' });
    expect(body(beijing, 'native-sync').parameters).toEqual({ format: 'mp3', sample_rate: '16000' });
    const given = await service.transcribe({
      audio: fixture('speech.flac'),
      model: 'qwen-audio-3.0-asr-flash',
      sample_rate: 8000,
    });
    expect(body(beijing, 'native-sync').parameters).toEqual({ format: 'flac', sample_rate: '8000' });
    expect(given.warnings.join('\n')).toMatch(
      /sample_rate 8000 was sent as given, though the file's header says 16000/,
    );
  });

  it('refuses the UNCONFIRMED sync speaker labels before sending anything', async () => {
    const { service } = makeService(testConfig(beijing, home));
    const before = beijing.requests.length;
    const err = await service
      .transcribe({
        audio: 'https://x.test/a.mp3',
        model: 'qwen-audio-3.1-asr-flash',
        diarization_enabled: true,
      })
      .catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toMatch(/UNCONFIRMED/);
    expect(beijing.requests.length).toBe(before);
  });
});

describe('Qwen-Audio 3.x filetrans', () => {
  it('submits one URL in file_urls, parameters with channel_id, context in input; speaker labels and a cost', async () => {
    const { service } = makeService(testConfig(beijing, home));
    const url = beijing.addMedia('meeting.wav', { durationS: 100, text: 'Hello all. Thanks. Let us begin.' });
    const result = await service.transcribe({
      audio: url,
      model: 'qwen-audio-3.0-asr-flash-filetrans',
      speaker_count: 2,
      context: 'Budget meeting',
    });
    expect(body(beijing, 'submit')).toEqual({
      model: 'qwen-audio-3.0-asr-flash-filetrans',
      input: {
        file_urls: [url],
        context: [{ role: 'user', content: [{ type: 'input_text', text: 'Budget meeting' }] }],
      },
      parameters: { channel_id: [0], diarization_enabled: true, speaker_count: 2 },
    });
    expect(result.speakers).toBe(2);
    expect(result.text).toMatch(/^\[speaker 0\] Hello all\./);
    expect(result.usage).toEqual({ duration: 100 });
    expect(result.cost_estimate).toEqual({
      usd: 0.0032,
      basis: 'per_second',
      price_table_date: '2026-11-25',
    });
  });

  it('3.1 filetrans gives no cost estimate when the service reports no tokens', async () => {
    const { service } = makeService(testConfig(beijing, home));
    const url = beijing.addMedia('short.wav', { durationS: 10 });
    const result = await service.transcribe({ audio: url, model: 'qwen-audio-3.1-asr-flash-filetrans' });
    expect(result.status).toBe('SUCCEEDED');
    expect(result).not.toHaveProperty('cost_estimate');
  });

  it('masks sensitive words by default; mask_sensitive_words: false turns that off', async () => {
    const { service } = makeService(testConfig(beijing, home));
    const url = beijing.addMedia('secret.wav', { durationS: 5, text: 'The secret word is here.' });
    const masked = await service.transcribe({ audio: url, model: 'fun-asr' });
    expect(masked.text).toBe('The *** word is here.');
    const plain = await service.transcribe({
      audio: url,
      model: 'qwen-audio-3.1-asr-flash-filetrans',
      mask_sensitive_words: false,
    });
    expect(body(beijing, 'submit').parameters.special_word_filter).toEqual({ system_reserved_filter: false });
    expect(plain.text).toBe('The secret word is here.');
  });
});

describe('region rules, planned before any byte is sent', () => {
  it('us-east-1: the default model is qwen3-asr-flash-us on the native endpoint', async () => {
    const { service } = makeService(testConfig(virginia, home, { DASHSCOPE_REGION: 'us-east-1' }));
    const result = await service.transcribe({ audio: fixture('speech-16k-mono.wav') });
    expect(result.model).toBe('qwen3-asr-flash-us');
    expect(virginia.count('native-sync')).toBe(1);
    expect(virginia.count('compatible')).toBe(0);
  });

  it('us-east-1: a plain name maps to -us with a warning', async () => {
    const { service } = makeService(testConfig(virginia, home, { DASHSCOPE_REGION: 'us-east-1' }));
    const url = virginia.addMedia('a.mp3', { durationS: 3 });
    const result = await service.transcribe({ audio: url, model: 'qwen3-asr-flash' });
    expect(result.model).toBe('qwen3-asr-flash-us');
    expect(result.warnings.join('\n')).toMatch(/us-east-1 names this model qwen3-asr-flash-us/);
  });

  it('us-east-1: timestamps, speaker labels and long files are refused with nothing sent', async () => {
    const { service } = makeService(testConfig(virginia, home, { DASHSCOPE_REGION: 'us-east-1' }));
    const before = virginia.requests.length;
    for (const extra of [{ timestamp_granularities: ['sentence' as const] }, { diarization_enabled: true }]) {
      const err = await service
        .transcribe({ audio: fixture('speech-16k-mono.wav'), ...extra })
        .catch((e) => e);
      expect(err).toBeInstanceOf(InputError);
      expect(err.message).toMatch(
        /needs an async model, and region us-east-1 offers only the sync model qwen3-asr-flash-us/,
      );
    }
    const long = await service.transcribe({ audio: fixture('long-6min-cbr.mp3') }).catch((e) => e);
    expect(long).toBeInstanceOf(InputError);
    expect(virginia.requests.length).toBe(before);
  });

  it('a local file for an async model where no upload is possible is refused with the ways out', async () => {
    const { service } = makeService(
      testConfig(virginia, home, {
        DASHSCOPE_REGION: 'us-east-1',
        DASHSCOPE_COMPATIBLE_BASE_URL: virginia.compatibleBase,
      }),
    );
    // With an explicit compatible base the US sync model may use it; the fake has no compatible mode there.
    const err = await service
      .transcribe({ audio: fixture('speech-16k-mono.wav'), model: 'qwen3-asr-flash-filetrans' })
      .catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toMatch(/not offered in region us-east-1/);
  });

  it('ap-southeast-1: a refused upload policy becomes a clear message', async () => {
    const { service } = makeService(testConfig(singapore, home, { DASHSCOPE_REGION: 'ap-southeast-1' }));
    const err = await service
      .transcribe({ audio: fixture('speech-16k-mono.wav'), model: 'qwen3-asr-flash-filetrans' })
      .catch((e) => e);
    expect(err).toBeInstanceOf(UploadError);
    expect(err.message).toMatch(/temporary upload is refused in ap-southeast-1/);
    expect(err.hint).toMatch(/ASR_BUCKET/);
    expect(singapore.count('upload')).toBe(0);
    expect(singapore.count('submit')).toBe(0);
  });

  it('ap-southeast-1: a refused oss:// URL becomes a clear message', async () => {
    const sg = new FakeDashScope({ runMs: 10, region: 'ap-southeast-1' });
    await sg.start();
    try {
      const { service } = makeService(testConfig(sg, home, { DASHSCOPE_REGION: 'ap-southeast-1' }));
      sg.inject('submit', {
        kind: 'status',
        status: 400,
        body: {
          code: 'InvalidParameter',
          message: 'The provided URL does not appear to be valid.',
          request_id: 'r1',
        },
      });
      const err = await service
        .transcribe({ audio: fixture('speech-16k-mono.wav'), model: 'qwen3-asr-flash-filetrans' })
        .catch((e) => e);
      expect(sg.count('upload')).toBe(1);
      expect(err.message).toMatch(/ap-southeast-1 refused the temporary upload's oss:\/\/ URL/);
      expect(err.hint).toMatch(/ASR_BUCKET/);
    } finally {
      await sg.stop();
    }
  });

  it('ap-southeast-1: paraformer is refused up front (Beijing only)', async () => {
    const { service } = makeService(testConfig(singapore, home, { DASHSCOPE_REGION: 'ap-southeast-1' }));
    const err = await service
      .transcribe({ audio: 'https://x.test/a.mp3', model: 'paraformer-v2' })
      .catch((e) => e);
    expect(err.message).toMatch(/paraformer-v2 is not offered in region ap-southeast-1/);
  });

  it('ASR_DEFAULT_MODEL sets the starting model', async () => {
    const { service } = makeService(
      testConfig(beijing, home, { ASR_DEFAULT_MODEL: 'qwen-audio-3.0-asr-flash' }),
    );
    const url = beijing.addMedia('d.mp3', { durationS: 3 });
    const result = await service.transcribe({ audio: url });
    expect(result.model).toBe('qwen-audio-3.0-asr-flash');
  });
});

describe('wire details', () => {
  it('User-Agent on every request; workspace header on API calls but not on the policy request; upload fields', async () => {
    const fake = new FakeDashScope({ runMs: 10 });
    await fake.start();
    try {
      const { service } = makeService(testConfig(fake, home, { DASHSCOPE_WORKSPACE: 'ws-test1' }));
      const long = join(home, `${'m'.repeat(100)}.wav`);
      copyFileSync(fixture('speech-16k-mono.wav'), long);
      const result = await service.transcribe({ audio: long, model: 'qwen3-asr-flash-filetrans' });
      expect(result.status).toBe('SUCCEEDED');
      const ua = `qwen-asr-mcp/${VERSION} node/${process.versions.node}`;
      for (const r of fake.requests) expect(r.headers['user-agent'], r.route).toBe(ua);
      expect(last(fake, 'policy').headers['x-dashscope-workspace']).toBeUndefined();
      expect(last(fake, 'submit').headers['x-dashscope-workspace']).toBe('ws-test1');
      expect(last(fake, 'task').headers['x-dashscope-workspace']).toBe('ws-test1');
      const [upload] = [...fake.uploads.values()];
      expect(upload!.fields['x-oss-content-type']).toBe('audio/wav');
      expect(upload!.key).toMatch(/\/[0-9a-f-]{36}-m{80}\.wav$/);
    } finally {
      await fake.stop();
    }
  });
});
