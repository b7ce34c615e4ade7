/** Pure pieces of #14: the upload key, prices, the 3.x option mapping and answer parsing, the region table. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { regionOffers, uploadTargetFor } from '../../src/config/regions.js';
import { mapAudio3FiletransOptions, parseAudio3SyncResponse } from '../../src/dashscope/audio3.js';
import { resolveModel } from '../../src/dashscope/models.js';
import { asyncBody, mapAsyncOptions, mapSyncOptions } from '../../src/dashscope/options.js';
import { estimateCost } from '../../src/dashscope/prices.js';
import { uploadName } from '../../src/dashscope/upload.js';
import { InputError } from '../../src/domain/errors.js';
import type { TranscribeRequest } from '../../src/domain/request.js';

const req = (r: Partial<TranscribeRequest> = {}) => ({ audio: 'x', ...r }) as TranscribeRequest;

describe('upload key', () => {
  it('is <uuid>-<stem cut to 80>.<ext>, the extension always kept', () => {
    const long = `${'a'.repeat(120)}.mp3`;
    const name = uploadName(long);
    expect(name).toMatch(/^[0-9a-f-]{36}-a{80}\.mp3$/);
    expect(uploadName('talk.final.wav')).toMatch(/^[0-9a-f-]{36}-talk\.final\.wav$/);
    expect(uploadName('noext')).toMatch(/^[0-9a-f-]{36}-noext$/);
  });
});

describe('region table', () => {
  it('knows what each region offers', () => {
    expect(regionOffers('cn-beijing', 'paraformer-v2')).toBe(true);
    expect(regionOffers('ap-southeast-1', 'paraformer-v2')).toBe(false);
    expect(regionOffers('ap-southeast-1', 'qwen-audio-3.1-asr-flash-filetrans')).toBe(true);
    expect(regionOffers('us-east-1', 'qwen3-asr-flash-us')).toBe(true);
    expect(regionOffers('us-east-1', 'qwen3-asr-flash-filetrans')).toBe(false);
    expect(regionOffers('cn-beijing', 'fun-asr-flash-2026-06-15')).toBe(true);
  });
  it('chooses the upload target', () => {
    expect(uploadTargetFor({ region: 'cn-beijing' })).toBe('temporary');
    expect(uploadTargetFor({ region: 'ap-southeast-1' })).toBe('temporary');
    expect(uploadTargetFor({ region: 'us-east-1' })).toBe('none');
    expect(uploadTargetFor({ region: 'us-east-1', bucket: { name: 'b' } })).toBe('bucket');
  });
});

describe('workspace hosts and region settings', () => {
  const load = (env: Record<string, string>) =>
    loadConfig({ DASHSCOPE_API_KEY: 'k', ...env }, { home: '/h', cwd: '/h' });
  it('selects the workspace host in Beijing and Singapore', () => {
    const c = load({ DASHSCOPE_WORKSPACE: 'llm-abc123' });
    expect(c.nativeBaseUrl).toBe('https://llm-abc123.cn-beijing.maas.aliyuncs.com/api/v1');
    expect(c.compatibleBaseUrl).toBe('https://llm-abc123.cn-beijing.maas.aliyuncs.com/compatible-mode/v1');
    expect(c.workspace).toBe('llm-abc123');
    const sg = load({ DASHSCOPE_WORKSPACE_ID: 'ws-9', DASHSCOPE_REGION: 'intl' });
    expect(sg.nativeBaseUrl).toBe('https://ws-9.ap-southeast-1.maas.aliyuncs.com/api/v1');
    expect(sg.workspace).toBe('ws-9');
  });
  it('keeps the old host when asked, when a base URL is set, and in the US', () => {
    expect(load({ DASHSCOPE_WORKSPACE: 'ws-9', DASHSCOPE_WORKSPACE_HOST: 'false' }).nativeBaseUrl).toBe(
      'https://dashscope.aliyuncs.com/api/v1',
    );
    expect(
      load({ DASHSCOPE_WORKSPACE: 'ws-9', DASHSCOPE_HTTP_BASE_URL: 'https://example.test/api/v1' })
        .nativeBaseUrl,
    ).toBe('https://example.test/api/v1');
    const us = load({ DASHSCOPE_WORKSPACE: 'ws-9', DASHSCOPE_REGION: 'us-east-1' });
    expect(us.nativeBaseUrl).toBe('https://dashscope-us.aliyuncs.com/api/v1');
    expect(us.workspace).toBe('ws-9');
  });
  it('refuses a workspace id that cannot be a host name', () => {
    expect(() => load({ DASHSCOPE_WORKSPACE: 'ws_9/x' })).toThrow(/cannot be part of a host name/);
  });
  it('has no compatible mode in us-east-1 unless DASHSCOPE_COMPATIBLE_BASE_URL is set', () => {
    expect(load({ DASHSCOPE_REGION: 'us-east-1' }).compatibleBaseUrl).toBeUndefined();
    expect(
      load({ DASHSCOPE_REGION: 'us-east-1', DASHSCOPE_HTTP_BASE_URL: 'https://x.test/api/v1' })
        .compatibleBaseUrl,
    ).toBeUndefined();
    expect(
      load({
        DASHSCOPE_REGION: 'us-east-1',
        DASHSCOPE_COMPATIBLE_BASE_URL: 'https://x.test/compatible-mode/v1',
      }).compatibleBaseUrl,
    ).toBe('https://x.test/compatible-mode/v1');
  });
  it('reads ASR_DEFAULT_MODEL', () => {
    expect(load({ ASR_DEFAULT_MODEL: 'qwen-audio-3.1-asr-flash' }).defaultModel).toBe(
      'qwen-audio-3.1-asr-flash',
    );
    expect(load({}).defaultModel).toBeUndefined();
  });
});

describe('Qwen-Audio 3.x option mapping', () => {
  const sync = resolveModel('qwen-audio-3.1-asr-flash');
  const flash = resolveModel('fun-asr-flash-2026-06-15');
  const async3 = resolveModel('qwen-audio-3.1-asr-flash-filetrans');

  it('sync: format from the container, sample_rate as a string, at most 4 hints, context cut to 400', () => {
    const { options, warnings } = mapSyncOptions(
      req({ sample_rate: 16000, language_hints: ['en', 'zh', 'ja', 'ko', 'de'], context: 'x'.repeat(450) }),
      sync,
      { container: 'wav', mime: 'audio/wav' },
    );
    expect(options.audio3).toEqual({
      parameters: { format: 'wav', sample_rate: '16000', language_hints: ['en', 'zh', 'ja', 'ko'] },
      context: 'x'.repeat(400),
    });
    expect(warnings.join('\n')).toMatch(/at most 4 language hints.*dropped de/);
    expect(warnings.join('\n')).toMatch(/cut to the first 400/);
  });
  it('sync: the format from a URL extension, else wav with a warning', () => {
    expect(
      mapSyncOptions(req(), sync, { url: 'https://x.test/a.MP3?sig=1' }).options.audio3?.parameters.format,
    ).toBe('mp3');
    const guessed = mapSyncOptions(req(), sync, { url: 'https://x.test/stream' });
    expect(guessed.options.audio3?.parameters.format).toBe('wav');
    expect(guessed.warnings.join('\n')).toMatch(/format "wav"/);
  });
  it('fun-asr-flash honours only the first hint', () => {
    const { options, warnings } = mapSyncOptions(req({ language_hints: ['en', 'zh'] }), flash, {
      container: 'mp3',
    });
    expect(options.audio3?.parameters.language_hints).toEqual(['en']);
    expect(warnings.join('\n')).toMatch(/only the first language hint/);
  });
  it('sync speaker labels are UNCONFIRMED: an input error, never sent', () => {
    expect(() => mapSyncOptions(req({ diarization_enabled: true }), sync, {})).toThrow(InputError);
    expect(() => mapSyncOptions(req({ speaker_count: 2 }), sync, {})).toThrow(
      /speaker_diarization_enabled.*UNCONFIRMED/,
    );
  });
  it('filetrans: parameters always, channel_id [0], diarization, masking off, context into input', () => {
    const mapped = mapAudio3FiletransOptions(
      req({
        speaker_count: 3,
        mask_sensitive_words: false,
        context: 'Alibaba, Qwen',
        language_hints: ['en'],
      }),
      async3,
    );
    expect(asyncBody(async3, 'https://x.test/a.mp3', mapped.options)).toEqual({
      model: 'qwen-audio-3.1-asr-flash-filetrans',
      input: {
        file_urls: ['https://x.test/a.mp3'],
        context: [{ role: 'user', content: [{ type: 'input_text', text: 'Alibaba, Qwen' }] }],
      },
      parameters: {
        channel_id: [0],
        language_hints: ['en'],
        diarization_enabled: true,
        speaker_count: 3,
        special_word_filter: { system_reserved_filter: false },
      },
    });
    expect(asyncBody(async3, 'u', mapAudio3FiletransOptions(req(), async3).options)).toEqual({
      model: async3.id,
      input: { file_urls: ['u'] },
      parameters: { channel_id: [0] },
    });
  });
  it('mask_sensitive_words: fun-asr and paraformer send it, qwen3 warns', () => {
    expect(mapAsyncOptions(req({ mask_sensitive_words: false }), resolveModel('fun-asr')).options).toEqual({
      special_word_filter: { system_reserved_filter: false },
    });
    expect(
      mapAsyncOptions(req({ mask_sensitive_words: true }), resolveModel('paraformer-v2')).options,
    ).toEqual({});
    const qwen = mapAsyncOptions(
      req({ mask_sensitive_words: false }),
      resolveModel('qwen3-asr-flash-filetrans'),
    );
    expect(qwen.options).not.toHaveProperty('special_word_filter');
    expect(qwen.warnings.join('\n')).toMatch(/mask_sensitive_words is honoured only by/);
    expect(
      mapSyncOptions(req({ mask_sensitive_words: false }), resolveModel('qwen3-asr-flash')).warnings.join(),
    ).toMatch(/mask_sensitive_words/);
  });
});

describe('Qwen-Audio 3.x sync answers', () => {
  it('reads output.text first, sentences and words in ms, usage.duration', () => {
    const parsed = parseAudio3SyncResponse({
      request_id: 'r',
      output: {
        text: 'Hello world.',
        sentence: {
          begin_time: 0,
          end_time: 900,
          text: 'Hello world',
          words: [{ begin_time: 10, end_time: 400, text: 'Hello', punctuation: '' }],
        },
      },
      usage: { duration: 4 },
    });
    expect(parsed.text).toBe('Hello world.');
    expect(parsed.seconds).toBe(4);
    expect(parsed.sentences).toEqual([
      {
        begin_ms: 0,
        end_ms: 900,
        text: 'Hello world',
        words: [{ begin_ms: 10, end_ms: 400, text: 'Hello', punctuation: '' }],
      },
    ]);
  });
  it('falls back to output.sentence.text, then output.output.sentence.text', () => {
    expect(parseAudio3SyncResponse({ output: { sentence: { text: 'A' } } }).text).toBe('A');
    expect(parseAudio3SyncResponse({ output: { output: { sentence: { text: 'B' } } } }).text).toBe('B');
    expect(() => parseAudio3SyncResponse({ output: {} })).toThrow(/documented shape/);
  });
});

describe('cost estimates', () => {
  it('3.0 filetrans per second, by region', () => {
    expect(estimateCost('qwen-audio-3.0-asr-flash-filetrans', 'cn-beijing', { duration: 1000 })).toEqual({
      usd: 0.032,
      basis: 'per_second',
      price_table_date: '2026-11-25',
    });
    expect(estimateCost('qwen-audio-3.0-asr-flash-filetrans', 'ap-southeast-1', { duration: 100 })?.usd).toBe(
      0.0035,
    );
  });
  it('3.1 filetrans per token, only when tokens were reported', () => {
    expect(
      estimateCost('qwen-audio-3.1-asr-flash-filetrans', 'cn-beijing', { duration: 100 }),
    ).toBeUndefined();
    expect(
      estimateCost('qwen-audio-3.1-asr-flash-filetrans', 'ap-southeast-1', {
        input_tokens: 1_000_000,
        output_tokens: 100_000,
      }),
    ).toEqual({ usd: 0.197, basis: 'per_token', price_table_date: '2026-11-25' });
  });
  it('no estimate for models the page prices in no USD', () => {
    expect(estimateCost('fun-asr', 'cn-beijing', { duration: 100 })).toBeUndefined();
    expect(estimateCost('qwen3-asr-flash-filetrans', 'cn-beijing', { seconds: 100 })).toBeUndefined();
  });
});

describe('CLI flag', () => {
  it('--mask-sensitive-words true|false', async () => {
    const { parseTranscribe } = await import('../../src/cli/args.js');
    const off = parseTranscribe(['a.wav', '--mask-sensitive-words', 'false']);
    expect(off !== 'help' && off.request.mask_sensitive_words).toBe(false);
    const on = parseTranscribe(['a.wav', '--mask-sensitive-words', 'TRUE']);
    expect(on !== 'help' && on.request.mask_sensitive_words).toBe(true);
    const unset = parseTranscribe(['a.wav']);
    expect(unset !== 'help' && 'mask_sensitive_words' in unset.request).toBe(false);
    expect(() => parseTranscribe(['a.wav', '--mask-sensitive-words', 'maybe'])).toThrow(/true or false/);
  });
});

describe('401 hint', () => {
  it('mentions the region and the workspace', async () => {
    const { apiErrorFor } = await import('../../src/dashscope/errors.js');
    const err = apiErrorFor(
      401,
      { code: 'InvalidApiKey', message: 'Invalid API-key provided.' },
      '',
      'r',
      'x',
      'cn-beijing',
    );
    expect(err.hint).toMatch(/region-specific/);
    expect(err.hint).toMatch(/DASHSCOPE_WORKSPACE/);
  });
});
