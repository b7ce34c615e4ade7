/**
 * Local files through the user's own S3-compatible bucket (ASR_BUCKET, issue #14 item 4), against the
 * fake's bucket: a signed, streamed PUT; the presigned GET handed to the model; the object deleted when
 * the task ends (or kept); the sweep of old uploads; clear errors; nothing secret in saved files.
 */
import { readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { FakeDashScope } from '../../dev/fake-dashscope/server.js';
import { dashscopeHttp } from '../../src/dashscope/http.js';
import { UploadError } from '../../src/domain/errors.js';
import { OutputDirs } from '../../src/store/paths.js';
import { TaskStore } from '../../src/store/tasks.js';
import { TranscriptStore } from '../../src/store/transcripts.js';
import { TranscriptionService } from '../../src/transcription/service.js';
import { captureLogger, fixture, tempDir, testConfig } from '../helpers/env.js';
import { makeService } from '../helpers/service.js';
import { sparseWav } from '../helpers/wav.js';

const fake = new FakeDashScope({ runMs: 20 });
const home = tempDir();
beforeAll(() => fake.start());
afterAll(() => fake.stop());
afterEach(() => {
  fake.clearFaults();
  fake.holdAll = false;
});

const FILETRANS = 'qwen3-asr-flash-filetrans';
const bucketEnv = (extra: Record<string, string> = {}) => {
  const { DASHSCOPE_API_KEY: _k, DASHSCOPE_HTTP_BASE_URL: _u, ...s3 } = fake.s3Env(extra);
  return s3;
};
const setup = (extra: Record<string, string> = {}) => makeService(testConfig(fake, home, bucketEnv(extra)));

const lastSubmitUrl = () =>
  (fake.requests.filter((r) => r.route === 'submit').at(-1)!.json as { input: { file_url: string } }).input
    .file_url;
const s3Requests = (method: string) => fake.requests.filter((r) => r.route === 's3' && r.method === method);

/** Every file under a directory, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)],
  );
}

describe('a local file for an async model goes through the bucket', () => {
  it('PUTs it signed, hands the model a presigned GET, and deletes the object once the task ends', async () => {
    const { service, logger } = setup();
    const path = join(home, 'long talk (final).wav');
    const size = sparseWav(path, 400); // over the 5 minutes a sync model takes
    const putsBefore = s3Requests('PUT').length;
    const result = await service.transcribe({ audio: path });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.model).toBe(FILETRANS);
    expect(fake.count('policy')).toBe(0); // the temporary upload was not used
    const put = s3Requests('PUT').slice(putsBefore);
    expect(put).toHaveLength(1);
    expect(put[0]!.s3?.verdict).toMatchObject({
      ok: true,
      presigned: false,
      payloadHash: 'UNSIGNED-PAYLOAD',
    });
    expect(put[0]!.headers['x-amz-content-sha256']).toBe('UNSIGNED-PAYLOAD');
    expect(put[0]!.headers['content-length']).toBe(String(size));
    expect(put[0]!.bodyBytes).toBe(size);
    const key = put[0]!.s3!.key;
    expect(key).toMatch(/^qwen-asr-mcp\/\d{8}\/[0-9a-f-]{36}-long_talk_final\.wav$/);
    expect(put[0]!.path).toBe(`/fake-bucket/${key.split('/').map(encodeURIComponent).join('/')}`);

    const fileUrl = new URL(lastSubmitUrl());
    expect(`${fileUrl.origin}${fileUrl.pathname}`).toBe(`${fake.url}/fake-bucket/${key}`);
    expect(fileUrl.searchParams.get('X-Amz-Expires')).toBe('86400');
    expect(fileUrl.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    expect(
      fake.requests.filter((r) => r.route === 'submit').at(-1)?.headers['x-dashscope-ossresourceresolve'],
    ).toBeUndefined();

    expect(fake.s3.objects.has(key)).toBe(false);
    expect(fake.s3.deleted).toContain(key);
    const del = s3Requests('DELETE').find((r) => r.s3?.key === key);
    expect(del?.s3?.verdict.ok).toBe(true);
    expect(logger.lines.join('\n')).not.toContain(fake.s3.secretAccessKey);
    expect(logger.lines.join('\n')).toMatch(
      /local or private address: DashScope downloads the file from the bucket itself/,
    );
  });

  it('keeps the object with ASR_BUCKET_KEEP=true', async () => {
    const { service } = setup({ ASR_BUCKET_KEEP: 'true' });
    const result = await service.transcribe({ audio: fixture('speech-16k-mono.wav'), model: FILETRANS });
    expect(result.status).toBe('SUCCEEDED');
    const key = s3Requests('PUT').at(-1)!.s3!.key;
    expect(fake.s3.objects.get(key)?.size).toBe(statSync(fixture('speech-16k-mono.wav')).size);
    expect(fake.s3.deleted).not.toContain(key);
  });

  it('deletes the object when the task fails, too', async () => {
    const { service } = setup();
    const path = join(home, 'gone.wav');
    sparseWav(path, 10);
    // The object vanishes between the PUT and the service's download: the task fails FILE_404_NOT_FOUND.
    fake.holdAll = false;
    const original = fake.s3.objects.set.bind(fake.s3.objects);
    const spy = vi
      .spyOn(fake.s3.objects, 'set')
      .mockImplementation((k, v) => (k.endsWith('gone.wav') ? fake.s3.objects : original(k, v)));
    await expect(service.transcribe({ audio: path, model: FILETRANS })).rejects.toThrow(/FILE_404_NOT_FOUND/);
    spy.mockRestore();
    const key = s3Requests('PUT').at(-1)!.s3!.key;
    expect(fake.s3.deleted).toContain(key);
  });

  it('streams a 300 MB file in one PUT whose bytes the fake counted', async () => {
    const { service } = setup();
    const path = join(home, 'huge.wav');
    const size = sparseWav(path, (300 * 1024 * 1024) / 32000);
    const progress: number[] = [];
    const result = await service.transcribe(
      { audio: path, model: FILETRANS },
      { onProgress: (e) => e.stage === 'uploading' && e.fraction !== undefined && progress.push(e.fraction) },
    );
    expect(result.status).toBe('SUCCEEDED');
    const put = s3Requests('PUT').at(-1)!;
    expect(put.bodyBytes).toBe(size);
    expect(put.s3?.verdict.ok).toBe(true);
    expect(progress.length).toBeGreaterThan(2);
    expect(progress.at(-1)).toBe(1);
  }, 60_000);
});

describe('the sweep of old uploads', () => {
  it('deletes our objects under the prefix older than the URL lifetime, and nothing else', async () => {
    const sweepFake = new FakeDashScope({ runMs: 20, s3PageSize: 2 });
    await sweepFake.start();
    try {
      const day = Date.now() - 2 * 86_400_000;
      const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
      const old = [1, 2, 3].map((n) => `qwen-asr-mcp/20240101/${uuid(n)}-old.wav`);
      const fresh = `qwen-asr-mcp/20240101/${uuid(4)}-fresh.wav`;
      const foreign = 'qwen-asr-mcp/notes.txt'; // not one of our uploads
      const outside = `elsewhere/20240101/${uuid(5)}-old.wav`;
      for (const k of [...old, foreign, outside]) sweepFake.putObject(k, { lastModified: day });
      sweepFake.putObject(fresh, { lastModified: Date.now() - 3600_000 });
      const { DASHSCOPE_API_KEY: _k, DASHSCOPE_HTTP_BASE_URL: _u, ...s3 } = sweepFake.s3Env();
      const { service } = makeService(testConfig(sweepFake, home, s3));
      await service.transcribe({ audio: fixture('speech-16k-mono.wav'), model: FILETRANS });
      await vi.waitFor(() => expect(sweepFake.s3.deleted).toEqual(expect.arrayContaining(old)));
      expect(sweepFake.s3.objects.has(fresh)).toBe(true);
      expect(sweepFake.s3.objects.has(foreign)).toBe(true);
      expect(sweepFake.s3.objects.has(outside)).toBe(true);
      const lists = sweepFake.requests.filter(
        (r) => r.route === 's3' && r.method === 'GET' && r.path.includes('list-type=2'),
      );
      expect(lists.length).toBeGreaterThanOrEqual(3); // page size 2: continuation tokens were followed
      expect(lists.every((r) => r.s3?.verdict.ok)).toBe(true);
    } finally {
      await sweepFake.stop();
    }
  });
});

describe('errors name the setting to check', () => {
  it('a wrong secret: UploadError SignatureDoesNotMatch naming the credential variables, secret never shown', async () => {
    const secret = 'wrong-secret-value-0123456789';
    const { service, logger } = setup({ AWS_SECRET_ACCESS_KEY: secret });
    const err = await service
      .transcribe({ audio: fixture('speech-16k-mono.wav'), model: FILETRANS })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UploadError);
    const e = err as UploadError;
    expect(e.code).toBe('SignatureDoesNotMatch');
    expect(e.status).toBe(403);
    expect(e.hint).toContain('AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY');
    const text = `${e.describe()}\n${logger.lines.join('\n')}`;
    expect(text).not.toContain(secret);
    expect(s3Requests('PUT').at(-1)?.s3?.verdict.ok).toBe(false);
  });

  it('OSS_* credentials take precedence, and an unknown key says so', async () => {
    const { service } = setup({
      OSS_ACCESS_KEY_ID: 'LTAI-not-known-here',
      OSS_ACCESS_KEY_SECRET: 'oss-secret-0123456789',
    });
    const err = (await service
      .transcribe({ audio: fixture('speech-16k-mono.wav'), model: FILETRANS })
      .catch((e: unknown) => e)) as UploadError;
    expect(err).toBeInstanceOf(UploadError);
    expect(err.code).toBe('InvalidAccessKeyId');
    expect(err.hint).toContain('OSS_ACCESS_KEY_ID / OSS_ACCESS_KEY_SECRET');
  });

  it('a wrong bucket: NoSuchBucket naming ASR_BUCKET', async () => {
    const { service } = setup({ ASR_BUCKET: 'no-such-bucket' });
    const err = (await service
      .transcribe({ audio: fixture('speech-16k-mono.wav'), model: FILETRANS })
      .catch((e: unknown) => e)) as UploadError;
    expect(err).toBeInstanceOf(UploadError);
    expect(err.code).toBe('NoSuchBucket');
    expect(err.hint).toContain('ASR_BUCKET');
  });

  it('a wrong region: the hint names ASR_BUCKET_REGION', async () => {
    const { service } = setup({ ASR_BUCKET_REGION: 'eu-west-9' });
    const err = (await service
      .transcribe({ audio: fixture('speech-16k-mono.wav'), model: FILETRANS })
      .catch((e: unknown) => e)) as UploadError;
    expect(err).toBeInstanceOf(UploadError);
    expect(err.hint).toContain('ASR_BUCKET_REGION');
  });

  it('connection refused: the hint names ASR_BUCKET_ENDPOINT', async () => {
    const { service } = setup({ ASR_BUCKET_ENDPOINT: 'http://127.0.0.1:9', ASR_UPLOAD_ATTEMPTS: '1' });
    const err = (await service
      .transcribe({ audio: fixture('speech-16k-mono.wav'), model: FILETRANS })
      .catch((e: unknown) => e)) as UploadError;
    expect(err).toBeInstanceOf(UploadError);
    expect(err.code).toBe('ECONNREFUSED');
    expect(err.hint).toContain('ASR_BUCKET_ENDPOINT');
  });

  it('a file over the 5 GiB one PUT takes is refused before anything is sent', async () => {
    const { service } = setup();
    const path = join(home, 'enormous.mp3');
    writeFileSync(path, readFileSync(fixture('speech.mp3')));
    truncateSync(path, 5 * 1024 ** 3 + 1024); // sparse: no disk space taken
    const puts = s3Requests('PUT').length;
    const err = (await service
      .transcribe({ audio: path, model: FILETRANS })
      .catch((e: unknown) => e)) as UploadError;
    expect(err).toBeInstanceOf(UploadError);
    expect(err.message).toMatch(/over the 5 GiB/);
    expect(s3Requests('PUT').length).toBe(puts);
    rmSync(path);
  });

  it('retries a 500 from the store', async () => {
    const { service } = setup();
    fake.inject('s3', { kind: 'status', status: 500 }, 1);
    const result = await service.transcribe({ audio: fixture('speech-16k-mono.wav'), model: FILETRANS });
    expect(result.status).toBe('SUCCEEDED');
  });
});

describe('saved files', () => {
  it('hold neither the bucket secret nor the presigned URL signature', async () => {
    const dir = tempDir();
    const { service } = makeService(
      testConfig(
        fake,
        dir,
        bucketEnv({ ASR_BUCKET_KEEP: 'true', AWS_SESSION_TOKEN: 'session-token-secret-0123' }),
      ),
    );
    const result = await service.transcribe({ audio: fixture('speech-16k-mono.wav'), model: FILETRANS });
    expect(result.status).toBe('SUCCEEDED');
    const url = new URL(lastSubmitUrl());
    const signature = url.searchParams.get('X-Amz-Signature')!;
    const credential = url.searchParams.get('X-Amz-Credential')!;
    expect(url.searchParams.get('X-Amz-Security-Token')).toBe('session-token-secret-0123');
    const files = filesUnder(join(dir, 'out'));
    expect(files.length).toBeGreaterThan(1);
    const records = files.filter((f) => f.includes(`${join('tasks', '')}`));
    expect(records.length).toBeGreaterThan(0);
    expect(records.some((f) => readFileSync(f, 'utf8').includes('"bucket_key"'))).toBe(true);
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      expect(text, f).not.toContain(signature);
      expect(text, f).not.toContain(fake.s3.secretAccessKey);
      expect(text, f).not.toContain('session-token-secret-0123');
      expect(text, f).not.toContain(credential);
    }
    expect(JSON.stringify(result)).not.toContain(signature);
  });
});

describe('virtual-hosted addressing', () => {
  it('sends Host <bucket>.<endpoint host> and hands the model a virtual-hosted presigned GET', async () => {
    const { Agent, buildConnector } = await import('undici');
    const connect = buildConnector({});
    // Every connection goes to the fake on 127.0.0.1, whatever name it was opened for; Host stays as sent.
    const dispatcher = new Agent({ connect: (opts, cb) => connect({ ...opts, hostname: '127.0.0.1' }, cb) });
    const port = new URL(fake.url).port;
    const config = testConfig(
      fake,
      home,
      bucketEnv({ ASR_BUCKET_ENDPOINT: `http://localhost:${port}`, ASR_BUCKET_PATH_STYLE: 'false' }),
    );
    const logger = captureLogger();
    const dirs = new OutputDirs(config.outputDir, config.env, config.home, logger);
    const http = dashscopeHttp(config, logger, { dispatcher });
    const service = new TranscriptionService({
      config,
      logger,
      dirs,
      tasks: new TaskStore(dirs),
      transcripts: new TranscriptStore(dirs),
      http,
    });
    try {
      const result = await service.transcribe({ audio: fixture('speech-16k-mono.wav'), model: FILETRANS });
      expect(result.status).toBe('SUCCEEDED');
      const put = s3Requests('PUT').at(-1)!;
      expect(put.headers.host).toBe(`fake-bucket.localhost:${port}`);
      expect(put.path).toMatch(/^\/qwen-asr-mcp\/\d{8}\//);
      expect(put.s3?.verdict.ok).toBe(true);
      expect(new URL(lastSubmitUrl()).host).toBe(`fake-bucket.localhost:${port}`);
      expect(fake.s3.deleted).toContain(put.s3!.key);
      expect(s3Requests('DELETE').at(-1)?.headers.host).toBe(`fake-bucket.localhost:${port}`);
    } finally {
      await dispatcher.close();
    }
  });
});

describe('whichever process sees the end deletes the object', () => {
  it('a restarted service that polls the task to its end deletes the upload', async () => {
    const dir = tempDir();
    const config = testConfig(fake, dir, bucketEnv());
    const first = makeService(config);
    fake.holdAll = true;
    const pending = await first.service.transcribe({
      audio: fixture('speech-16k-mono.wav'),
      model: FILETRANS,
      wait: false,
    });
    expect(pending.status).toBe('PENDING');
    const key = s3Requests('PUT').at(-1)!.s3!.key;
    await first.service.close(0);
    expect(fake.s3.objects.has(key)).toBe(true);
    const taskId = pending.task_id!;
    fake.release(taskId);
    fake.holdAll = false;
    const second = makeService(config);
    const done = await second.service.taskStatus({ task_id: taskId, wait: true });
    expect(done.status).toBe('SUCCEEDED');
    expect(fake.s3.objects.has(key)).toBe(false);
    expect(fake.s3.deleted).toContain(key);
  });
});
