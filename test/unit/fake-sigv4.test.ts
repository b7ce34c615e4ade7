/**
 * The fake bucket's own SigV4 verifier (dev/fake-dashscope/sigv4-verify.ts), checked against AWS's
 * worked examples, the same constants the client's signer is checked against, so each side is held
 * to AWS rather than to the other.
 */
import { describe, expect, it } from 'vitest';
import { verifySigV4 } from '../../dev/fake-dashscope/sigv4-verify.js';
import { presignUrl, signRequest, UNSIGNED_PAYLOAD } from '../../src/bucket/sigv4.js';
import { S3_HEADER_EXAMPLES, S3_KEYS, S3_NOW, S3_PRESIGNED_GET } from '../helpers/aws-sigv4-examples.js';

const secretFor = (id: string) => (id === S3_KEYS.accessKeyId ? S3_KEYS.secretAccessKey : undefined);
const HOST = 'examplebucket.s3.amazonaws.com';

describe('fake bucket SigV4 verifier: AWS examples', () => {
  it('accepts the documented presigned GET, and refuses it tampered, expired or for another key', () => {
    const base = { method: 'GET', headers: { host: HOST }, secretFor, now: S3_NOW };
    const ok = verifySigV4({ ...base, url: S3_PRESIGNED_GET.expected });
    expect(ok).toMatchObject({
      ok: true,
      accessKeyId: S3_KEYS.accessKeyId,
      region: 'us-east-1',
      presigned: true,
    });
    const tampered = S3_PRESIGNED_GET.expected.replace(/.$/, (c) => (c === '4' ? '5' : '4'));
    expect(verifySigV4({ ...base, url: tampered })).toMatchObject({
      ok: false,
      code: 'SignatureDoesNotMatch',
    });
    const otherPath = S3_PRESIGNED_GET.expected.replace('/test.txt', '/test2.txt');
    expect(verifySigV4({ ...base, url: otherPath })).toMatchObject({
      ok: false,
      code: 'SignatureDoesNotMatch',
    });
    const later = new Date(S3_NOW.getTime() + (S3_PRESIGNED_GET.expiresS + 1) * 1000);
    expect(verifySigV4({ ...base, url: S3_PRESIGNED_GET.expected, now: later })).toMatchObject({
      ok: false,
      code: 'AccessDenied',
      reason: 'Request has expired',
    });
    expect(
      verifySigV4({ ...base, url: S3_PRESIGNED_GET.expected, secretFor: () => undefined }),
    ).toMatchObject({ ok: false, code: 'InvalidAccessKeyId' });
  });

  for (const ex of S3_HEADER_EXAMPLES) {
    it(`accepts the documented Authorization header: ${ex.name}`, () => {
      const headers: Record<string, string> = {
        host: HOST,
        'x-amz-date': '20130524T000000Z',
        'x-amz-content-sha256': ex.payloadHash,
        authorization: `AWS4-HMAC-SHA256 Credential=${S3_KEYS.accessKeyId}/20130524/us-east-1/s3/aws4_request, SignedHeaders=${ex.signedHeaders}, Signature=${ex.signature}`,
      };
      for (const [k, v] of Object.entries(ex.headers)) headers[k.toLowerCase()] = v;
      const check = { method: ex.method, url: ex.url, headers, secretFor, now: S3_NOW };
      expect(verifySigV4(check)).toMatchObject({ ok: true, presigned: false, payloadHash: ex.payloadHash });
      expect(verifySigV4({ ...check, secretFor: () => 'wrong-secret' })).toMatchObject({
        ok: false,
        code: 'SignatureDoesNotMatch',
      });
      expect(verifySigV4({ ...check, method: ex.method === 'GET' ? 'DELETE' : 'GET' })).toMatchObject({
        ok: false,
      });
    });
  }

  it('refuses a request whose clock is 15 minutes off, and one without a signature', () => {
    const ex = S3_HEADER_EXAMPLES[0]!;
    const headers = {
      host: HOST,
      range: 'bytes=0-9',
      'x-amz-date': '20130524T000000Z',
      'x-amz-content-sha256': ex.payloadHash,
      authorization: `AWS4-HMAC-SHA256 Credential=${S3_KEYS.accessKeyId}/20130524/us-east-1/s3/aws4_request, SignedHeaders=${ex.signedHeaders}, Signature=${ex.signature}`,
    };
    const late = new Date(S3_NOW.getTime() + 16 * 60_000);
    expect(verifySigV4({ method: 'GET', url: ex.url, headers, secretFor, now: late })).toMatchObject({
      ok: false,
    });
    expect(verifySigV4({ method: 'GET', url: ex.url, headers: { host: HOST }, secretFor })).toMatchObject({
      ok: false,
      code: 'AccessDenied',
    });
  });
});

describe('fake verifier and client signer agree', () => {
  const keys = { ...S3_KEYS, region: 'cn-beijing', now: new Date() };
  const url = 'http://127.0.0.1:9000/my-bucket/qwen-asr-mcp/20261125/a b+c(1)!.wav';

  it('on a presigned GET with a session token', () => {
    const signed = presignUrl({ ...keys, sessionToken: 'tok/en+1==', method: 'GET', url, expiresS: 600 });
    const verdict = verifySigV4({
      method: 'GET',
      url: signed,
      headers: { host: '127.0.0.1:9000' },
      secretFor,
    });
    expect(verdict).toMatchObject({ ok: true, region: 'cn-beijing' });
  });

  it('on a PUT with an unsigned payload and a list query', () => {
    for (const [method, target] of [
      ['PUT', url],
      [
        'GET',
        'http://127.0.0.1:9000/my-bucket?list-type=2&prefix=qwen-asr-mcp%2F&continuation-token=a%2Bb%3D',
      ],
    ] as const) {
      const added = signRequest({ ...keys, method, url: target, payloadHash: UNSIGNED_PAYLOAD });
      const u = new URL(target);
      const verdict = verifySigV4({
        method,
        url: `http://${u.host}${u.pathname}${u.search}`,
        headers: { host: u.host, ...added },
        secretFor,
      });
      expect(verdict).toMatchObject({ ok: true });
    }
  });
});
