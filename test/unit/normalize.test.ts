import { describe, expect, it } from 'vitest';
import { parsePolicy, parseTaskResponse, parseTranscriptionJson } from '../../src/dashscope/parse.js';
import { parseCompatibleResponse, parseNativeSyncResponse } from '../../src/dashscope/parse-sync.js';
import { MalformedResponseError } from '../../src/domain/errors.js';

describe('response parsing', () => {
  it('reads the compatible chat completion (spec example)', () => {
    const parsed = parseCompatibleResponse({
      choices: [
        {
          finish_reason: 'stop',
          index: 0,
          message: {
            annotations: [{ type: 'audio_info', language: 'en', emotion: 'neutral' }],
            content: 'Welcome to Alibaba Cloud.',
            role: 'assistant',
          },
        },
      ],
      usage: { seconds: 1, total_tokens: 54 },
    });
    expect(parsed).toEqual({
      text: 'Welcome to Alibaba Cloud.',
      language: 'en',
      emotion: 'neutral',
      usage: { seconds: 1, total_tokens: 54 },
      seconds: 1,
    });
  });

  it('reads the native answer with content parts', () => {
    const parsed = parseNativeSyncResponse({
      output: {
        choices: [
          { message: { annotations: [{ language: 'zh', emotion: 'happy' }], content: [{ text: '你好' }] } },
        ],
      },
      usage: { seconds: 2 },
      request_id: 'r',
    });
    expect(parsed).toMatchObject({ text: '你好', language: 'zh', emotion: 'happy', seconds: 2 });
  });

  it('says what is missing in a malformed answer', () => {
    expect(() => parseCompatibleResponse({ id: 'x' })).toThrow(MalformedResponseError);
    expect(() => parseCompatibleResponse({ choices: [{}] })).toThrow(/choices\[0\]\.message/);
    expect(() => parseTaskResponse({ output: {} })).toThrow(/task_id/);
    expect(() => parseTaskResponse({ output: { task_id: 't', task_status: 'SUCCEEDED' } })).toThrow(
      /transcription_url/,
    );
    expect(() => parseTranscriptionJson({})).toThrow(/transcripts/);
    expect(() => parsePolicy({ data: { policy: 'p' } })).toThrow(/signature/);
  });

  it('reads task states, failures and SUSPENDED', () => {
    expect(parseTaskResponse({ output: { task_id: 't', task_status: 'RUNNING' } }).status).toBe('RUNNING');
    expect(parseTaskResponse({ output: { task_id: 't', task_status: 'SUSPENDED' } }).status).toBe('PENDING');
    const failed = parseTaskResponse({
      request_id: 'r1',
      output: {
        task_id: 't',
        task_status: 'FAILED',
        code: 'FILE_403_FORBIDDEN',
        message: 'FILE_403_FORBIDDEN',
      },
    });
    expect(failed).toMatchObject({ status: 'FAILED', code: 'FILE_403_FORBIDDEN', requestId: 'r1' });
    const done = parseTaskResponse({
      output: { task_id: 't', task_status: 'SUCCEEDED', result: { transcription_url: 'https://x/y.json' } },
      usage: { seconds: 3 },
    });
    expect(done).toMatchObject({ transcriptionUrl: 'https://x/y.json', usage: { seconds: 3 } });
  });

  it('maps the transcription JSON to sentences and words in ms', () => {
    const t = parseTranscriptionJson({
      transcripts: [
        {
          channel_id: 0,
          text: 'Welcome to Alibaba Cloud.',
          sentences: [
            {
              sentence_id: 0,
              begin_time: 0,
              end_time: 1440,
              language: 'en',
              emotion: 'neutral',
              text: 'Welcome to Alibaba Cloud.',
              words: [{ begin_time: 0, end_time: 160, text: 'Welcome', punctuation: '' }],
            },
          ],
        },
      ],
    });
    expect(t.text).toBe('Welcome to Alibaba Cloud.');
    expect(t.sentences).toEqual([
      {
        begin_ms: 0,
        end_ms: 1440,
        text: 'Welcome to Alibaba Cloud.',
        language: 'en',
        emotion: 'neutral',
        words: [{ begin_ms: 0, end_ms: 160, text: 'Welcome', punctuation: '' }],
      },
    ]);
    expect(t.endMs).toBe(1440);
  });

  it('joins channels and keeps channel_id on their sentences', () => {
    const t = parseTranscriptionJson({
      transcripts: [
        { channel_id: 0, text: 'Left.', sentences: [{ begin_time: 500, end_time: 900, text: 'Left.' }] },
        { channel_id: 1, text: 'Right.', sentences: [{ begin_time: 0, end_time: 400, text: 'Right.' }] },
      ],
    });
    expect(t.text).toBe('[channel 0] Left.\n[channel 1] Right.');
    expect(t.sentences.map((s) => [s.channel_id, s.text])).toEqual([
      [1, 'Right.'],
      [0, 'Left.'],
    ]);
  });
});
