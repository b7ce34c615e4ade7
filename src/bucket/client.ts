/**
 * The user's own S3-compatible bucket as an upload target (issue #14): one streamed, signed PUT per
 * local file, a presigned GET for the model to download it, a signed DELETE when its task ends, and a
 * sweep of forgotten uploads (ListObjectsV2 under the prefix). Requests go out through the shared undici
 * transport handed in by the service; nothing here knows DashScope.
 *
 * Over 300 lines on purpose: upload, presign, delete and the sweep share one signing and error path
 * (which setting to check for which answer), and splitting them would scatter it.
 */
import { randomUUID } from 'node:crypto';
import { basename, extname } from 'node:path';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { BucketConfig } from '../config/bucket.js';
import { CancelledError, InputError, UploadError } from '../domain/errors.js';
import { sleep } from '../domain/waiting.js';
import { errorMessage } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { scrub } from '../util/secrets.js';
import { EMPTY_SHA256, presignUrl, signRequest, UNSIGNED_PAYLOAD } from './sigv4.js';

type Request = typeof import('undici')['request'];

export interface BucketDeps {
  config: BucketConfig;
  /** undici's `request` and the shared dispatcher (HttpClient.transport). */
  transport: () => Promise<{ request: Request; dispatcher: Dispatcher }>;
  logger: Logger;
  timeoutMs: number;
  attempts: number;
  now?: () => number;
}

/**
 * What is uploaded: a local file already opened and checked, whose size was read before the upload.
 * Its bytes come from `chunks` (the one descriptor the file was checked on), from byte 0 each attempt.
 */
export interface LocalFile {
  path: string;
  name: string;
  size: number;
  mime: string;
  chunks: (chunkBytes: number, signal?: AbortSignal) => AsyncIterable<Buffer>;
}

interface Answer {
  status: number;
  text: string;
}

/** A list answer larger than this is not a list answer. */
const MAX_ANSWER_BYTES = 8 * 1024 * 1024;
const MAX_LIST_PAGES = 200;
/** Short requests (DELETE, list) get at most this long: they run at the end of a transcription. */
const SHORT_TIMEOUT_MS = 30_000;
/** S3 (and OSS, R2, MinIO after it) takes at most 5 GiB in one PUT. */
const MAX_PUT_BYTES = 5 * 1024 ** 3;
/** Hosts the service cannot download from: loopback, private networks, link-local, `.local`. */
const PRIVATE_HOST =
  /^(localhost|.*\.localhost|.*\.local|127\.\d+\.\d+\.\d+|10\.\d+\.\d+\.\d+|192\.168\.\d+\.\d+|172\.(1[6-9]|2\d|3[01])\.\d+\.\d+|169\.254\.\d+\.\d+|\[::1\]|\[f[cd][0-9a-f]*:.*\])$/i;

export class BucketClient {
  private readonly deleted = new Set<string>();
  private sweeping: Promise<number> | undefined;

  constructor(private readonly deps: BucketDeps) {}

  private get config(): BucketConfig {
    return this.deps.config;
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  /** `<prefix><yyyymmdd>/<uuid>-<stem ≤80>.<ext>`, safe characters only. */
  objectKey(fileName: string): string {
    const ext = extname(fileName)
      .slice(1)
      .replace(/[^A-Za-z0-9]/g, '')
      .slice(0, 10)
      .toLowerCase();
    const stem =
      basename(fileName, extname(fileName))
        .normalize('NFKD')
        .replace(/\p{M}+/gu, '') // é → e, not e_
        .replace(/[^A-Za-z0-9._-]+/g, '_')
        .replace(/^[._]+|_+$/g, '')
        .slice(0, 80) || 'audio';
    const day = new Date(this.now()).toISOString().slice(0, 10).replace(/-/g, '');
    return `${this.config.prefix}${day}/${randomUUID()}-${stem}${ext ? `.${ext}` : ''}`;
  }

  /** Virtual-hosted (`https://bucket.host/key`) unless path style is configured. */
  objectUrl(key = ''): string {
    const { endpoint, name, pathStyle } = this.config;
    const origin = new URL(endpoint);
    const path = key.split('/').map(encodeURIComponent).join('/');
    if (pathStyle) return `${origin.origin}/${name}${key ? `/${path}` : ''}`;
    return `${origin.protocol}//${name}.${origin.host}/${path}`;
  }

  /** A link the model can download the object with, for ASR_BUCKET_URL_TTL_S seconds. */
  presignGet(key: string): string {
    return presignUrl({
      ...this.signing(),
      method: 'GET',
      url: this.objectUrl(key),
      expiresS: this.config.urlTtlS,
    });
  }

  private signing() {
    const { region, accessKeyId, secretAccessKey, sessionToken } = this.config;
    return { region, accessKeyId, secretAccessKey, sessionToken, now: new Date(this.now()) };
  }

  /** Streams the file up in one PUT (memory stays flat), retrying transient failures. */
  async upload(
    file: LocalFile,
    key: string,
    opts: { signal?: AbortSignal; onProgress?: (p: { sent: number; total: number }) => void } = {},
  ): Promise<void> {
    if (file.size > MAX_PUT_BYTES) {
      throw new UploadError(
        `${file.name} is ${(file.size / 1024 ** 3).toFixed(1)} GiB, over the 5 GiB that one PUT to an S3-compatible store takes. Nothing was uploaded.`,
        { hint: 'Compress it (e.g. to 64 kbit/s mono MP3 or Opus), or split it.' },
      );
    }
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.deps.attempts; attempt++) {
      try {
        await this.put(file, key, opts);
        return;
      } catch (err) {
        if (err instanceof CancelledError || opts.signal?.aborted)
          throw new CancelledError('Upload cancelled.');
        if (err instanceof InputError) throw err; // the local file, not the store: never worth a retry
        lastError = err;
        const transient = !(err instanceof UploadError) || err.status === undefined || err.status >= 500;
        this.deps.logger.warn(
          `bucket upload attempt ${attempt}/${this.deps.attempts} of ${file.name} failed: ${errorMessage(err)}`,
        );
        if (!transient) break;
        if (attempt < this.deps.attempts) await sleep(Math.min(4000, 250 * 2 ** attempt), opts.signal);
      }
    }
    throw lastError;
  }

  private async put(
    file: LocalFile,
    key: string,
    opts: { signal?: AbortSignal; onProgress?: (p: { sent: number; total: number }) => void },
  ): Promise<void> {
    let sent = 0;
    const report = opts.onProgress;
    // The reader refuses a file that changed size (an InputError naming it); 1 MiB reads.
    async function* body(): AsyncGenerator<Buffer> {
      for await (const chunk of file.chunks(1024 * 1024, opts.signal)) {
        sent += chunk.length;
        report?.({ sent, total: file.size });
        yield chunk;
      }
    }
    const answer = await this.send('PUT', this.objectUrl(key), {
      headers: { 'content-length': String(file.size), 'content-type': file.mime },
      // The generator itself (undici takes any async iterable): no second buffer before the socket.
      body: body() as unknown as Readable,
      signal: opts.signal,
      purpose: `upload ${file.name} to the bucket`,
      timeoutMs: this.deps.timeoutMs,
    });
    if (answer.status !== 200) throw this.failure('upload', answer, key);
  }

  /** Deletes one object; a second call for the same key does nothing. Never throws. */
  async remove(key: string, why: string): Promise<void> {
    if (this.config.keep || this.deleted.has(key)) return;
    this.deleted.add(key);
    try {
      const answer = await this.send('DELETE', this.objectUrl(key), { purpose: `delete ${key}` });
      if (answer.status !== 204 && answer.status !== 200 && answer.status !== 404)
        throw this.failure('delete', answer, key);
      this.deps.logger.debug(`deleted ${key} from bucket ${this.config.name} (${why})`);
    } catch (err) {
      this.deleted.delete(key);
      this.deps.logger.warn(
        `could not delete ${key} from bucket ${this.config.name}: ${errorMessage(err)} (the start-up sweep will retry it once it is older than ASR_BUCKET_URL_TTL_S)`,
      );
    }
  }

  /** The sweep, run once per process, in the background; resolves with how many objects it deleted. */
  sweepOnce(): Promise<number> {
    if (!this.sweeping && PRIVATE_HOST.test(new URL(this.config.endpoint).hostname)) {
      this.deps.logger.warn(
        `ASR_BUCKET_ENDPOINT ${this.config.endpoint} is a local or private address: DashScope downloads the file from the bucket itself, from Alibaba Cloud, and cannot reach it there.`,
      );
    }
    this.sweeping ??= this.sweep().catch((err) => {
      this.deps.logger.warn(
        `sweeping old uploads from bucket ${this.config.name} failed: ${errorMessage(err)}`,
      );
      return 0;
    });
    return this.sweeping;
  }

  /** Deletes our objects under the prefix that are older than the URL lifetime (no link to them works). */
  private async sweep(): Promise<number> {
    if (this.config.keep) return 0;
    const cutoff = this.now() - this.config.urlTtlS * 1000;
    const ours = new RegExp(`^${escapeRegExp(this.config.prefix)}\\d{8}/[0-9a-f-]{36}-`);
    let token: string | undefined;
    let deleted = 0;
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      const list = await this.list(token);
      for (const o of list.objects) {
        if (!ours.test(o.key) || !(o.lastModified < cutoff)) continue;
        await this.remove(o.key, 'older than ASR_BUCKET_URL_TTL_S');
        deleted++;
      }
      if (!list.next || list.next === token) break;
      token = list.next;
    }
    if (deleted > 0)
      this.deps.logger.info(`deleted ${deleted} old upload(s) from bucket ${this.config.name}`);
    return deleted;
  }

  private async list(token: string | undefined): Promise<ListPage> {
    const q = new URLSearchParams({ 'list-type': '2', prefix: this.config.prefix, 'max-keys': '1000' });
    if (token) q.set('continuation-token', token);
    const answer = await this.send('GET', `${this.objectUrl()}?${q.toString().replace(/\+/g, '%20')}`, {
      purpose: 'list old uploads',
    });
    if (answer.status !== 200) throw this.failure('list', answer, this.config.prefix);
    return parseListObjects(answer.text);
  }

  private async send(
    method: 'PUT' | 'DELETE' | 'GET',
    url: string,
    opts: {
      headers?: Record<string, string>;
      body?: Readable;
      signal?: AbortSignal | undefined;
      purpose: string;
      timeoutMs?: number;
    },
  ): Promise<Answer> {
    const timeoutMs = opts.timeoutMs ?? Math.min(this.deps.timeoutMs, SHORT_TIMEOUT_MS);
    const signed = signRequest({
      ...this.signing(),
      method,
      url,
      payloadHash: opts.body ? UNSIGNED_PAYLOAD : EMPTY_SHA256,
    });
    const { request, dispatcher } = await this.deps.transport();
    try {
      const res = await request(url, {
        method,
        headers: { ...opts.headers, ...signed },
        body: opts.body,
        dispatcher,
        signal: opts.signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      return { status: res.statusCode, text: await readLimited(res.body) };
    } catch (err) {
      if (opts.signal?.aborted) throw new CancelledError('Upload cancelled.');
      if (err instanceof UploadError) throw err;
      const code = (err as { code?: string }).code ?? (err as { cause?: { code?: string } }).cause?.code;
      throw new UploadError(
        `Could not ${opts.purpose} at ${new URL(url).host}: ${code ? 'network error' : errorMessage(err)}.`,
        {
          code,
          cause: err,
          hint: `Check ASR_BUCKET_ENDPOINT (${this.config.endpoint})${this.config.pathStyle ? '' : ' and, for a local store or an IP address, ASR_BUCKET_PATH_STYLE=true'}, and that the store is running and reachable.`,
        },
      );
    }
  }

  /** An error answer as an UploadError whose hint names the setting to check. */
  private failure(action: 'upload' | 'delete' | 'list', answer: Answer, key: string): UploadError {
    const code = xmlText(answer.text, 'Code');
    const message = xmlText(answer.text, 'Message');
    const { credentialVars, name, endpoint, region } = this.config;
    const hints: Record<string, string> = {
      SignatureDoesNotMatch: `The secret does not match the access key: check ${credentialVars}, and ASR_BUCKET_REGION (${region}), which is part of the signature.`,
      InvalidAccessKeyId: `The store does not know this access key: check ${credentialVars}, and that ASR_BUCKET_ENDPOINT (${endpoint}) is the store the key belongs to.`,
      AccessDenied: `The credentials in ${credentialVars} may not ${action === 'list' ? 'list' : action === 'delete' ? 'delete objects in' : 'write to'} bucket ${name}: grant PutObject, GetObject, DeleteObject and ListBucket on it (under ASR_BUCKET_PREFIX), or check the bucket policy.`,
      NoSuchBucket: `There is no bucket "${name}" at ${endpoint}: check ASR_BUCKET and ASR_BUCKET_ENDPOINT (the endpoint of the bucket's own region).`,
      AuthorizationHeaderMalformed: `The store expects another region: check ASR_BUCKET_REGION (now ${region}).`,
      PermanentRedirect: `The bucket lives in another region: set ASR_BUCKET_ENDPOINT to that region's endpoint, and ASR_BUCKET_REGION to match.`,
      InvalidBucketName: 'Check ASR_BUCKET.',
      ExpiredToken: `The session token has expired: refresh ${credentialVars}.`,
      InvalidToken: `Check the session token in ${credentialVars}.`,
      RequestTimeTooSkewed: "This computer's clock is off by more than 15 minutes; correct it.",
      EntityTooLarge: 'The store refused the file as too large for one upload; compress it.',
    };
    const what =
      action === 'upload'
        ? `Uploading to bucket ${name}`
        : action === 'delete'
          ? `Deleting ${key}`
          : `Listing ${key} in bucket ${name}`;
    return new UploadError(
      // describe() adds the status and the code; the store's own words say the rest.
      scrub(`${what} failed${message ? `: ${message.slice(0, 300).replace(/\.$/, '')}` : ''}.`),
      {
        code,
        status: answer.status,
        hint:
          (code && hints[code]) ??
          (answer.status === 403
            ? `Check ${credentialVars}, ASR_BUCKET_REGION and the bucket's permissions.`
            : answer.status === 301 || answer.status === 307
              ? "Check ASR_BUCKET_ENDPOINT (the endpoint of the bucket's own region) and ASR_BUCKET_PATH_STYLE."
              : 'Check ASR_BUCKET_ENDPOINT and ASR_BUCKET; try again if the store is having trouble.'),
      },
    );
  }
}

async function readLimited(body: AsyncIterable<Buffer> & { destroy?: () => void }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > MAX_ANSWER_BYTES) {
      body.destroy?.();
      throw new UploadError(`The bucket's answer is larger than ${MAX_ANSWER_BYTES} bytes.`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

interface ListPage {
  objects: { key: string; lastModified: number }[];
  next: string | undefined;
}

/**
 * Just enough of a ListObjectsV2 answer: each `<Contents>`'s Key and LastModified, and the continuation
 * token when the list is truncated. No DTD, no entities beyond the five predefined and numeric ones.
 */
export function parseListObjects(xml: string): ListPage {
  const objects: ListPage['objects'] = [];
  for (const m of xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
    const key = xmlText(m[1]!, 'Key');
    const modified = Date.parse(xmlText(m[1]!, 'LastModified') ?? '');
    if (key !== undefined && Number.isFinite(modified)) objects.push({ key, lastModified: modified });
  }
  const truncated = xmlText(xml, 'IsTruncated') === 'true';
  return { objects, next: truncated ? xmlText(xml, 'NextContinuationToken') : undefined };
}

function xmlText(xml: string, tag: string): string | undefined {
  const m = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml);
  return m ? decodeXml(m[1]!) : undefined;
}

function decodeXml(s: string): string {
  const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
  return s.replace(/&(#x[0-9a-fA-F]{1,6}|#\d{1,7}|amp|lt|gt|quot|apos);/g, (all, e: string) => {
    if (!e.startsWith('#')) return named[e] ?? all;
    const code = e[1] === 'x' ? Number.parseInt(e.slice(2), 16) : Number(e.slice(1));
    return code <= 0x10ffff ? String.fromCodePoint(code) : all;
  });
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
