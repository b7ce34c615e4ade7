import { describe, expect, it } from 'vitest';
import { resolveModel } from '../../src/dashscope/models.js';
import {
  asyncBody,
  compatibleBody,
  mapFiletransOptions,
  mapSyncOptions,
  nativeSyncBody,
} from '../../src/dashscope/options.js';

const flash = resolveModel('qwen3-asr-flash');
const filetrans = resolveModel('qwen3-asr-flash-filetrans');
const legacy = resolveModel('qwen-audio-asr');

describe('model table', () => {
  it('resolves families, snapshots and regional variants', () => {
    expect(resolveModel(undefined).id).toBe('qwen3-asr-flash');
    expect(resolveModel('qwen3-asr-flash-2026-02-10').family).toBe('qwen3-sync');
    expect(resolveModel('qwen3-asr-flash-us').family).toBe('qwen3-sync');
    expect(resolveModel('qwen3-asr-flash-filetrans-2025-11-17').mode).toBe('async');
    expect(resolveModel('qwen-audio-asr-latest').family).toBe('qwen-audio');
  });

  it('names an unknown model and lists the supported ones', () => {
    expect(() => resolveModel('whisper-1')).toThrow(
      /Unknown model "whisper-1"\. Nothing was sent\. Supported models: qwen3-asr-flash/,
    );
  });

  it('knows which formats go where', () => {
    expect(flash.formats.has('m4a')).toBe(false);
    expect(filetrans.formats.has('m4a')).toBe(true);
    expect(flash.formats.has('aiff')).toBe(true);
    expect(filetrans.formats.has('aiff')).toBe(false);
  });
});

describe('sync option mapping', () => {
  it('sends one language code as asr_options.language and enable_itn false by default', () => {
    const { options, warnings } = mapSyncOptions({ audio: 'x', language_hints: ['EN'] }, flash);
    expect(options).toEqual({ language: 'en', enable_itn: false, context: undefined });
    expect(warnings).toEqual([]);
    expect(compatibleBody(flash, options, 'https://a/b.mp3')).toEqual({
      model: 'qwen3-asr-flash',
      messages: [
        { role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'https://a/b.mp3' } }] },
      ],
      stream: false,
      asr_options: { enable_itn: false, language: 'en' },
    });
  });

  it('with several codes sends none and says so', () => {
    const { options, warnings } = mapSyncOptions({ audio: 'x', language_hints: ['zh', 'en'] }, flash);
    expect(options.language).toBeUndefined();
    expect(warnings.join(' ')).toMatch(/2 codes \(zh, en\).*none was sent/);
  });

  it('puts context first as a system message', () => {
    const { options } = mapSyncOptions({ audio: 'x', context: 'Qwen, DashScope', enable_itn: true }, flash);
    const body = compatibleBody(flash, options, 'u') as {
      messages: { role: string }[];
      asr_options: unknown;
    };
    expect(body.messages[0]).toEqual({
      role: 'system',
      content: [{ type: 'text', text: 'Qwen, DashScope' }],
    });
    expect(body.messages[1]?.role).toBe('user');
    expect(body.asr_options).toEqual({ enable_itn: true });
  });

  it('reports, never sends, what Qwen models do not take', () => {
    const { options, warnings } = mapSyncOptions(
      {
        audio: 'x',
        vocabulary_id: 'v1',
        disfluency_removal_enabled: true,
        sample_rate: 8000,
        channel_id: [1],
      },
      flash,
    );
    expect(JSON.stringify(compatibleBody(flash, options, 'u'))).not.toMatch(
      /vocabulary|disfluency|sample_rate|channel/,
    );
    expect(warnings).toHaveLength(4);
    expect(warnings[0]).toMatch(/vocabulary_id is not accepted by qwen3-asr-flash.*Use `context`/);
  });

  it('qwen-audio-asr goes native without asr_options', () => {
    const { options, warnings } = mapSyncOptions({ audio: 'x', language_hints: ['zh'] }, legacy);
    expect(nativeSyncBody(legacy, options, 'u')).toEqual({
      model: 'qwen-audio-asr',
      input: { messages: [{ role: 'user', content: [{ audio: 'u' }] }] },
    });
    expect(warnings[0]).toMatch(/takes no language option/);
    const flashNative = nativeSyncBody(
      flash,
      mapSyncOptions({ audio: 'x', language_hints: ['ja'] }, flash).options,
      'u',
    );
    expect(flashNative.parameters).toEqual({ asr_options: { enable_itn: false, language: 'ja' } });
  });

  it('warns about an undocumented language code but sends it', () => {
    const { options, warnings } = mapSyncOptions({ audio: 'x', language_hints: ['xx'] }, flash);
    expect(options.language).toBe('xx');
    expect(warnings[0]).toMatch(/"xx" is not among the codes/);
  });
});

describe('filetrans option mapping', () => {
  it('maps language, words, channels; warns about context', () => {
    const { options, warnings } = mapFiletransOptions(
      {
        audio: 'x',
        language_hints: ['en'],
        timestamp_granularities: ['sentence', 'word'],
        channel_id: [0, 1],
        context: 'c',
      },
      filetrans,
    );
    expect(asyncBody(filetrans, 'https://a/b.mp3', options)).toEqual({
      model: 'qwen3-asr-flash-filetrans',
      input: { file_url: 'https://a/b.mp3' },
      parameters: { enable_itn: false, language: 'en', enable_words: true, channel_id: [0, 1] },
    });
    expect(warnings[0]).toMatch(/does not take context/);
  });

  it('sentence timestamps alone need no flag', () => {
    const { options } = mapFiletransOptions({ audio: 'x', timestamp_granularities: ['sentence'] }, filetrans);
    expect(options).toEqual({ enable_itn: false });
  });
});
