/**
 * AWS Signature Version 4 for a user's own S3-compatible bucket (issue #14): presigned URLs, signed
 * request headers, and verifiers for a test fake. Node's `crypto` only, so no AWS SDK in the bundle.
 *
 * Canonicalisation follows S3's rules, which differ from other AWS services in two ways: the path is
 * URI-encoded once (not twice) and never normalised (`a/../b` and `//` are distinct object keys).
 *
 * Over 300 lines on purpose: the signer and the verifier must canonicalise identically, so they live
 * together.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

const ALGORITHM = 'AWS4-HMAC-SHA256';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
/** SHA-256 of the empty string: the payload hash of a request without a body. */
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
/** AWS refuses presigned URLs valid for longer than seven days; S3-compatible stores copy the limit. */
const MAX_EXPIRES_S = 604_800;
/** How far a signed request's clock may be from ours (S3 allows 15 minutes). */
const MAX_SKEW_MS = 15 * 60 * 1000;

/** What every signature needs; `service` defaults to s3 and `now` to the current time. */
interface SigningInput {
  method: string;
  url: string;
  region: string;
  service?: string | undefined;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
  now?: Date | undefined;
}

export interface PresignInput extends SigningInput {
  expiresS: number;
  /** S3 presigned URLs sign no body; the general SigV4 test suite signs the empty-body hash instead. */
  payloadHash?: string | undefined;
}

export interface SignInput extends SigningInput {
  /** Extra headers the request will carry. Every one is signed, so pass only those sent unchanged. */
  headers?: Record<string, string> | undefined;
  /** `UNSIGNED-PAYLOAD` for a streamed body, else the lowercase hex SHA-256 of the body. */
  payloadHash: string;
}

export const sha256Hex = (data: string | Uint8Array): string =>
  createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data).digest();

/** RFC 3986 encoding as SigV4 wants it: unreserved characters kept, every other UTF-8 byte as %XX. */
function uriEncode(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Percent-decoding that leaves a malformed escape as it is instead of throwing. */
function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Decode then re-encode each segment, so `%24` and `$` both become `%24` and nothing is encoded twice. */
export function canonicalUri(pathname: string): string {
  const encodeSegment = (segment: string) => uriEncode(safeDecode(segment));
  return (pathname || '/').split('/').map(encodeSegment).join('/');
}

/** The query as name/value pairs, decoded; `+` stays a literal plus (RFC 3986, not form encoding). */
function queryPairs(search: string): [string, string][] {
  const pair = (part: string): [string, string] => {
    const eq = part.indexOf('=');
    return eq === -1
      ? [safeDecode(part), '']
      : [safeDecode(part.slice(0, eq)), safeDecode(part.slice(eq + 1))];
  };
  return search.replace(/^\?/, '').split('&').filter(Boolean).map(pair);
}

/** Encoded pairs sorted by name, then value; `?lifecycle` becomes `lifecycle=`. */
function encodeQuery(pairs: [string, string][]): string {
  return pairs
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

export function canonicalQuery(search: string, omit: readonly string[] = []): string {
  return encodeQuery(queryPairs(search).filter(([k]) => !omit.includes(k)));
}

/** Lowercase names, values trimmed with inner runs of spaces collapsed, repeated names comma-joined. */
function canonicalHeaders(headers: Record<string, string>): { block: string; signed: string } {
  const merged = new Map<string, string[]>();
  for (const [name, value] of Object.entries(headers)) {
    const key = name.toLowerCase().trim();
    const list = merged.get(key) ?? [];
    list.push(value.trim().replace(/\s+/g, ' '));
    merged.set(key, list);
  }
  const names = [...merged.keys()].sort();
  return {
    block: names.map((n) => `${n}:${merged.get(n)!.join(',')}\n`).join(''),
    signed: names.join(';'),
  };
}

export interface CanonicalParts {
  method: string;
  url: URL;
  headers: Record<string, string>;
  payloadHash: string;
  omitQuery?: readonly string[];
}

/** The canonical request; exported so tests can compare its hash with the one AWS publishes. */
export function canonicalRequest(p: CanonicalParts): { request: string; signedHeaders: string } {
  const { block, signed } = canonicalHeaders(p.headers);
  const request = [
    p.method.toUpperCase(),
    canonicalUri(p.url.pathname),
    canonicalQuery(p.url.search, p.omitQuery),
    block,
    signed,
    p.payloadHash,
  ].join('\n');
  return { request, signedHeaders: signed };
}

/** 2013-05-24T00:00:00.000Z → 20130524T000000Z */
const amzDate = (d: Date): string => d.toISOString().replace(/[-:]|\.\d{3}/g, '');

function signature(secret: string, date: string, scope: string, request: string): string {
  const [day, region, service] = scope.split('/') as [string, string, string];
  let key = hmac(`AWS4${secret}`, day);
  for (const part of [region, service, 'aws4_request']) key = hmac(key, part);
  return hmac(key, [ALGORITHM, date, scope, sha256Hex(request)].join('\n')).toString('hex');
}

/** Query parameters that carry the signature itself: dropped before (re)signing a URL. */
const AUTH_PARAM = /^X-Amz-(Algorithm|Credential|Date|Expires|SignedHeaders|Security-Token|Signature)$/;

function prepare(input: SigningInput, payloadHash: string) {
  if (payloadHash !== UNSIGNED_PAYLOAD && !/^[0-9a-f]{64}$/.test(payloadHash)) {
    throw new TypeError('payloadHash must be UNSIGNED-PAYLOAD or a lowercase hex SHA-256');
  }
  const date = amzDate(input.now ?? new Date());
  const service = input.service ?? 's3';
  const scope = `${date.slice(0, 8)}/${input.region}/${service}/aws4_request`;
  return { url: new URL(input.url), date, service, scope };
}

/** A URL anyone can use, without credentials, until `expiresS` seconds after `now`. */
export function presignUrl(input: PresignInput): string {
  const { expiresS, payloadHash = UNSIGNED_PAYLOAD } = input;
  if (!Number.isInteger(expiresS) || expiresS < 1 || expiresS > MAX_EXPIRES_S) {
    throw new RangeError(`expiresS must be a whole number of seconds from 1 to ${MAX_EXPIRES_S}`);
  }
  const { url, date, scope } = prepare(input, payloadHash);
  const pairs = queryPairs(url.search).filter(([k]) => !AUTH_PARAM.test(k));
  pairs.push(
    ['X-Amz-Algorithm', ALGORITHM],
    ['X-Amz-Credential', `${input.accessKeyId}/${scope}`],
    ['X-Amz-Date', date],
    ['X-Amz-Expires', String(expiresS)],
    ['X-Amz-SignedHeaders', 'host'],
  );
  if (input.sessionToken) pairs.push(['X-Amz-Security-Token', input.sessionToken]);
  // The path and query sent are exactly the canonical ones, so no client re-encoding can break them.
  url.pathname = canonicalUri(url.pathname);
  url.search = encodeQuery(pairs);
  const headers = { host: url.host };
  const { request } = canonicalRequest({ method: input.method, url, headers, payloadHash });
  const sig = signature(input.secretAccessKey, date, scope, request);
  return `${url.protocol}//${url.host}${url.pathname}${url.search}&X-Amz-Signature=${sig}`;
}

/** Headers to add to a request (lowercase names): authorization, x-amz-date, and the S3/token ones. */
export function signRequest(input: SignInput): Record<string, string> {
  const { url, date, service, scope } = prepare(input, input.payloadHash);
  const added: Record<string, string> = { 'x-amz-date': date };
  // S3 requires x-amz-content-sha256 on every request; other services do not know it.
  if (service === 's3') added['x-amz-content-sha256'] = input.payloadHash;
  if (input.sessionToken) added['x-amz-security-token'] = input.sessionToken;
  const given = Object.entries(input.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]);
  const headers = { host: url.host, ...Object.fromEntries(given), ...added };
  const { request, signedHeaders } = canonicalRequest({ ...input, url, headers });
  const sig = signature(input.secretAccessKey, date, scope, request);
  added.authorization = `${ALGORITHM} Credential=${input.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${sig}`;
  return added;
}

// ---------------------------------------------------------------- verification (for test fakes)

export type VerifyResult = { ok: true; accessKeyId: string } | { ok: false; reason: string };

export interface VerifyInput {
  method: string;
  /** The full URL as received: scheme and Host header plus the raw request target. */
  url: string;
  /** Request headers as received (IncomingMessage.headers will do); a presigned URL may sign none. */
  headers?: Record<string, string | string[] | undefined> | undefined;
  /** The received body: when given, its hash must match a signed x-amz-content-sha256. */
  body?: Uint8Array | undefined;
  /** The secret for an access key id, or undefined if the key is unknown. */
  secretFor: (accessKeyId: string) => string | undefined;
  now?: Date | undefined;
  /** When given, a credential scoped to another region or service is refused. */
  region?: string | undefined;
  service?: string | undefined;
}

/** What a request claims about its own signature, from the query or the Authorization header. */
interface Claim {
  credential: string;
  date: string;
  signedHeaders: string;
  signature: string;
  payloadHash: string;
  omitQuery: readonly string[];
}

const fail = (reason: string): VerifyResult => ({ ok: false, reason });

function headerValue(headers: VerifyInput['headers'], name: string): string | undefined {
  const found = Object.entries(headers ?? {}).find(([k]) => k.toLowerCase() === name)?.[1];
  return Array.isArray(found) ? found.join(',') : found;
}

function parseAmzDate(s: string): number {
  const m = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/.exec(s);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : Number.NaN;
}

function parseUrl(s: string): URL | undefined {
  try {
    return new URL(s);
  } catch {
    return undefined;
  }
}

/** Shared tail of both verifiers: scope, secret, canonical request, constant-time comparison. */
function check(v: VerifyInput, url: URL, c: Claim): VerifyResult {
  const parts = c.credential.split('/');
  if (parts.length !== 5 || parts[4] !== 'aws4_request') return fail('malformed credential');
  const [accessKeyId, day, region, service] = parts as [string, string, string, string];
  if (day !== c.date.slice(0, 8)) return fail('credential date does not match the request date');
  if (v.region !== undefined && region !== v.region) return fail(`credential is for region ${region}`);
  if (v.service !== undefined && service !== v.service) return fail(`credential is for service ${service}`);
  const secret = v.secretFor(accessKeyId);
  if (secret === undefined) return fail('unknown access key');
  const names = c.signedHeaders.split(';');
  if (!names.includes('host')) return fail('host is not a signed header');
  const headers: Record<string, string> = {};
  for (const name of names) {
    const value = headerValue(v.headers, name) ?? (name === 'host' ? url.host : undefined);
    if (value === undefined) return fail(`signed header ${name} is missing`);
    headers[name] = value;
  }
  const { request } = canonicalRequest({ method: v.method, url, headers, ...c });
  const expected = Buffer.from(signature(secret, c.date, parts.slice(1).join('/'), request));
  const actual = Buffer.from(c.signature);
  const same = expected.length === actual.length && timingSafeEqual(expected, actual);
  return same ? { ok: true, accessKeyId } : fail('signature does not match');
}

const REQUIRED_PARAMS = ['Algorithm', 'Credential', 'Date', 'Expires', 'SignedHeaders', 'Signature'].map(
  (name) => `X-Amz-${name}`,
);

export function verifyPresignedUrl(v: VerifyInput): VerifyResult {
  const url = parseUrl(v.url);
  if (!url) return fail('malformed URL');
  const q = new Map<string, string[]>();
  for (const [k, val] of queryPairs(url.search)) q.set(k, [...(q.get(k) ?? []), val]);
  const missing = REQUIRED_PARAMS.filter((p) => !q.has(p));
  if (missing.length > 0) return fail(`missing query parameter ${missing.join(', ')}`);
  const repeated = [...q].find(([k, values]) => AUTH_PARAM.test(k) && values.length > 1)?.[0];
  if (repeated) return fail(`repeated query parameter ${repeated}`);
  const one = (p: string): string => q.get(p)![0]!;
  if (one('X-Amz-Algorithm') !== ALGORITHM) return fail('unsupported algorithm');
  const date = one('X-Amz-Date');
  const signedAt = parseAmzDate(date);
  if (Number.isNaN(signedAt)) return fail('malformed X-Amz-Date');
  const expires = /^\d+$/.test(one('X-Amz-Expires')) ? Number(one('X-Amz-Expires')) : 0;
  if (expires < 1 || expires > MAX_EXPIRES_S) return fail('bad X-Amz-Expires');
  const now = (v.now ?? new Date()).getTime();
  if (now + MAX_SKEW_MS < signedAt) return fail('not yet valid');
  if (now > signedAt + expires * 1000) return fail('expired');
  return check(v, url, {
    credential: one('X-Amz-Credential'),
    date,
    signedHeaders: one('X-Amz-SignedHeaders'),
    signature: one('X-Amz-Signature'),
    payloadHash: UNSIGNED_PAYLOAD,
    omitQuery: ['X-Amz-Signature'],
  });
}

const AUTH_HEADER =
  /^AWS4-HMAC-SHA256 +Credential=([^,\s]+), *SignedHeaders=([^,\s]+), *Signature=([0-9a-f]{64})$/;

export function verifySignedRequest(v: VerifyInput): VerifyResult {
  const url = parseUrl(v.url);
  if (!url) return fail('malformed URL');
  const auth = headerValue(v.headers, 'authorization');
  if (auth === undefined) return fail('missing Authorization header');
  const m = AUTH_HEADER.exec(auth.trim());
  if (!m) return fail('malformed Authorization header');
  const date = headerValue(v.headers, 'x-amz-date');
  if (date === undefined) return fail('missing x-amz-date header');
  const signedAt = parseAmzDate(date);
  if (Number.isNaN(signedAt)) return fail('malformed x-amz-date');
  if (Math.abs((v.now ?? new Date()).getTime() - signedAt) > MAX_SKEW_MS)
    return fail('request time too skewed');
  const bodyHash = v.body && sha256Hex(v.body);
  const payloadHash = headerValue(v.headers, 'x-amz-content-sha256') ?? bodyHash ?? EMPTY_SHA256;
  if (bodyHash && payloadHash !== UNSIGNED_PAYLOAD && bodyHash !== payloadHash) {
    return fail('body does not match x-amz-content-sha256');
  }
  return check(v, url, {
    credential: m[1]!,
    date,
    signedHeaders: m[2]!,
    signature: m[3]!,
    payloadHash,
    omitQuery: [],
  });
}
