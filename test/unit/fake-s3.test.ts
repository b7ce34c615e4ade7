/**
 * The fake's bucket (dev/fake-dashscope/s3.ts) spoken to over plain HTTP, signed with the client's
 * signer: addressing, the checks it makes, ListObjectsV2 pages, and the task's "download".
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_API_KEY, FakeDashScope } from '../../dev/fake-dashscope/server.js';
import { presignUrl, signRequest, UNSIGNED_PAYLOAD } from '../../src/bucket/sigv4.js';

const fake = new FakeDashScope({ s3PageSize: 2, runMs: 10 });
beforeAll(() => fake.start());
afterAll(() => fake.stop());

const keys = () => ({
  region: fake.s3.region,
  accessKeyId: fake.s3.accessKeyId,
  secretAccessKey: fake.s3.secretAccessKey,
});

/** One request to the fake's socket, with whatever Host header the URL names. */
function send(
  method: string,
  url: string,
  opts: { headers?: Record<string, string>; body?: Buffer; chunked?: boolean } = {},
): Promise<{ status: number; text: string }> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: new URL(fake.url).port,
        method,
        path: `${target.pathname}${target.search}`,
        headers: { host: target.host, ...opts.headers },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => {
          text += c.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    if (opts.chunked) req.setHeader('transfer-encoding', 'chunked');
    req.end(opts.body);
  });
}

function signed(method: string, url: string, headers: Record<string, string> = {}) {
  return { ...headers, ...signRequest({ ...keys(), method, url, payloadHash: UNSIGNED_PAYLOAD, headers }) };
}

describe('fake bucket', () => {
  const path = (key: string) => `${fake.url}/${fake.s3.bucket}/${key}`;
  const port = () => new URL(fake.url).port;

  it('stores a signed PUT (size and hash, not the body) and refuses an unsigned or wrongly signed one', async () => {
    const body = Buffer.from('RIFF....WAVE hello');
    const ok = await send('PUT', path('p/a.wav'), {
      headers: { ...signed('PUT', path('p/a.wav')), 'content-length': String(body.length) },
      body,
    });
    expect(ok.status).toBe(200);
    expect(fake.s3.objects.get('p/a.wav')).toMatchObject({ size: body.length });
    const unsigned = await send('PUT', path('p/b.wav'), {
      headers: { 'content-length': '1' },
      body: Buffer.from('x'),
    });
    expect(unsigned.status).toBe(403);
    const wrong = signRequest({
      ...keys(),
      secretAccessKey: 'nope',
      method: 'PUT',
      url: path('p/b.wav'),
      payloadHash: UNSIGNED_PAYLOAD,
    });
    const bad = await send('PUT', path('p/b.wav'), {
      headers: { ...wrong, 'content-length': '1' },
      body: Buffer.from('x'),
    });
    expect(bad.status).toBe(403);
    expect(bad.text).toContain('<Code>SignatureDoesNotMatch</Code>');
    expect(fake.s3.objects.has('p/b.wav')).toBe(false);
  });

  it('wants a Content-Length on PUT', async () => {
    const res = await send('PUT', path('p/c.wav'), {
      headers: signed('PUT', path('p/c.wav')),
      body: Buffer.from('abc'),
      chunked: true,
    });
    expect(res.status).toBe(411);
    expect(res.text).toContain('MissingContentLength');
  });

  it('answers a virtual-hosted request by its Host header, and a presigned GET until it expires', async () => {
    const url = `http://${fake.s3.bucket}.localhost:${port()}/p/a.wav`;
    const get = await send('GET', presignUrl({ ...keys(), method: 'GET', url, expiresS: 60 }));
    expect(get.status).toBe(200);
    expect(get.text).toContain('WAVE hello');
    const past = new Date(Date.now() - 120_000);
    const expired = await send('GET', presignUrl({ ...keys(), method: 'GET', url, expiresS: 60, now: past }));
    expect(expired.status).toBe(403);
    expect(expired.text).toContain('expired');
    const missing = await send(
      'GET',
      presignUrl({ ...keys(), method: 'GET', url: url.replace('a.wav', 'zz.wav'), expiresS: 60 }),
    );
    expect(missing.status).toBe(404);
  });

  it('refuses another region, and an unknown bucket', async () => {
    const other = signRequest({
      ...keys(),
      region: 'elsewhere-1',
      method: 'DELETE',
      url: path('p/a.wav'),
      payloadHash: UNSIGNED_PAYLOAD,
    });
    expect((await send('DELETE', path('p/a.wav'), { headers: other })).text).toContain(
      'AuthorizationHeaderMalformed',
    );
    const nobucket = `${fake.url}/other-bucket/p/a.wav`;
    const res = await send('DELETE', nobucket, { headers: signed('DELETE', nobucket) });
    expect(res.status).toBe(404);
    expect(res.text).toContain('NoSuchBucket');
  });

  it('lists a prefix in pages with continuation tokens, and deletes', async () => {
    for (const k of ['q/1', 'q/2', 'q/3', 'r/1']) fake.putObject(k);
    const seen: string[] = [];
    let token: string | undefined;
    for (let i = 0; i < 5; i++) {
      const q = new URLSearchParams({ 'list-type': '2', prefix: 'q/' });
      if (token) q.set('continuation-token', token);
      const url = `${fake.url}/${fake.s3.bucket}?${q}`;
      const res = await send('GET', url, { headers: signed('GET', url) });
      expect(res.status).toBe(200);
      seen.push(...[...res.text.matchAll(/<Key>([^<]+)<\/Key>/g)].map((m) => m[1]!));
      token = /<NextContinuationToken>([^<]+)</.exec(res.text)?.[1];
      if (!token) break;
    }
    expect(seen).toEqual(['q/1', 'q/2', 'q/3']);
    const del = await send('DELETE', path('q/1'), { headers: signed('DELETE', path('q/1')) });
    expect(del.status).toBe(204);
    expect(fake.s3.deleted).toContain('q/1');
    expect(fake.s3.objects.has('q/1')).toBe(false);
  });

  it("a task's download of a bucket URL needs a valid presigned link to an object that exists", async () => {
    const submit = async (fileUrl: string) => {
      const res = await fetch(`${fake.nativeBase}/services/audio/asr/transcription`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${FAKE_API_KEY}`,
          'content-type': 'application/json',
          'x-dashscope-async': 'enable',
        },
        body: JSON.stringify({
          model: 'qwen3-asr-flash-filetrans',
          input: { file_url: fileUrl },
          parameters: {},
        }),
      });
      const id = ((await res.json()) as { output: { task_id: string } }).output.task_id;
      return fake.tasks.get(id)!;
    };
    const good = presignUrl({ ...keys(), method: 'GET', url: path('p/a.wav'), expiresS: 60 });
    expect((await submit(good)).failure).toBeUndefined();
    expect((await submit(path('p/a.wav'))).failure?.code).toBe('FILE_403_FORBIDDEN');
    const gone = presignUrl({ ...keys(), method: 'GET', url: path('p/none.wav'), expiresS: 60 });
    expect((await submit(gone)).failure?.code).toBe('FILE_404_NOT_FOUND');
  });
});
