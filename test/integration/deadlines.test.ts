/**
 * No call outlives its budget (issue #13, finding 9): whatever the service does (an answer that never
 * comes, or one that trickles forever), a sync call, a task query and a result download all end within
 * the call's wait budget plus a little, with the HTTP timeout left at its default of 120 s. These are
 * deadlines, not speed: each case allows the budget plus two seconds.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeDashScope } from '../../dev/fake-dashscope/server.js';
import { ServerError, TimeoutError } from '../../src/domain/errors.js';
import { fixture, tempDir, testConfig } from '../helpers/env.js';
import { makeService } from '../helpers/service.js';

const fake = new FakeDashScope({ runMs: 20 });
const home = tempDir();
beforeAll(() => fake.start());
afterAll(() => fake.stop());
afterEach(() => fake.clearFaults());

const BUDGET_S = 3;
const ALLOWED_MS = (BUDGET_S + 2) * 1000;
const NEVER = { kind: 'delay', ms: 10 * 60_000 } as const;
const TRICKLE = { kind: 'trickle', intervalMs: 200 } as const;
const FILETRANS = 'qwen3-asr-flash-filetrans';

// The HTTP timeout and retries stay at their defaults (120 s, 3): the budget alone must bound the call.
const setup = () => makeService(testConfig(fake, home, { ASR_WAIT_BUDGET_S: '45' }));

async function timed<T>(run: () => Promise<T>): Promise<{ value?: T; error?: unknown; ms: number }> {
  const started = Date.now();
  try {
    return { value: await run(), ms: Date.now() - started };
  } catch (error) {
    return { error, ms: Date.now() - started };
  }
}

describe('a sync call ends within its budget', () => {
  for (const [name, fault, audio] of [
    ['an answer that never comes', NEVER, () => fake.addMedia('stall.mp3', { durationS: 20 })],
    ['an answer that trickles forever', TRICKLE, () => fixture('speech-16k-mono.wav')],
  ] as const) {
    it(`${name}: a TimeoutError naming the budget, within ${BUDGET_S} s + 2`, {
      timeout: 20_000,
    }, async () => {
      const { service } = setup();
      fake.inject('compatible', fault, 5);
      const { error, ms } = await timed(() => service.transcribe({ audio: audio(), wait_seconds: BUDGET_S }));
      expect(ms).toBeLessThan(ALLOWED_MS);
      expect(error).toBeInstanceOf(TimeoutError);
      expect((error as TimeoutError).message).toMatch(
        /did not answer within this call's budget of 3 s \(transcribe with qwen3-asr-flash\)/,
      );
      expect((error as TimeoutError).hint).toMatch(/async: true .* longer wait_seconds/);
      await service.close();
    });
  }

  it('ASR_WAIT_BUDGET_S is the budget when wait_seconds is not given', { timeout: 20_000 }, async () => {
    const { service } = makeService(testConfig(fake, home, { ASR_WAIT_BUDGET_S: String(BUDGET_S) }));
    fake.inject('compatible', NEVER);
    const { error, ms } = await timed(() =>
      service.transcribe({ audio: fake.addMedia('stall2.mp3', { durationS: 20 }) }),
    );
    expect(ms).toBeLessThan(ALLOWED_MS);
    expect((error as Error).message).toMatch(/budget of 3 s/);
    await service.close();
  });

  it('wait_seconds: 0 (do not wait for a task) still leaves a sync call its minimum of 3 s', async () => {
    const { service } = setup();
    const done = await service.transcribe({
      audio: fake.addMedia('quick.mp3', { durationS: 20, text: 'Quick enough.' }),
      wait_seconds: 0,
    });
    expect(done).toMatchObject({ status: 'SUCCEEDED', text: 'Quick enough.' });
    await service.close();
  });

  it('starts no retry that could not finish: a Retry-After past the budget ends the call at once', async () => {
    const { service } = setup();
    fake.inject('compatible', {
      kind: 'status',
      status: 503,
      headers: { 'retry-after': '10' },
      body: { code: 'ServiceUnavailable', message: 'busy' },
    });
    const { error, ms } = await timed(() =>
      service.transcribe({ audio: fake.addMedia('busy.mp3', { durationS: 20 }), wait_seconds: BUDGET_S }),
    );
    expect(error).toBeInstanceOf(ServerError);
    expect(ms).toBeLessThan(2000);
    await service.close();
  });
});

describe('an async call ends within its budget with the task id', () => {
  it('a task query that never answers: the pending answer, within 3 s + 2', { timeout: 20_000 }, async () => {
    const { service } = setup();
    fake.inject('task', NEVER, 10);
    const { value, ms } = await timed(() =>
      service.transcribe({
        audio: fake.addMedia('query-stall.mp3', { durationS: 600 }),
        model: FILETRANS,
        wait_seconds: BUDGET_S,
      }),
    );
    expect(ms).toBeLessThan(ALLOWED_MS);
    expect(value?.status).toMatch(/^(PENDING|RUNNING)$/);
    expect(value?.task_id).toMatch(/\w/);
    await service.close();
  });

  it('a result download that trickles forever: the pending answer, then the transcript later', {
    timeout: 20_000,
  }, async () => {
    const { service } = setup();
    fake.inject('result', TRICKLE, 10);
    const { value, ms } = await timed(() =>
      service.transcribe({
        audio: fake.addMedia('download-stall.mp3', { durationS: 60, text: 'Fetched at last.' }),
        model: FILETRANS,
        wait_seconds: BUDGET_S,
      }),
    );
    expect(ms).toBeLessThan(ALLOWED_MS);
    expect(value?.status).toBe('RUNNING');
    expect(value?.warnings.join(' ')).toMatch(/did not download within this call's budget/);
    fake.clearFaults();
    const done = await service.taskStatus({ task_id: value!.task_id!, wait: true, wait_seconds: BUDGET_S });
    expect(done).toMatchObject({ status: 'SUCCEEDED', text: 'Fetched at last.' });
    await service.close();
  });

  it('asr_task_status with wait: true, or a single look, against a stalled query or download', {
    timeout: 30_000,
  }, async () => {
    // A single look (wait: false) gives its requests ASR_WAIT_BUDGET_S, whatever wait_seconds says.
    const { service } = makeService(testConfig(fake, home, { ASR_WAIT_BUDGET_S: String(BUDGET_S) }));
    const started = await service.transcribe({
      audio: fake.addMedia('status-stall.mp3', { durationS: 600 }),
      model: FILETRANS,
      wait: false,
    });
    const taskId = started.task_id!;
    for (const req of [
      { task_id: taskId, wait: true, wait_seconds: BUDGET_S },
      { task_id: taskId, wait_seconds: 0 },
    ]) {
      fake.inject('task', NEVER, 10);
      const { value, ms } = await timed(() => service.taskStatus(req));
      expect(ms, JSON.stringify(req)).toBeLessThan(ALLOWED_MS);
      expect(value?.status).toMatch(/^(PENDING|RUNNING)$/);
      expect(value?.task_id).toBe(taskId);
      fake.clearFaults();
    }
    fake.inject('result', NEVER, 10);
    const { value, ms } = await timed(() =>
      service.taskStatus({ task_id: taskId, wait: true, wait_seconds: BUDGET_S }),
    );
    expect(ms).toBeLessThan(ALLOWED_MS);
    expect(value?.status).toBe('RUNNING');
    await service.close();
  });
});
