import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDashScope } from '../../dev/fake-dashscope/server.js';
import { resolveModel } from '../../src/dashscope/models.js';
import { asyncBody, mapFileTranscriptionOptions } from '../../src/dashscope/options.js';
import { BadRequestError, TaskFailedError } from '../../src/domain/errors.js';
import { fixture, tempDir, testConfig } from '../helpers/env.js';
import { makeService } from '../helpers/service.js';

const fake = new FakeDashScope({ runMs: 20 });
const home = tempDir();
beforeAll(() => fake.start());
afterAll(() => fake.stop());

const setup = () => makeService(testConfig(fake, home));
const MEETING = 'Hello everyone. Um, thanks for joining. Let us start with the budget. Uh, any questions?';

function submitted() {
  const submit = fake.requests.filter((r) => r.route === 'submit').at(-1);
  return submit?.json as {
    model: string;
    input: Record<string, unknown>;
    parameters: Record<string, unknown>;
  };
}

describe('paraformer / fun-asr option mapping', () => {
  const paraformer = resolveModel('paraformer-v2');
  const eightK = resolveModel('paraformer-8k-v2');

  it('sends every family option under its wire name, and file_urls as a list', () => {
    const { options, warnings } = mapFileTranscriptionOptions(
      {
        audio: 'x',
        language_hints: ['zh', 'EN', 'zh'],
        vocabulary_id: 'vocab-1',
        disfluency_removal_enabled: true,
        timestamp_alignment_enabled: true,
        diarization_enabled: true,
        speaker_count: 3,
        channel_id: [0, 1],
      },
      paraformer,
    );
    expect(warnings).toEqual([]);
    expect(asyncBody(paraformer, 'https://a/b.wav', options)).toEqual({
      model: 'paraformer-v2',
      input: { file_urls: ['https://a/b.wav'] },
      parameters: {
        language_hints: ['zh', 'en'],
        vocabulary_id: 'vocab-1',
        disfluency_removal_enabled: true,
        timestamp_alignment_enabled: true,
        diarization_enabled: true,
        speaker_count: 3,
        channel_id: [0, 1],
      },
    });
  });

  it('reports what the family does not take instead of sending it', () => {
    const { options, warnings } = mapFileTranscriptionOptions(
      { audio: 'x', enable_itn: true, context: 'Qwen, DashScope', sample_rate: 16000 },
      resolveModel('fun-asr'),
    );
    expect(options).toEqual({});
    expect(warnings.join('\n')).toMatch(/enable_itn/);
    expect(warnings.join('\n')).toMatch(/vocabulary_id instead/);
    expect(warnings.join('\n')).toMatch(/sample_rate is not a request parameter/);
  });

  it('points 8 kHz audio at paraformer-8k-v2 and wideband audio at paraformer-v2', () => {
    expect(mapFileTranscriptionOptions({ audio: 'x', sample_rate: 8000 }, paraformer).warnings[0]).toMatch(
      /paraformer-8k-v2 is the model trained for it/,
    );
    expect(mapFileTranscriptionOptions({ audio: 'x', sample_rate: 16000 }, eightK).warnings[0]).toMatch(
      /paraformer-v2 suits it better/,
    );
    expect(mapFileTranscriptionOptions({ audio: 'x', sample_rate: 8000 }, eightK).warnings[0]).not.toMatch(
      /suits|trained/,
    );
  });

  it('speaker_count implies diarization, and is dropped when diarization is turned off', () => {
    const implied = mapFileTranscriptionOptions({ audio: 'x', speaker_count: 4 }, paraformer);
    expect(implied.options).toEqual({ diarization_enabled: true, speaker_count: 4 });
    expect(implied.warnings[0]).toMatch(/implies speaker diarization/);
    const off = mapFileTranscriptionOptions(
      { audio: 'x', speaker_count: 4, diarization_enabled: false },
      paraformer,
    );
    expect(off.options).toEqual({});
    expect(off.warnings[0]).toMatch(/not sent because diarization_enabled is false/);
  });

  it('warns about paraformer-v2 language hints outside its documented list, and sends them', () => {
    const { options, warnings } = mapFileTranscriptionOptions(
      { audio: 'x', language_hints: ['es'] },
      paraformer,
    );
    expect(options.language_hints).toEqual(['es']);
    expect(warnings[0]).toMatch(/es are not among those documented for paraformer-v2/);
  });

  it('qwen models report the family-only options as not sent', async () => {
    const { service } = setup();
    const url = fake.addMedia('plain.mp3', { durationS: 20 });
    const result = await service.transcribe({
      audio: url,
      model: 'qwen3-asr-flash-filetrans',
      vocabulary_id: 'vocab-fake-001',
      disfluency_removal_enabled: true,
      diarization_enabled: true,
      timestamp_alignment_enabled: true,
    });
    expect(submitted().parameters).toEqual({ enable_itn: false });
    const text = result.warnings.join('\n');
    for (const name of [
      'vocabulary_id',
      'disfluency_removal_enabled',
      'diarization_enabled',
      'timestamp_alignment_enabled',
    ])
      expect(text).toContain(name);
  });
});

describe('paraformer / fun-asr tasks against the fake', () => {
  for (const model of ['paraformer-v2', 'paraformer-8k-v2', 'fun-asr', 'fun-asr-mtl', 'fun-asr-2025-11-07']) {
    it(`${model}: submits file_urls, reads results[], maps properties and duration`, async () => {
      const { service } = setup();
      const url = fake.addMedia(`${model}.wav`, {
        durationS: 42.5,
        text: 'One sentence here. And another one.',
      });
      const result = await service.transcribe({ audio: url, model, language_hints: ['en'] });
      expect(submitted()).toMatchObject({
        model,
        input: { file_urls: [url] },
        parameters: { language_hints: ['en'] },
      });
      expect(result).toMatchObject({
        status: 'SUCCEEDED',
        model,
        text: 'One sentence here. And another one.',
        duration_s: 42.5,
        audio_info: { format: 'pcm_s16le', sample_rate: model.includes('8k') ? 8000 : 16000, channels: [0] },
        usage: { duration: 43 },
      });
      expect(result.sentences).toHaveLength(2);
      expect(result.sentences![0]!.words!.length).toBeGreaterThan(1);
      expect(result.speakers).toBeUndefined();
    });
  }

  it('removes disfluencies when asked (the fake drops its filler words)', async () => {
    const { service } = setup();
    const url = fake.addMedia('fillers.wav', { durationS: 12, text: MEETING });
    const kept = await service.transcribe({ audio: url, model: 'fun-asr' });
    const removed = await service.transcribe({
      audio: url,
      model: 'fun-asr',
      disfluency_removal_enabled: true,
    });
    expect(submitted().parameters).toEqual({ disfluency_removal_enabled: true });
    expect(kept.text).toMatch(/\bUm\b/);
    expect(removed.text).not.toMatch(/\b(Um|Uh)\b/);
  });

  it('labels speakers in the text, JSON, SRT and VTT', async () => {
    const { service } = setup();
    const url = fake.addMedia('meeting.wav', { durationS: 20, text: MEETING });
    const result = await service.transcribe({
      audio: url,
      model: 'paraformer-v2',
      diarization_enabled: true,
      speaker_count: 2,
    });
    expect(submitted().parameters).toEqual({ diarization_enabled: true, speaker_count: 2 });
    expect(result.speakers).toBe(2);
    expect(result.text.split('\n')).toEqual([
      '[speaker 0] Hello everyone.',
      '[speaker 1] Um, thanks for joining.',
      '[speaker 0] Let us start with the budget.',
      '[speaker 1] Uh, any questions?',
    ]);
    expect(result.sentences!.map((s) => s.speaker_id)).toEqual([0, 1, 0, 1]);
    const files = result.files!;
    expect(readFileSync(files.txt, 'utf8')).toContain('[speaker 1] Um, thanks for joining.');
    expect(JSON.parse(readFileSync(files.json, 'utf8')).sentences[1].speaker_id).toBe(1);
    const srt = readFileSync(files.srt!, 'utf8');
    expect(srt).toMatch(/^1\n00:00:00,000 --> 00:00:0\d,\d{3}\n\[speaker 0\] Hello everyone\.\n/);
    const vtt = readFileSync(files.vtt!, 'utf8');
    expect(vtt.startsWith('WEBVTT')).toBe(true);
    expect(vtt).toContain('[speaker 1] Uh, any questions?');
  });

  it('joins consecutive sentences of one speaker into one turn', async () => {
    const { service } = setup();
    const url = fake.addMedia('monologue.wav', { durationS: 9, text: 'First point. Second point. Third.' });
    // The fake gives sentence i to speaker i % speaker_count: three sentences, three speakers, three turns.
    const many = await service.transcribe({ audio: url, model: 'fun-asr', speaker_count: 100 });
    expect(many.text.split('\n')).toHaveLength(3);
    expect(many.speakers).toBe(3);
  });

  it('runs diarization on qwen-audio-3.0-asr-flash-filetrans when no model was named, and says so', async () => {
    const { service } = setup();
    const url = fake.addMedia('auto.wav', { durationS: 8, text: MEETING });
    const result = await service.transcribe({ audio: url, diarization_enabled: true });
    expect(result.model).toBe('qwen-audio-3.0-asr-flash-filetrans');
    expect(submitted().parameters).toEqual({ channel_id: [0], diarization_enabled: true });
    expect(submitted().input).toEqual({ file_urls: [url] });
    expect(result.warnings.join('\n')).toMatch(/Speaker labels .* ran on qwen-audio-3.0-asr-flash-filetrans/);
    expect(result.speakers).toBe(2);
  });

  it('uploads local files for the family through the temporary upload', async () => {
    const { service } = setup();
    const result = await service.transcribe({
      audio: fixture('speech-16k-mono.wav'),
      model: 'paraformer-v2',
    });
    const body = submitted();
    expect((body.input.file_urls as string[])[0]).toMatch(/^oss:\/\//);
    const submit = fake.requests.filter((r) => r.route === 'submit').at(-1)!;
    expect(submit.headers['x-dashscope-ossresourceresolve']).toBe('enable');
    expect(result.status).toBe('SUCCEEDED');
    expect(fake.requests.some((r) => r.route === 'policy' && r.path.includes('model=paraformer-v2'))).toBe(
      true,
    );
  });

  it('surfaces a failed subtask with its code and message, though the task says SUCCEEDED', async () => {
    const { service, tasks } = setup();
    const url = `${fake.url}/media/missing.wav`;
    const err = await service.transcribe({ audio: url, model: 'fun-asr' }).catch((e) => e);
    expect(err).toBeInstanceOf(TaskFailedError);
    expect(err.message).toMatch(/finished, but its file failed: FILE_DOWNLOAD_FAILED/);
    expect(err.hint).toMatch(/public and reachable/);
    const taskId = /Task (\S+) finished/.exec(err.message)![1]!;
    expect((await tasks.get(taskId))?.status).toBe('FAILED');
  });

  it('passes the service refusal of an unknown vocabulary through as a bad request', async () => {
    const { service } = setup();
    const url = fake.addMedia('vocab.wav', { durationS: 5 });
    const err = await service
      .transcribe({ audio: url, model: 'paraformer-v2', vocabulary_id: 'vocab-nope' })
      .catch((e) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err.message).toMatch(/vocabulary vocab-nope does not exist/);
    await service.transcribe({ audio: url, model: 'paraformer-v2', vocabulary_id: 'vocab-fake-001' });
    expect(submitted().parameters).toEqual({ vocabulary_id: 'vocab-fake-001' });
  });
});
