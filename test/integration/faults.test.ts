/**
 * The fault suite: every endpoint meets every kind of failure the network and the service produce.
 * Each case must end in the transcript (when a retry is safe and the fault passes) or in a typed error
 * with a clear message, within the test's time limit; an async submit is never sent twice once the
 * service may have accepted it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeDashScope, type Fault, type Route } from '../../dev/fake-dashscope/server.js';
import {
  AsrError,
  ConnectionError,
  MalformedResponseError,
  ServerError,
  TaskFailedError,
  TimeoutError,
  UploadError,
} from '../../src/domain/errors.js';
import type { TranscriptionResult } from '../../src/domain/result.js';
import type { TranscriptionService } from '../../src/transcription/service.js';
import { fixture, tempDir, testConfig } from '../helpers/env.js';
import { makeService } from '../helpers/service.js';

const fake = new FakeDashScope({ runMs: 20 });
const home = tempDir();
beforeAll(() => fake.start());
afterAll(() => fake.stop());
afterEach(() => fake.clearFaults());

// Short per-attempt deadline so slow-header and trickle faults resolve quickly.
const setup = () => makeService(testConfig(fake, home, { ASR_HTTP_TIMEOUT_MS: '250' }));

type Operation = (p: TranscriptionService) => Promise<TranscriptionResult>;
const FILETRANS = 'qwen3-asr-flash-filetrans';
const media = () => fake.addMedia('fault.mp3', { durationS: 20, text: 'Survived.' });
const OPS: Record<Exclude<Route, 'cancel' | 'media' | 's3'>, Operation> = {
  compatible: (p) => p.transcribe({ audio: media() }),
  'native-sync': (p) => p.transcribe({ audio: media(), model: 'qwen-audio-asr' }),
  submit: (p) => p.transcribe({ audio: media(), model: FILETRANS }),
  task: (p) => p.transcribe({ audio: media(), model: FILETRANS }),
  result: (p) => p.transcribe({ audio: media(), model: FILETRANS }),
  policy: (p) => p.transcribe({ audio: fixture('speech-16k-mono.wav'), model: FILETRANS }),
  upload: (p) => p.transcribe({ audio: fixture('speech-16k-mono.wav'), model: FILETRANS }),
};
const API_ROUTES = ['compatible', 'native-sync', 'submit', 'task', 'result', 'policy'] as const;

type Expect = 'ok' | (abstract new (...args: never[]) => Error);
interface Case {
  name: string;
  fault: Fault;
  times: number;
  routes: readonly (keyof typeof OPS)[];
  /** Outcome on a safe route, and on the submit (which is not retried once it may have been accepted). */
  safe: Expect;
  submit: Expect;
}

const CASES: Case[] = [
  {
    name: 'connection reset',
    fault: { kind: 'reset' },
    times: 1,
    routes: Object.keys(OPS) as (keyof typeof OPS)[],
    safe: 'ok',
    submit: ConnectionError,
  },
  {
    name: '503 burst',
    fault: { kind: 'status', status: 503, body: { code: 'ModelUnavailable', message: 'busy' } },
    times: 2,
    routes: Object.keys(OPS) as (keyof typeof OPS)[],
    safe: 'ok',
    submit: 'ok',
  },
  {
    name: '500 burst',
    fault: { kind: 'status', status: 500, body: { code: 'InternalError', message: 'oops' } },
    times: 2,
    routes: Object.keys(OPS) as (keyof typeof OPS)[],
    safe: 'ok',
    submit: ServerError,
  },
  {
    name: 'truncated JSON',
    fault: { kind: 'truncate' },
    times: 1,
    routes: API_ROUTES,
    safe: 'ok',
    submit: MalformedResponseError,
  },
  {
    name: 'HTML error page',
    fault: { kind: 'html' },
    times: 1,
    routes: API_ROUTES,
    safe: 'ok',
    submit: MalformedResponseError,
  },
  {
    name: 'wrong content type',
    fault: { kind: 'wrong-type' },
    times: 1,
    routes: API_ROUTES,
    safe: 'ok',
    submit: MalformedResponseError,
  },
  {
    name: 'slow headers',
    fault: { kind: 'delay', ms: 1000 },
    times: 1,
    routes: API_ROUTES,
    safe: 'ok',
    submit: TimeoutError,
  },
  {
    name: 'trickling body',
    fault: { kind: 'trickle', intervalMs: 50 },
    times: 1,
    routes: API_ROUTES,
    safe: 'ok',
    submit: TimeoutError,
  },
];

describe.each(CASES)('$name', (c) => {
  for (const route of c.routes) {
    const expected = route === 'submit' ? c.submit : c.safe;
    it(`${route}: ${expected === 'ok' ? 'recovers' : `fails with ${expected.name}`}`, async () => {
      const { service } = setup();
      fake.requests.length = 0;
      fake.inject(route, c.fault, c.times);
      const outcome = await OPS[route](service).catch((e: unknown) => e);
      if (expected === 'ok') {
        expect(outcome, String(outcome)).toMatchObject({ status: 'SUCCEEDED' });
      } else {
        expect(outcome).toBeInstanceOf(expected);
        expect((outcome as AsrError).message).toMatch(/submit the transcription task/);
      }
      // Whatever happened, the task was created at most once.
      expect(fake.count('submit')).toBeLessThanOrEqual(
        route === 'submit' && c.submit === 'ok' ? c.times + 1 : 1,
      );
    });
  }
});

describe('storms and dead ends', () => {
  it('a 429 storm ends in a rate-limit error on every API route, after bounded retries', async () => {
    for (const route of API_ROUTES) {
      const { service } = setup();
      fake.requests.length = 0;
      fake.inject(
        route,
        {
          kind: 'status',
          status: 429,
          headers: { 'retry-after': '0' },
          body: { code: 'Throttling.RateQuota', message: 'Requests rate limit exceeded' },
        },
        100,
      );
      const err = (await OPS[route](service).catch((e: unknown) => e)) as AsrError;
      expect(err, route).toBeInstanceOf(AsrError);
      expect(err.kind, route).toBe('rate_limit');
      expect(fake.count(route), route).toBeLessThanOrEqual(route === 'task' ? 16 : 4);
      fake.clearFaults();
    }
  });

  it('an oversized answer is cut off at the cap instead of being read', async () => {
    // Reading 32 MiB must not race the short timeout the other cases use (a busy machine is slow).
    const { service } = makeService(testConfig(fake, home, { ASR_HTTP_TIMEOUT_MS: '20000' }));
    fake.inject('compatible', { kind: 'oversized', bytes: 40 * 1024 * 1024 }, 4);
    const err = await OPS.compatible(service).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MalformedResponseError);
    expect((err as Error).message).toMatch(/larger than 32 MiB and was not read/);
  });

  it('a refused connection is a connection error naming the host, after retries', async () => {
    const closed = new FakeDashScope();
    await closed.start();
    const config = testConfig(closed, home);
    await closed.stop();
    const { service } = makeService(config);
    const err = await service.transcribe({ audio: 'https://example.invalid/a.mp3' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as Error).message).toMatch(/ECONNREFUSED talking to 127\.0\.0\.1/);
  });

  it('a transcription_url that answers 404 or has expired is a task failure that says so', async () => {
    for (const status of [404, 403]) {
      const { service } = setup();
      fake.inject(
        'result',
        { kind: 'status', status, body: { code: status === 404 ? 'NoSuchKey' : 'AccessDenied' } },
        10,
      );
      const err = await OPS.result(service).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TaskFailedError);
      expect((err as Error).message).toMatch(
        new RegExp(`transcription_url answered HTTP ${status}: the link has expired`),
      );
      fake.clearFaults();
    }
    const expiring = new FakeDashScope({ runMs: 10, resultTtlMs: -1 });
    await expiring.start();
    try {
      const { service } = makeService(testConfig(expiring, home));
      const url = expiring.addMedia('old.mp3', { durationS: 5 });
      const err = await service.transcribe({ audio: url, model: FILETRANS }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TaskFailedError);
      expect((err as Error).message).toMatch(/HTTP 403: the link has expired/);
    } finally {
      await expiring.stop();
    }
  });

  it('an upload that fails every attempt says which step failed; the submit is never made', async () => {
    const { service } = setup();
    fake.requests.length = 0;
    fake.inject('upload', { kind: 'reset' }, 10);
    const err = await OPS.upload(service).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UploadError);
    expect(fake.count('submit')).toBe(0);
  });

  it('the poll survives a few failed queries in a row, and gives up with the task id after too many', async () => {
    const { service } = setup();
    fake.inject('task', { kind: 'reset' }, 6);
    expect(await OPS.task(service)).toMatchObject({ status: 'SUCCEEDED' });
    fake.inject('task', { kind: 'status', status: 500, body: { code: 'InternalError' } }, 100);
    const err = (await OPS.task(setup().service).catch((e: unknown) => e)) as AsrError;
    expect(err.message).toMatch(/Gave up asking about task \S+ after 4 failed queries in a row/);
    expect(err.hint).toMatch(/asr_task_status/);
  });
});
