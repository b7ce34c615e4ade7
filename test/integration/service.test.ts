import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDashScope } from '../../dev/fake-dashscope/server.js';
import { CancelledError, InputError, NotFoundError, TaskFailedError } from '../../src/domain/errors.js';
import type { ProgressEvent } from '../../src/domain/progress.js';
import { fixture, tempDir, testConfig } from '../helpers/env.js';
import { makeService } from '../helpers/service.js';
import { sparseWav } from '../helpers/wav.js';

const fake = new FakeDashScope({ runMs: 30 });
const home = tempDir();
beforeAll(() => fake.start());
afterAll(() => fake.stop());

const setup = (extra: Record<string, string> = {}) => makeService(testConfig(fake, home, extra));

describe('sync transcription', () => {
  it('sends a local WAV as a data URI and saves .json and .txt', async () => {
    const { service } = setup();
    fake.requests.length = 0;
    const result = await service.transcribe({
      audio: fixture('speech-16k-mono.wav'),
      language_hints: ['en'],
    });
    expect(result).toMatchObject({
      status: 'SUCCEEDED',
      model: 'qwen3-asr-flash',
      task_id: null,
      language: 'en',
      duration_s: 5.729,
    });
    expect(result.text).toMatch(/^Welcome to Alibaba Cloud/);
    const sent = fake.requests[0]!.json as { messages: { content: { input_audio: { data: string } }[] }[] };
    const data = sent.messages[0]!.content[0]!.input_audio.data;
    expect(data).toBe(
      `data:audio/wav;base64,${readFileSync(fixture('speech-16k-mono.wav')).toString('base64')}`,
    );
    expect(readFileSync(result.files!.txt, 'utf8').trim()).toBe(result.text);
    expect(JSON.parse(readFileSync(result.files!.json, 'utf8'))).toMatchObject({
      text: result.text,
      transcript_id: result.transcript_id,
    });
    expect(result.files!.srt).toBeUndefined();
  });

  it('reaches qwen-audio-asr through the native endpoint', async () => {
    const { service } = setup();
    fake.requests.length = 0;
    const result = await service.transcribe({ audio: fixture('speech.mp3'), model: 'qwen-audio-asr' });
    expect(result.model).toBe('qwen-audio-asr');
    expect(fake.requests[0]!.route).toBe('native-sync');
  });

  it('refuses an explicit sync model for M4A and names the model that takes it; sends nothing', async () => {
    const { service } = setup();
    fake.requests.length = 0;
    const err = await service
      .transcribe({ audio: fixture('speech.m4a'), model: 'qwen3-asr-flash' })
      .catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toMatch(/does not take M4A.*qwen3-asr-flash-filetrans/);
    expect(fake.requests).toHaveLength(0);
  });

  it('refuses an unknown model before anything is sent', async () => {
    const { service } = setup();
    fake.requests.length = 0;
    await expect(
      service.transcribe({ audio: fixture('speech.mp3'), model: 'gpt-4o-transcribe' }),
    ).rejects.toThrow(/Unknown model/);
    expect(fake.requests).toHaveLength(0);
  });
});

describe('routing to filetrans', () => {
  it('routes a local file over 5 minutes by its header duration, uploading it', async () => {
    const { service } = setup();
    fake.requests.length = 0;
    const result = await service.transcribe({ audio: fixture('long-6min-cbr.mp3') });
    expect(result.model).toBe('qwen3-asr-flash-filetrans');
    expect(result.warnings.join(' ')).toMatch(/lasts 6 min 01 s, over the qwen3-asr-flash limit of 5 min/);
    expect(fake.requests.map((r) => r.route)).toEqual(
      expect.arrayContaining(['policy', 'upload', 'submit', 'task', 'result']),
    );
    expect(fake.requests.find((r) => r.route === 'upload')!.headers.authorization).toBeUndefined();
    const submit = fake.requests.find((r) => r.route === 'submit')!;
    expect(submit.headers['x-dashscope-ossresourceresolve']).toBe('enable');
    expect((submit.json as { input: { file_url: string } }).input.file_url).toMatch(
      /^oss:\/\/dashscope-instant\/.+\/[0-9a-f-]{36}-long-6min-cbr\.mp3$/,
    );
    expect(result.sentences!.length).toBeGreaterThan(0);
    expect(readFileSync(result.files!.srt!, 'utf8')).toMatch(/^1\n00:00:00,000 --> /);
  });

  it('routes a file whose data URI would exceed 10,485,760 bytes', async () => {
    const { service } = setup();
    const path = join(home, 'big.wav');
    sparseWav(path, 250); // 8 MB of PCM: under 5 min, but 10.7 MB as base64
    const result = await service.transcribe({ audio: path });
    expect(result.model).toBe('qwen3-asr-flash-filetrans');
    expect(result.warnings.join(' ')).toMatch(/data URI would be 10\.\d MB, over the qwen3-asr-flash limit/);
  });

  it('routes M4A, timestamps and async: true, each with its reason', async () => {
    const { service } = setup();
    const m4a = await service.transcribe({ audio: fixture('speech.m4a') });
    expect(m4a.model).toBe('qwen3-asr-flash-filetrans');
    expect(m4a.warnings[0]).toMatch(/M4A files are taken only by qwen3-asr-flash-filetrans/);
    const words = await service.transcribe({
      audio: fixture('speech.mp3'),
      timestamp_granularities: ['word'],
    });
    expect(words.model).toBe('qwen3-asr-flash-filetrans');
    expect(words.sentences![0]!.words!.length).toBeGreaterThan(0);
    const asyncRun = await service.transcribe({ audio: fixture('speech.mp3'), async: true });
    expect(asyncRun.warnings[0]).toMatch(/async: true with qwen3-asr-flash/);
  });

  it('retries a URL on filetrans once when the sync API refuses it as too long', async () => {
    const { service } = setup();
    const url = fake.addMedia('lecture.mp3', { durationS: 3600, text: 'A long lecture.' });
    fake.requests.length = 0;
    const result = await service.transcribe({ audio: url });
    expect(result.model).toBe('qwen3-asr-flash-filetrans');
    expect(result.text).toBe('A long lecture.');
    expect(result.warnings.join(' ')).toMatch(
      /refused the audio as too long.*retried on qwen3-asr-flash-filetrans/,
    );
    expect(fake.count('compatible')).toBe(1);
    expect(fake.count('submit')).toBe(1);
  });

  it('refuses a long file with an explicit sync model, suggesting filetrans', async () => {
    const { service } = setup();
    await expect(
      service.transcribe({ audio: fixture('long-6min.ogg'), model: 'qwen3-asr-flash' }),
    ).rejects.toThrow(/over the qwen3-asr-flash limit of 5 min/);
  });
});

describe('uploads', () => {
  it('refuses a file over the policy limit before uploading', async () => {
    const small = new FakeDashScope({ maxUploadMb: 1 });
    await small.start();
    try {
      const { service } = makeService(testConfig(small, home));
      const path = join(home, 'two-mb.wav');
      sparseWav(path, 60);
      const err = await service
        .transcribe({ audio: path, model: 'qwen3-asr-flash-filetrans' })
        .catch((e) => e);
      expect(err).toBeInstanceOf(InputError);
      expect(err.message).toMatch(
        /1\.8 MB, over the 1 MB that DashScope's temporary upload takes\. Nothing was uploaded/,
      );
      expect(small.count('upload')).toBe(0);
    } finally {
      await small.stop();
    }
  });

  it('streams a 1 GB local file through the temporary upload (sparse on disk)', async () => {
    const big = new FakeDashScope({ maxUploadMb: 2048 });
    await big.start();
    try {
      const { service } = makeService(testConfig(big, home));
      const path = join(home, 'one-gb.wav');
      const size = sparseWav(path, (1024 * 1024 * 1024 - 44) / 32000);
      const result = await service.transcribe({ audio: path, wait_seconds: 60 });
      expect(result.status).toBe('SUCCEEDED');
      expect(result.model).toBe('qwen3-asr-flash-filetrans');
      const stored = [...big.uploads.values()][0]!;
      expect(stored.size).toBe(size);
      expect(stored.head.subarray(0, 4).toString('latin1')).toBe('RIFF');
    } finally {
      await big.stop();
    }
  });

  it('retries a failed upload under a new key and reports byte progress', async () => {
    const { service } = setup();
    fake.requests.length = 0;
    fake.inject('upload', { kind: 'status', status: 500 });
    const events: ProgressEvent[] = [];
    await service.transcribe({ audio: fixture('speech.m4a') }, { onProgress: (e) => events.push(e) });
    const keys = [...fake.uploads.keys()];
    expect(fake.count('upload')).toBe(2);
    const uploaded = events.filter((e) => e.stage === 'uploading');
    expect(uploaded.at(-1)!.fraction).toBe(1);
    expect(keys.length).toBeGreaterThan(0);
    expect(events.map((e) => e.stage)).toEqual(
      expect.arrayContaining(['preparing', 'uploading', 'submitting', 'fetching', 'saving']),
    );
  });

  it('fetches a new policy when the cached one expires', async () => {
    const shortLived = new FakeDashScope({ policyExpireSeconds: 30 });
    await shortLived.start();
    try {
      const { service } = makeService(testConfig(shortLived, home));
      await service.transcribe({ audio: fixture('speech.m4a') });
      await service.transcribe({ audio: fixture('speech.m4a') });
      // A 30 s policy is within our 30 s safety margin from the start, so each upload asks for a fresh one.
      expect(shortLived.count('policy')).toBe(2);
    } finally {
      await shortLived.stop();
    }
  });

  it('says which step failed when every upload attempt fails', async () => {
    const { service } = setup({ ASR_UPLOAD_ATTEMPTS: '2' });
    fake.inject('upload', { kind: 'status', status: 500 }, 2);
    const err = await service.transcribe({ audio: fixture('speech.m4a') }).catch((e) => e);
    expect(err.message).toMatch(/step 2 of the temporary upload\) failed 2 times.*HTTP 500 InternalError/);
  });
});

describe('wait budget, status, restart, cancellation', () => {
  it('returns RUNNING with a task id when the budget runs out; asr_task_status finishes it', async () => {
    const { service } = setup();
    fake.holdAll = true;
    const url = fake.addMedia('meeting.mp3', { durationS: 1800, text: 'Meeting notes.' });
    const first = await service.transcribe({
      audio: url,
      model: 'qwen3-asr-flash-filetrans',
      wait_seconds: 0.2,
    });
    fake.holdAll = false;
    expect(first.status).toBe('RUNNING');
    expect(first.task_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(first.poll_after_s).toBeGreaterThan(0);
    const once = await service.taskStatus({ task_id: first.task_id! });
    expect(once.status).toBe('RUNNING'); // the task was created held; it runs until released
    fake.release(first.task_id!);
    const done = await service.taskStatus({ task_id: first.task_id!, wait: true, wait_seconds: 5 });
    expect(done).toMatchObject({ status: 'SUCCEEDED', text: 'Meeting notes.', task_id: first.task_id });
  });

  it('answers from the task store after a restart and after the API forgets the task', async () => {
    const a = setup();
    const url = fake.addMedia('podcast.mp3', { durationS: 900, text: 'Podcast.' });
    const result = await a.service.transcribe({ audio: url, model: 'qwen3-asr-flash-filetrans' });
    await a.service.close();
    fake.tasks.delete(result.task_id!); // expired on the service side
    const b = setup();
    const again = await b.service.taskStatus({ task_id: result.task_id! });
    expect(again).toMatchObject({
      status: 'SUCCEEDED',
      text: 'Podcast.',
      transcript_id: result.transcript_id,
    });
    expect(again.warnings.at(-1)).toMatch(/saved transcript/);
  });

  it('reports a task the service does not know as UNKNOWN', async () => {
    const { service } = setup();
    await expect(
      service.taskStatus({ task_id: 'f0f0f0f0-0000-0000-0000-000000000000' }),
    ).rejects.toBeInstanceOf(NotFoundError);
    await expect(service.taskStatus({ task_id: '../../etc/passwd' })).rejects.toBeInstanceOf(InputError);
  });

  it('surfaces task failures with the API code and a fix', async () => {
    const { service } = setup();
    const url = fake.addMedia('private.mp3', { durationS: 10, forbidden: true });
    const err = await service.transcribe({ audio: url, model: 'qwen3-asr-flash-filetrans' }).catch((e) => e);
    expect(err).toBeInstanceOf(TaskFailedError);
    expect(err.describe()).toMatch(/code FILE_403_FORBIDDEN.*not publicly readable/s);
  });

  it('hands back a local id when the upload outlasts the budget; status follows it to the transcript', async () => {
    const { service } = setup();
    fake.inject('policy', { kind: 'delay', ms: 400 });
    const first = await service.transcribe({ audio: fixture('speech.m4a'), wait_seconds: 0.1 });
    expect(first.status).toBe('PENDING');
    expect(first.task_id).toMatch(/^local-/);
    expect(first.warnings.join(' ')).toMatch(/upload goes on in the background/);
    const done = await service.taskStatus({ task_id: first.task_id!, wait: true, wait_seconds: 5 });
    expect(done.status).toBe('SUCCEEDED');
    expect(done.task_id).not.toMatch(/^local-/);
  });

  it('reports an upload interrupted by a restart as failed, with what to do', async () => {
    const a = setup();
    fake.inject('policy', { kind: 'delay', ms: 300 });
    const first = await a.service.transcribe({ audio: fixture('speech.m4a'), wait_seconds: 0.05 });
    // A crash: another process reads the store while the record still says UPLOADING.
    const b = setup();
    const err = await b.service.taskStatus({ task_id: first.task_id! }).catch((e) => e);
    expect(err).toBeInstanceOf(TaskFailedError);
    expect(err.message).toMatch(
      /never reached DashScope: the server was restarted while the file was uploading/,
    );
    expect(err.describe()).toMatch(/Call asr_transcribe again/);
    await a.service.close();
  });

  it('records an upload stopped by a clean shutdown as cancelled', async () => {
    const a = setup();
    fake.inject('policy', { kind: 'delay', ms: 300 });
    const first = await a.service.transcribe({ audio: fixture('speech.m4a'), wait_seconds: 0.05 });
    await a.service.close();
    expect((await a.tasks.get(first.task_id!))?.status).toBe('CANCELED');
    const err = await setup()
      .service.taskStatus({ task_id: first.task_id! })
      .catch((e) => e);
    expect(err).toBeInstanceOf(TaskFailedError);
    expect(err.message).toMatch(/never reached DashScope: .*cancel/i);
  });

  it('cancels a PENDING task remotely when the caller cancels', async () => {
    const slowQueue = new FakeDashScope({ queueMs: 60_000 });
    await slowQueue.start();
    try {
      const { service } = makeService(testConfig(slowQueue, home));
      const url = slowQueue.addMedia('a.mp3', { durationS: 60 });
      const controller = new AbortController();
      const events: ProgressEvent[] = [];
      const run = service.transcribe(
        { audio: url, model: 'qwen3-asr-flash-filetrans' },
        {
          signal: controller.signal,
          onProgress: (e) => {
            events.push(e);
            if (e.stage === 'queued') controller.abort();
          },
        },
      );
      const err = await run.catch((e) => e);
      expect(err).toBeInstanceOf(CancelledError);
      expect(err.message).toMatch(/still queued and has been cancelled/);
      expect(slowQueue.count('cancel')).toBe(1);
      expect([...slowQueue.tasks.values()][0]!.status).toBe('CANCELED');
    } finally {
      await slowQueue.stop();
    }
  });

  it('stops an upload at once when the caller cancels', async () => {
    const { service } = setup();
    const path = join(home, 'to-cancel.wav');
    sparseWav(path, 900);
    fake.requests.length = 0;
    const controller = new AbortController();
    const err = await service
      .transcribe(
        { audio: path },
        {
          signal: controller.signal,
          onProgress: (e) => e.stage === 'uploading' && (e.fraction ?? 0) > 0.1 && controller.abort(),
        },
      )
      .catch((e) => e);
    expect(err).toBeInstanceOf(CancelledError);
    expect(err.message).toMatch(/before the task was submitted/);
    expect(fake.count('submit')).toBe(0);
  });
});

describe('output directory', () => {
  it('falls back to the user data directory when OUTPUT_DIR is not writable, and says so', async () => {
    const blocker = join(home, 'a-file');
    copyFileSync(fixture('speech.mp3'), blocker);
    const { service } = setup({ OUTPUT_DIR: join(blocker, 'sub'), XDG_DATA_HOME: join(home, 'xdg') });
    const result = await service.transcribe({ audio: fixture('speech.mp3') });
    expect(result.files!.json.startsWith(join(home, 'xdg', 'qwen-asr-mcp'))).toBe(true);
    expect(result.warnings.join(' ')).toMatch(/is not writable.*saved under/);
  });
});
