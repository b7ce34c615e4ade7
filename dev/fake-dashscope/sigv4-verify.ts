/**
 * The fake storage's own AWS Signature Version 4 check, written from AWS's description of S3 request
 * authentication and independent of the client's signer: a bug in one must not be mirrored in the
 * other. It accepts an Authorization header or a presigned query string, recomputes the signature with
 * the secret it knows for the access key, and says why it refused.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export interface SigCheck {
  method: string;
  /** Scheme, the Host header, and the raw request target. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  secretFor: (accessKeyId: string) => string | undefined;
  now?: Date;
}

export type SigVerdict =
  | { ok: true; accessKeyId: string; region: string; presigned: boolean; payloadHash: string }
  | { ok: false; code: 'SignatureDoesNotMatch' | 'InvalidAccessKeyId' | 'AccessDenied'; reason: string };

const hex = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');
const mac = (k: string | Buffer, s: string) => createHmac('sha256', k).update(s).digest();

/** RFC 3986 unreserved kept, everything else %XX per UTF-8 byte. */
function enc(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
function dec(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function header(h: SigCheck['headers'], name: string): string | undefined {
  const v = h[name] ?? Object.entries(h).find(([k]) => k.toLowerCase() === name)?.[1];
  return Array.isArray(v) ? v.join(',') : v;
}

function stamp(s: string): number {
  const m = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/.exec(s);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : Number.NaN;
}

const refuse = (
  code: 'SignatureDoesNotMatch' | 'InvalidAccessKeyId' | 'AccessDenied',
  reason: string,
): SigVerdict => ({
  ok: false,
  code,
  reason,
});

export function verifySigV4(c: SigCheck): SigVerdict {
  const url = new URL(c.url);
  const rawQuery = url.search.slice(1);
  const pairs = rawQuery
    .split('&')
    .filter(Boolean)
    .map((p) => {
      const i = p.indexOf('=');
      return i < 0 ? [dec(p), ''] : [dec(p.slice(0, i)), dec(p.slice(i + 1))];
    }) as [string, string][];
  const q = new Map(pairs);
  const presigned = q.has('X-Amz-Signature');
  let credential: string;
  let signedHeaders: string;
  let given: string;
  let date: string;
  let payloadHash: string;
  const now = (c.now ?? new Date()).getTime();
  if (presigned) {
    if (q.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') return refuse('AccessDenied', 'bad X-Amz-Algorithm');
    credential = q.get('X-Amz-Credential') ?? '';
    signedHeaders = q.get('X-Amz-SignedHeaders') ?? '';
    given = q.get('X-Amz-Signature') ?? '';
    date = q.get('X-Amz-Date') ?? '';
    payloadHash = 'UNSIGNED-PAYLOAD';
    const expires = Number(q.get('X-Amz-Expires'));
    if (!Number.isInteger(expires) || expires < 1 || expires > 604_800)
      return refuse('AccessDenied', 'X-Amz-Expires must be 1 to 604800');
    if (now > stamp(date) + expires * 1000) return refuse('AccessDenied', 'Request has expired');
  } else {
    const auth = header(c.headers, 'authorization') ?? '';
    const m =
      /^AWS4-HMAC-SHA256\s+Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/.exec(
        auth.trim(),
      );
    if (!m) return refuse('AccessDenied', 'missing or malformed Authorization header');
    [, credential, signedHeaders, given] = m as unknown as [string, string, string, string];
    date = header(c.headers, 'x-amz-date') ?? '';
    payloadHash = header(c.headers, 'x-amz-content-sha256') ?? '';
    if (!payloadHash) return refuse('AccessDenied', 'missing x-amz-content-sha256');
    if (Math.abs(now - stamp(date)) > 15 * 60_000) return refuse('AccessDenied', 'RequestTimeTooSkewed');
  }
  if (Number.isNaN(stamp(date))) return refuse('AccessDenied', 'malformed date');
  const [keyId, day, region, service, term, ...extra] = credential.split('/');
  if (!keyId || !day || !region || !service || term !== 'aws4_request' || extra.length > 0)
    return refuse('AccessDenied', 'malformed Credential');
  if (day !== date.slice(0, 8))
    return refuse('SignatureDoesNotMatch', 'credential day is not the request day');
  const secret = c.secretFor(keyId);
  if (secret === undefined) return refuse('InvalidAccessKeyId', 'unknown access key');
  const names = signedHeaders.split(';');
  if (!names.includes('host')) return refuse('AccessDenied', 'host must be signed');
  const lines: string[] = [];
  for (const n of names) {
    const v = header(c.headers, n);
    if (v === undefined) return refuse('SignatureDoesNotMatch', `signed header ${n} not sent`);
    lines.push(`${n}:${v.trim().replace(/\s+/g, ' ')}\n`);
  }
  const path = (url.pathname || '/')
    .split('/')
    .map((seg) => enc(dec(seg)))
    .join('/');
  const query = pairs
    .filter(([k]) => k !== 'X-Amz-Signature')
    .map(([k, v]) => [enc(k), enc(v)])
    .sort(([a, x], [b, y]) => (a! < b! ? -1 : a! > b! ? 1 : x! < y! ? -1 : x! > y! ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonical = [c.method, path, query, lines.join(''), signedHeaders, payloadHash].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', date, scope, hex(canonical)].join('\n');
  const key = [day, region, service, 'aws4_request'].reduce<string | Buffer>(
    (k, part) => mac(k, part),
    `AWS4${secret}`,
  );
  const expected = Buffer.from(mac(key, toSign).toString('hex'));
  const actual = Buffer.from(given);
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual))
    return refuse(
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided.',
    );
  return { ok: true, accessKeyId: keyId, region, presigned, payloadHash };
}
