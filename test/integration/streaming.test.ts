import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDashScope } from '../../dev/fake-dashscope/server.js';
import { StreamedCompletion } from '../../src/dashscope/parse-sync.js';
import { BadRequestError, MalformedResponseError } from '../../src/domain/errors.js';
import { fixture, tempDir, testConfig } from '../helpers/env.js';
import { makeService } from '../helpers/service.js';

const fake = new FakeDashScope();
const home = tempDir();
beforeAll(() => fake.start());
afterAll(() => fake.stop());

const setup = () => makeService(testConfig(fake, home));
const LONG_TEXT =
  'The quarterly numbers are in. Revenue grew by twelve percent, costs stayed flat, and the team shipped four releases.';

describe('streamed partials for qwen3-asr-flash', () => {
  it('gives the same result streamed and not streamed, with growing partial text in between', async () => {
    const { service } = setup();
    const url = fake.addMedia('numbers.mp3', { durationS: 30, text: LONG_TEXT });
    fake.requests.length = 0;
    const plain = await service.transcribe({ audio: url, language_hints: ['en'] });
    const partials: string[] = [];
    const streamed = await service.transcribe(
      { audio: url, language_hints: ['en'] },
      { onPartial: (t) => partials.push(t) },
    );
    const [plainBody, streamBody] = fake.requests.map((r) => r.json as Record<string, unknown>);
    expect(plainBody!.stream).toBe(false);
    expect(plainBody!.stream_options).toBeUndefined();
    expect(streamBody).toMatchObject({ stream: true, stream_options: { include_usage: true } });

    for (const key of ['text', 'language', 'emotion', 'model', 'status', 'task_id'] as const)
      expect(streamed[key]).toEqual(plain[key]);
    expect(streamed.text).toBe(LONG_TEXT);
    expect((streamed.usage as { seconds: number }).seconds).toBe(30);
    // raw is the assembled chat.completion, shaped like the plain answer: the same keys down to the message.
    type Completion = { object: string; choices: { message: Record<string, unknown> }[] };
    const raw = streamed.raw as Completion;
    const plainRaw = plain.raw as Completion;
    expect(raw.object).toBe('chat.completion');
    expect(Object.keys(raw).sort()).toEqual(Object.keys(plainRaw).sort());
    expect(raw.choices[0]!.message).toEqual(plainRaw.choices[0]!.message);
    expect(JSON.stringify(raw).length).toBeLessThan(2 * JSON.stringify(plainRaw).length);

    expect(partials.length).toBe(LONG_TEXT.split(' ').length);
    for (let i = 1; i < partials.length; i++) expect(partials[i]!.startsWith(partials[i - 1]!)).toBe(true);
    expect(partials.at(-1)!.trim()).toBe(LONG_TEXT);
  });

  it('streams local files too (data URI body), with the same text as the plain call', async () => {
    const { service } = setup();
    const audio = fixture('speech-16k-mono.wav');
    const partials: string[] = [];
    const streamed = await service.transcribe({ audio }, { onPartial: (t) => partials.push(t) });
    const plain = await service.transcribe({ audio });
    expect(streamed.text).toBe(plain.text);
    expect(partials.length).toBeGreaterThan(3);
  });

  it('asks once more without streaming when the stream breaks off mid-way', async () => {
    const { service, logger } = setup();
    const url = fake.addMedia('cut.mp3', { durationS: 20, text: LONG_TEXT });
    fake.requests.length = 0;
    fake.inject('compatible', { kind: 'cut-stream', afterChunks: 3 });
    const partials: string[] = [];
    const result = await service.transcribe({ audio: url }, { onPartial: (t) => partials.push(t) });
    expect(result.text).toBe(LONG_TEXT);
    expect(partials).toHaveLength(3);
    const bodies = fake.requests.map((r) => (r.json as { stream: boolean }).stream);
    expect(bodies).toEqual([true, false]);
    expect(logger.lines.join('\n')).toMatch(/streamed transcription broke off/);
  });

  it('does not stream on the native endpoint (qwen-audio-asr) but still answers', async () => {
    const { service } = setup();
    const partials: string[] = [];
    fake.requests.length = 0;
    const result = await service.transcribe(
      { audio: fixture('speech.mp3'), model: 'qwen-audio-asr' },
      { onPartial: (t) => partials.push(t) },
    );
    expect(result.text.length).toBeGreaterThan(0);
    expect(partials).toEqual([]);
    expect(fake.requests[0]!.route).toBe('native-sync');
  });

  it('errors before the stream begins keep their type (bad URL → bad request)', async () => {
    const { service } = setup();
    const err = await service
      .transcribe({ audio: `${fake.url}/media/nothing-here.mp3` }, { onPartial: () => {} })
      .catch((e) => e);
    expect(err).toBeInstanceOf(BadRequestError);
  });
});

describe('StreamedCompletion', () => {
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
    JSON.stringify({ choices: [{ delta, finish_reason: finish, index: 0 }] });

  it('joins deltas, keeps the first annotations and the last usage', () => {
    const s = new StreamedCompletion();
    expect(
      s.push(
        chunk({ content: 'Hel', annotations: [{ type: 'audio_info', language: 'en', emotion: 'happy' }] }),
      ),
    ).toBe('Hel');
    expect(s.push(chunk({ content: 'lo' }))).toBe('Hello');
    expect(s.push(chunk({}, 'stop'))).toBeUndefined();
    s.push(JSON.stringify({ choices: [], usage: { seconds: 2 } }));
    s.push('[DONE]');
    expect(s.result()).toEqual({
      text: 'Hello',
      language: 'en',
      emotion: 'happy',
      usage: { seconds: 2 },
      seconds: 2,
    });
  });

  it('refuses a stream that ended early or carries a non-JSON chunk', () => {
    const early = new StreamedCompletion();
    early.push(chunk({ content: 'Half a sen' }));
    expect(() => early.result()).toThrow(MalformedResponseError);
    expect(() => new StreamedCompletion().push('{"choices": [')).toThrow(MalformedResponseError);
  });
});
