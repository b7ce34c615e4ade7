import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDashScope } from '../../dev/fake-dashscope/server.js';
import { DashScopeApi } from '../../src/dashscope/api.js';
import { dashscopeHttp } from '../../src/dashscope/http.js';
import { resolveModel } from '../../src/dashscope/models.js';
import {
  AuthenticationError,
  BadRequestError,
  ConnectionError,
  MalformedResponseError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  ServerError,
  TimeoutError,
} from '../../src/domain/errors.js';
import { parseRetryAfter } from '../../src/http/body.js';
import { captureLogger, tempDir, testConfig } from '../helpers/env.js';

const fake = new FakeDashScope();
const home = tempDir();
let api: DashScopeApi;

function makeApi(overrides: { timeoutMs?: number; maxRetries?: number; key?: string } = {}) {
  const config = testConfig(fake, home, overrides.key ? { DASHSCOPE_API_KEY: overrides.key } : {});
  const http = dashscopeHttp(config, captureLogger(), {
    timeoutMs: overrides.timeoutMs ?? 5000,
    maxRetries: overrides.maxRetries ?? 3,
    backoffBaseMs: 5,
    backoffMaxMs: 20,
  });
  return new DashScopeApi(config, http);
}

const flash = resolveModel('qwen3-asr-flash');
const url = () => fake.addMedia('clip.mp3', { durationS: 4 });
const sync = (a = api) => a.recognizeSync(flash, { enable_itn: false }, url());

beforeAll(async () => {
  await fake.start();
  api = makeApi();
});
afterAll(() => fake.stop());

describe('HTTP client against the fake', () => {
  it('sends the documented sync body with the key as a bearer token', async () => {
    fake.requests.length = 0;
    const { parsed } = await sync();
    expect(parsed.text).toMatch(/^Welcome to Alibaba Cloud/);
    const req = fake.requests[0]!;
    expect(req.route).toBe('compatible');
    expect(req.headers.authorization).toBe(`Bearer ${fake.options.apiKey}`);
    expect(req.json).toEqual({
      model: 'qwen3-asr-flash',
      messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: url() } }] }],
      stream: false,
      asr_options: { enable_itn: false },
    });
  });

  it('honours Retry-After on 429 and then succeeds', async () => {
    fake.requests.length = 0;
    fake.inject(
      'compatible',
      {
        kind: 'status',
        status: 429,
        headers: { 'retry-after': '0' },
        body: { error: { code: 'limit_requests', message: 'slow down' } },
      },
      2,
    );
    await sync();
    expect(fake.count('compatible')).toBe(3);
  });

  it('gives up on a 429 storm with a throttling error', async () => {
    fake.inject(
      'compatible',
      { kind: 'status', status: 429, body: { code: 'Throttling', message: 'Requests rate limit exceeded' } },
      4,
    );
    const err = await sync().catch((e) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    expect(err.describe()).toMatch(/HTTP 429, code Throttling/);
  });

  it('does not wait out a Retry-After longer than its cap', async () => {
    fake.requests.length = 0;
    fake.inject('compatible', {
      kind: 'status',
      status: 429,
      headers: { 'retry-after': '3600' },
      body: { code: 'Throttling' },
    });
    await expect(sync()).rejects.toBeInstanceOf(RateLimitError);
    expect(fake.count('compatible')).toBe(1);
  });

  it('retries 5xx and resets for safe requests', async () => {
    fake.requests.length = 0;
    fake.inject('compatible', {
      kind: 'status',
      status: 503,
      body: { code: 'ModelUnavailable', message: 'busy' },
    });
    fake.inject('compatible', { kind: 'reset' });
    await sync();
    expect(fake.count('compatible')).toBe(3);
  });

  it('never repeats an async submit that the service may have accepted', async () => {
    const body = { model: 'qwen3-asr-flash-filetrans', input: { file_url: url() }, parameters: {} };
    fake.requests.length = 0;
    fake.inject('submit', { kind: 'status', status: 500, body: { code: 'InternalError', message: 'oops' } });
    await expect(api.submit(body, { ossResolve: false })).rejects.toBeInstanceOf(ServerError);
    expect(fake.count('submit')).toBe(1);
    fake.inject('submit', { kind: 'reset' });
    await expect(api.submit(body, { ossResolve: false })).rejects.toBeInstanceOf(ConnectionError);
    expect(fake.count('submit')).toBe(2);
    // 429 means "not accepted": safe to send again.
    fake.inject('submit', {
      kind: 'status',
      status: 429,
      headers: { 'retry-after': '0' },
      body: { code: 'Throttling' },
    });
    const ok = await api.submit(body, { ossResolve: false });
    expect(ok.parsed.status).toBe('PENDING');
    expect(fake.count('submit')).toBe(4);
  });

  it('retries a truncated answer to a safe request once, and succeeds', async () => {
    fake.requests.length = 0;
    fake.inject('task', { kind: 'truncate' });
    expect((await api.queryTask('t1')).parsed.status).toBe('UNKNOWN');
    expect(fake.count('task')).toBe(2);
  });

  it('turns truncated JSON and HTML into malformed-response errors', async () => {
    fake.inject('task', { kind: 'truncate' }, 4);
    const err = await api.queryTask('t1').catch((e) => e);
    expect(err).toBeInstanceOf(MalformedResponseError);
    expect(err.message).toMatch(/not valid JSON.*application\/json/);
    fake.inject('task', { kind: 'html' }, 4);
    await expect(api.queryTask('t1')).rejects.toThrow(/text\/html.*502 Bad Gateway/);
  });

  it('times out a body that trickles forever', async () => {
    const slow = makeApi({ timeoutMs: 300, maxRetries: 0 });
    fake.inject('task', { kind: 'trickle', intervalMs: 50 });
    const err = await slow.queryTask('t1').catch((e) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err.describe()).toMatch(/ASR_HTTP_TIMEOUT_MS/);
  });

  it('explains 401 with regions, without echoing the key', async () => {
    const bad = makeApi({ key: 'sk-wrong-key-123456789' });
    const err = await sync(bad).catch((e) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(err.describe()).toMatch(/region-specific.*cn-beijing/s);
    expect(err.describe()).toContain('invalid_api_key');
    expect(err.describe()).not.toContain('sk-wrong-key');
  });

  it('maps 403, 404, 400 and Arrearage to their own errors', async () => {
    fake.inject('compatible', {
      kind: 'status',
      status: 403,
      body: { code: 'AllocationQuota.FreeTierOnly', message: 'free tier' },
    });
    expect((await sync().catch((e) => e)).describe()).toMatch(/free tier only/);
    fake.inject('compatible', {
      kind: 'status',
      status: 400,
      body: { code: 'Arrearage', message: 'overdue' },
    });
    await expect(sync()).rejects.toBeInstanceOf(PermissionDeniedError);
    fake.inject('compatible', {
      kind: 'status',
      status: 404,
      body: { error: { code: 'model_not_supported', message: 'nope' } },
    });
    await expect(sync()).rejects.toBeInstanceOf(NotFoundError);
    fake.inject('compatible', {
      kind: 'status',
      status: 400,
      body: { code: 'DataInspectionFailed', message: 'inspection' },
    });
    const err = await sync().catch((e) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect(err.describe()).toMatch(/content inspection/);
  });

  it('parses Retry-After as seconds or a date', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});
