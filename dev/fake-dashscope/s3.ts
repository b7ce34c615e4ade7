/**
 * An S3-compatible bucket on the fake's own origin, standing in for the user's own bucket (OSS, S3, R2,
 * MinIO): PUT, GET (presigned), HEAD and DELETE of objects, and ListObjectsV2. Requests are addressed
 * path-style (`/<bucket>/<key>` on the fake's host) or virtual-hosted (Host `<bucket>.<anything>`), and
 * every one must carry a valid AWS Signature Version 4 (sigv4-verify.ts). Uploads are hashed and counted
 * as they stream; only their first `keepUploadBytes` are kept.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { applyFault } from './faults.js';
import { delay, ossError } from './reply.js';
import { type SigVerdict, verifySigV4 } from './sigv4-verify.js';
import type { FakeState, RequestContext, S3Object, S3State } from './types.js';

export async function s3(ctx: RequestContext): Promise<void> {
  const { req, res, fault } = ctx;
  // Faults strike as on the upload route: a delay before the body, a reset during it, a status after it.
  if (fault?.kind === 'delay') await delay(fault.ms);
  if (fault?.kind === 'reset') return void req.socket.destroy();
  if (fault?.kind === 'status')
    return drainThen(req, () =>
      ossError(res, fault.status, 'InternalError', 'We encountered an internal error.'),
    );
  if (fault && fault.kind !== 'delay') {
    await drainThen(req, () => {});
    if (await applyFault(fault, res)) return;
  }
  return bucketRequest(ctx);
}

function bucketRequest(ctx: RequestContext): Promise<void> | void {
  const { req, res, state, url, record } = ctx;
  const bucket = ctx.params.bucket ?? '';
  const key = decodeKey(ctx.params.key ?? '');
  const s3state = state.s3;
  if (bucket !== s3state.bucket)
    return drainThen(req, () => ossError(res, 404, 'NoSuchBucket', 'The specified bucket does not exist.'));
  const verdict = verifySigV4({
    method: req.method ?? 'GET',
    url: `http://${req.headers.host ?? ''}${req.url ?? '/'}`,
    headers: req.headers,
    secretFor: (id) => (id === s3state.accessKeyId ? s3state.secretAccessKey : undefined),
  });
  record.s3 = { bucket, key, verdict };
  if (!verdict.ok) {
    return drainThen(req, () => ossError(res, 403, verdict.code, verdict.reason));
  }
  if (verdict.region !== s3state.region) {
    return drainThen(req, () =>
      ossError(
        res,
        400,
        'AuthorizationHeaderMalformed',
        `The authorization header is malformed; the region '${verdict.region}' is wrong; expecting '${s3state.region}'`,
      ),
    );
  }
  const method = req.method;
  if (method === 'PUT' && key) return putObject(ctx, key, verdict);
  if ((method === 'GET' || method === 'HEAD') && key) {
    const object = s3state.objects.get(key);
    if (!object) return ossError(res, 404, 'NoSuchKey', 'The specified key does not exist.');
    res.writeHead(200, {
      'content-type': object.contentType ?? 'application/octet-stream',
      'content-length': String(method === 'HEAD' ? object.size : object.head.length),
      etag: `"${object.sha256.slice(0, 32)}"`,
    });
    return void res.end(method === 'HEAD' ? undefined : object.head);
  }
  if (method === 'DELETE' && key) {
    s3state.objects.delete(key);
    s3state.deleted.push(key);
    res.writeHead(204);
    return void res.end();
  }
  if (method === 'GET' && !key && url.searchParams.get('list-type') === '2') return listObjects(ctx, s3state);
  return ossError(
    res,
    400,
    'InvalidRequest',
    `The fake bucket does not model ${method} ${url.pathname}${url.search}`,
  );
}

function decodeKey(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** Reads (and drops) the rest of a request body before answering, so the client sees the answer. */
async function drainThen(req: IncomingMessage, answer: () => void): Promise<void> {
  for await (const _ of req as AsyncIterable<Buffer>) {
    // dropped
  }
  answer();
}

async function putObject(
  ctx: RequestContext,
  key: string,
  verdict: Extract<SigVerdict, { ok: true }>,
): Promise<void> {
  const { req, res, record, state } = ctx;
  const declared = req.headers['content-length'];
  if (declared === undefined || !/^\d+$/.test(declared)) {
    return drainThen(req, () =>
      ossError(res, 411, 'MissingContentLength', 'You must provide the Content-Length HTTP header.'),
    );
  }
  const hash = createHash('sha256');
  const keep = state.options.keepUploadBytes;
  const head: Buffer[] = [];
  let kept = 0;
  let size = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      hash.update(chunk);
      if (kept < keep) {
        const part = chunk.subarray(0, keep - kept);
        head.push(Buffer.from(part));
        kept += part.length;
      }
    }
  } catch {
    return; // the client went away mid-body
  }
  record.bodyBytes = size;
  record.endedAt = Date.now();
  const sha256 = hash.digest('hex');
  if (size !== Number(declared))
    return ossError(
      res,
      400,
      'IncompleteBody',
      'You did not provide the number of bytes specified by the Content-Length HTTP header.',
    );
  if (verdict.payloadHash !== 'UNSIGNED-PAYLOAD' && verdict.payloadHash !== sha256)
    return ossError(
      res,
      400,
      'XAmzContentSHA256Mismatch',
      'The provided x-amz-content-sha256 header does not match what was computed.',
    );
  const object: S3Object = {
    key,
    size,
    sha256,
    head: Buffer.concat(head),
    lastModified: Date.now(),
    contentType: req.headers['content-type'],
  };
  state.s3.objects.set(key, object);
  res.writeHead(200, { etag: `"${sha256.slice(0, 32)}"`, 'content-length': '0' });
  res.end();
}

const xml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!,
  );

/** ListObjectsV2: keys in order, `max-keys` per page, the continuation token is the last key sent. */
function listObjects(ctx: RequestContext, s3state: S3State): void {
  const { url, res } = ctx;
  const prefix = url.searchParams.get('prefix') ?? '';
  const maxKeys = Math.min(1000, Math.max(1, Number(url.searchParams.get('max-keys') ?? 1000) || 1000));
  const pageSize = Math.min(maxKeys, s3state.pageSize);
  const token = url.searchParams.get('continuation-token');
  const after = token ? Buffer.from(token, 'base64url').toString('utf8') : '';
  const keys = [...s3state.objects.keys()].filter((k) => k.startsWith(prefix) && k > after).sort();
  const page = keys.slice(0, pageSize);
  const truncated = keys.length > page.length;
  const contents = page
    .map((k) => {
      const o = s3state.objects.get(k)!;
      return `<Contents><Key>${xml(k)}</Key><LastModified>${new Date(o.lastModified).toISOString()}</LastModified><ETag>&quot;${o.sha256.slice(0, 32)}&quot;</ETag><Size>${o.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
    })
    .join('');
  const next = truncated
    ? `<NextContinuationToken>${Buffer.from(page.at(-1)!).toString('base64url')}</NextContinuationToken>`
    : '';
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${xml(s3state.bucket)}</Name><Prefix>${xml(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${maxKeys}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${token ? `<ContinuationToken>${xml(token)}</ContinuationToken>` : ''}${next}${contents}</ListBucketResult>`;
  res.writeHead(200, {
    'content-type': 'application/xml',
    'content-length': String(Buffer.byteLength(body)),
  });
  res.end(body);
}

/** The bucket a Host header names in virtual-hosted style (`<bucket>.<rest>`), if any. */
export function virtualBucket(host: string | undefined, bucket: string): boolean {
  const hostname = (host ?? '').replace(/:\d+$/, '').toLowerCase();
  return hostname.startsWith(`${bucket}.`) && hostname.length > bucket.length + 1;
}

/**
 * What the service's download of a file URL finds when the URL points at this fake bucket: the object,
 * or why not. undefined when the URL is not the fake bucket's.
 */
export function s3Download(
  state: FakeState,
  fileUrl: string,
): { object: S3Object } | { failure: string } | undefined {
  let url: URL;
  try {
    url = new URL(fileUrl);
  } catch {
    return undefined;
  }
  const own = new URL(state.url);
  if (url.port !== own.port) return undefined;
  const { bucket } = state.s3;
  let rawKey: string;
  if (virtualBucket(url.host, bucket)) rawKey = url.pathname.slice(1);
  else if (url.host === own.host && url.pathname.startsWith(`/${bucket}/`))
    rawKey = url.pathname.slice(bucket.length + 2);
  else return undefined;
  const verdict = verifySigV4({
    method: 'GET',
    url: fileUrl,
    headers: { host: url.host },
    secretFor: (id) => (id === state.s3.accessKeyId ? state.s3.secretAccessKey : undefined),
  });
  if (!verdict.ok) return { failure: 'FILE_403_FORBIDDEN' };
  const object = state.s3.objects.get(decodeKey(rawKey));
  return object ? { object } : { failure: 'FILE_404_NOT_FOUND' };
}
