import { describe, expect, it } from 'vitest';
import {
  canonicalQuery,
  canonicalRequest,
  canonicalUri,
  EMPTY_SHA256,
  presignUrl,
  sha256Hex,
  signRequest,
  UNSIGNED_PAYLOAD,
  verifyPresignedUrl,
  verifySignedRequest,
} from '../../src/bucket/sigv4.js';
import { S3_HEADER_EXAMPLES, S3_KEYS, S3_NOW, S3_PRESIGNED_GET } from '../helpers/aws-sigv4-examples.js';

/*
 * Worked examples published by AWS, transcribed as constants.
 *
 * S3_* come from the Amazon S3 API Reference:
 *  - "Authenticating Requests: Using Query Parameters (AWS Signature Version 4)",
 *    https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html (presigned GET example);
 *  - "Signature Calculations for the Authorization Header: Transferring Payload in a Single Chunk
 *    (AWS Signature Version 4)", https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
 *    ("Examples: Signature Calculations": GET Object, PUT Object, GET Bucket Lifecycle, Get Bucket (List Objects)).
 * Each carries the hash of the canonical request printed on the page (the last line of its
 * StringToSign), so a mismatch shows whether canonicalisation or signing diverged.
 *
 * SUITE_* come from AWS's Signature Version 4 test suite
 * (https://docs.aws.amazon.com/general/latest/gr/signature-v4-test-suite.html), as AWS ships it in
 * github.com/awslabs/aws-c-auth, tests/aws-signing-test-suite/v4/<case>/ (context.json,
 * header-signature.txt, query-signature.txt, header-signed-request.txt).
 */
const SUITE = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  region: 'us-east-1',
  service: 'service',
  now: new Date('2015-08-30T12:36:00Z'),
};
const SUITE_TOKEN = '6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267';
const SUITE_CASES = [
  {
    name: 'get-vanilla',
    url: 'https://example.amazonaws.com/',
    header:
      'SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    query: 'e93c787ed7f371d5c6b165c1b38ede9550f4dce4144713e844b25b7192d3865d',
  },
  {
    name: 'get-vanilla-query-order-key-case',
    url: 'https://example.amazonaws.com/?Param2=value2&Param1=value1',
    header:
      'SignedHeaders=host;x-amz-date, Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500',
    query: '86012e2c9ad4d77369f5d81c11f75158aae4f895a085212cc6d3f923d300bed5',
  },
  {
    name: 'get-vanilla-with-session-token',
    url: 'https://example.amazonaws.com/',
    sessionToken: SUITE_TOKEN,
    header:
      'SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8',
    query: '7ff2b50b376cb4d151970630573d6291dc128cc5c2a12ffb237f73cc53f67b6c',
  },
];

describe('AWS published examples', () => {
  it('S3 presigned GET (query-string auth) reproduces the documented URL', () => {
    const url = presignUrl({
      method: 'GET',
      url: S3_PRESIGNED_GET.url,
      region: 'us-east-1',
      ...S3_KEYS,
      expiresS: S3_PRESIGNED_GET.expiresS,
      now: S3_NOW,
    });
    expect(url).toBe(S3_PRESIGNED_GET.expected);
    const parsed = new URL(url);
    const { request } = canonicalRequest({
      method: 'GET',
      url: parsed,
      headers: { host: parsed.host },
      payloadHash: UNSIGNED_PAYLOAD,
      omitQuery: ['X-Amz-Signature'],
    });
    expect(sha256Hex(request)).toBe(S3_PRESIGNED_GET.canonicalRequestHash);
  });

  for (const ex of S3_HEADER_EXAMPLES) {
    it(`S3 Authorization header: ${ex.name}`, () => {
      const added = signRequest({ ...ex, region: 'us-east-1', ...S3_KEYS, now: S3_NOW });
      expect(added['x-amz-date']).toBe('20130524T000000Z');
      expect(added['x-amz-content-sha256']).toBe(ex.payloadHash);
      expect(added.authorization).toBe(
        `AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=${ex.signedHeaders}, Signature=${ex.signature}`,
      );
      const url = new URL(ex.url);
      const headers = {
        host: url.host,
        ...ex.headers,
        'x-amz-date': '20130524T000000Z',
        'x-amz-content-sha256': ex.payloadHash,
      };
      const { request } = canonicalRequest({ method: ex.method, url, headers, payloadHash: ex.payloadHash });
      expect(sha256Hex(request)).toBe(ex.canonicalRequestHash);
    });
  }

  it('the PUT example payload hash is the SHA-256 of its body', () => {
    expect(sha256Hex('Welcome to Amazon S3.')).toBe(S3_HEADER_EXAMPLES[1]!.payloadHash);
  });

  for (const c of SUITE_CASES) {
    it(`SigV4 test suite ${c.name}: header and query signing`, () => {
      const keys = { ...SUITE, sessionToken: c.sessionToken };
      const added = signRequest({ ...keys, method: 'GET', url: c.url, payloadHash: EMPTY_SHA256 });
      expect(added.authorization).toBe(
        `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, ${c.header}`,
      );
      // Not S3, so no x-amz-content-sha256 header (the suite's canonical requests have none).
      expect(added['x-amz-content-sha256']).toBeUndefined();
      expect(added['x-amz-security-token']).toBe(c.sessionToken);
      const url = presignUrl({
        ...keys,
        method: 'GET',
        url: c.url,
        expiresS: 3600,
        payloadHash: EMPTY_SHA256,
      });
      expect(new URL(url).searchParams.get('X-Amz-Signature')).toBe(c.query);
    });
  }
});

describe('canonical forms', () => {
  it('encodes each path segment once, keeping slashes and unreserved characters', () => {
    expect(canonicalUri('/test$file.text')).toBe('/test%24file.text');
    expect(canonicalUri('/test%24file.text')).toBe('/test%24file.text');
    expect(canonicalUri('/a%20b/c d/ü/x~y_z-.')).toBe('/a%20b/c%20d/%C3%BC/x~y_z-.');
    expect(canonicalUri('/key%2Fwith%2Fslashes')).toBe('/key%2Fwith%2Fslashes');
    expect(canonicalUri('//double//slash/')).toBe('//double//slash/');
    expect(canonicalUri('/100%')).toBe('/100%25');
    expect(canonicalUri('')).toBe('/');
  });

  it('sorts the query by name then value and encodes per RFC 3986', () => {
    expect(canonicalQuery('?b=2&a=2&a=1&c')).toBe('a=1&a=2&b=2&c=');
    expect(canonicalQuery('?prefix=a b&x=%2F+*')).toBe('prefix=a%20b&x=%2F%2B%2A');
    expect(canonicalQuery('?Z=1&a=1')).toBe('Z=1&a=1');
    expect(canonicalQuery('')).toBe('');
  });

  it('lowercases header names, trims values and collapses inner spaces', () => {
    const { request, signedHeaders } = canonicalRequest({
      method: 'get',
      url: new URL('https://h.example/'),
      headers: { Host: 'h.example', 'X-Custom': '  a   b  c ' },
      payloadHash: UNSIGNED_PAYLOAD,
    });
    expect(signedHeaders).toBe('host;x-custom');
    expect(request).toBe('GET\n/\n\nhost:h.example\nx-custom:a b c\n\nhost;x-custom\nUNSIGNED-PAYLOAD');
  });

  it('signs a path that needs encoding and sends it exactly as signed', () => {
    const url = presignUrl({
      method: 'GET',
      url: 'https://b.example:9000/my bucket/notes (1).wav?response-content-disposition=attachment; filename="a b.wav"',
      region: 'auto',
      ...S3_KEYS,
      expiresS: 60,
      now: S3_NOW,
    });
    expect(url.startsWith('https://b.example:9000/my%20bucket/notes%20%281%29.wav?')).toBe(true);
    expect(url).toContain('response-content-disposition=attachment%3B%20filename%3D%22a%20b.wav%22');
  });

  it('refuses bad expiry and payload hashes', () => {
    const base = { method: 'GET', url: S3_PRESIGNED_GET.url, region: 'us-east-1', ...S3_KEYS };
    expect(() => presignUrl({ ...base, expiresS: 0 })).toThrow(RangeError);
    expect(() => presignUrl({ ...base, expiresS: 604_801 })).toThrow(RangeError);
    expect(() => presignUrl({ ...base, expiresS: 1.5 })).toThrow(RangeError);
    expect(() => signRequest({ ...base, payloadHash: 'Welcome' })).toThrow(TypeError);
  });
});

describe('round trips through the verifiers', () => {
  const secrets = new Map([[S3_KEYS.accessKeyId, S3_KEYS.secretAccessKey]]);
  const secretFor = (id: string) => secrets.get(id);
  const presign = (extra: { sessionToken?: string } = {}) =>
    presignUrl({
      method: 'GET',
      url: 'http://127.0.0.1:9000/bucket/audio/a b.wav',
      region: 'us-east-1',
      ...S3_KEYS,
      ...extra,
      expiresS: 600,
      now: S3_NOW,
    });
  const at = (seconds: number) => new Date(S3_NOW.getTime() + seconds * 1000);

  it('accepts a fresh presigned URL, with and without a session token', () => {
    for (const url of [presign(), presign({ sessionToken: 'tok/en+=' })]) {
      expect(verifyPresignedUrl({ method: 'GET', url, secretFor, now: at(1), region: 'us-east-1' })).toEqual({
        ok: true,
        accessKeyId: S3_KEYS.accessKeyId,
      });
    }
    expect(presign({ sessionToken: 'tok/en+=' })).toContain('X-Amz-Security-Token=tok%2Fen%2B%3D');
  });

  it('refuses tampering, expiry, wrong method, unknown keys and missing parameters', () => {
    const url = presign();
    const verify = (u: string, now = at(1), method = 'GET') =>
      verifyPresignedUrl({ method, url: u, secretFor, now });
    expect(verify(url.replace('/audio/', '/other/'))).toEqual({
      ok: false,
      reason: 'signature does not match',
    });
    expect(verify(`${url}&extra=1`)).toEqual({ ok: false, reason: 'signature does not match' });
    expect(verify(url.replace('X-Amz-Expires=600', 'X-Amz-Expires=6000'))).toEqual({
      ok: false,
      reason: 'signature does not match',
    });
    expect(verify(url, at(1), 'PUT')).toEqual({ ok: false, reason: 'signature does not match' });
    expect(verify(url, at(601))).toEqual({ ok: false, reason: 'expired' });
    expect(verify(url, at(-3600))).toEqual({ ok: false, reason: 'not yet valid' });
    expect(verify(url.replace(/&X-Amz-Signature=[0-9a-f]+/, ''))).toEqual({
      ok: false,
      reason: 'missing query parameter X-Amz-Signature',
    });
    expect(verify(url.replace('AKIAIOSFODNN7EXAMPLE', 'AKIAOTHER'))).toEqual({
      ok: false,
      reason: 'unknown access key',
    });
    expect(verifyPresignedUrl({ method: 'GET', url, secretFor, now: at(1), region: 'eu-west-1' })).toEqual({
      ok: false,
      reason: 'credential is for region us-east-1',
    });
    expect(verify('not a url')).toEqual({ ok: false, reason: 'malformed URL' });
  });

  it('accepts a signed request and refuses a changed header, body or clock', () => {
    const body = Buffer.from('RIFF....WAVE');
    const url = 'http://127.0.0.1:9000/bucket/audio/x.wav';
    const added = signRequest({
      method: 'PUT',
      url,
      region: 'us-east-1',
      headers: { 'Content-Type': 'audio/wav' },
      payloadHash: sha256Hex(body),
      ...S3_KEYS,
      sessionToken: 'session',
      now: S3_NOW,
    });
    const headers: Record<string, string> = { host: '127.0.0.1:9000', 'content-type': 'audio/wav', ...added };
    const verify = (h: Record<string, string>, b: Uint8Array = body, now = at(5)) =>
      verifySignedRequest({ method: 'PUT', url, headers: h, body: b, secretFor, now });
    expect(verify(headers)).toEqual({ ok: true, accessKeyId: S3_KEYS.accessKeyId });
    expect(verify({ ...headers, 'content-type': 'audio/mpeg' })).toEqual({
      ok: false,
      reason: 'signature does not match',
    });
    expect(verify(headers, Buffer.from('other'))).toEqual({
      ok: false,
      reason: 'body does not match x-amz-content-sha256',
    });
    expect(verify(headers, body, at(3600))).toEqual({ ok: false, reason: 'request time too skewed' });
    const { 'x-amz-security-token': _dropped, ...withoutToken } = headers;
    expect(verify(withoutToken)).toEqual({
      ok: false,
      reason: 'signed header x-amz-security-token is missing',
    });
    const { authorization: _auth, ...unsigned } = headers;
    expect(verify(unsigned)).toEqual({ ok: false, reason: 'missing Authorization header' });
  });

  it('verifies the published header example with the documented secret', () => {
    const ex = S3_HEADER_EXAMPLES[0]!;
    const headers = {
      host: 'examplebucket.s3.amazonaws.com',
      range: 'bytes=0-9',
      'x-amz-content-sha256': EMPTY_SHA256,
      'x-amz-date': '20130524T000000Z',
      authorization: `AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=${ex.signedHeaders},Signature=${ex.signature}`,
    };
    expect(verifySignedRequest({ method: 'GET', url: ex.url, headers, secretFor, now: S3_NOW })).toEqual({
      ok: true,
      accessKeyId: S3_KEYS.accessKeyId,
    });
  });
});
