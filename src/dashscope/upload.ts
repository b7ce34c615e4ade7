/**
 * DashScope's temporary upload for local files given to async models: get a signed OSS policy, POST the
 * file as multipart/form-data streamed from its open descriptor (so memory stays flat whatever the
 * size, and what is sent is the file that was checked), and hand back
 * `oss://<key>`. The policy forbids overwriting, so every attempt gets a fresh key.
 */
import { randomUUID } from 'node:crypto';
import { extname } from 'node:path';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { FileAudio } from '../audio/source.js';
import { sanitizeName } from '../audio/source.js';
import { ApiError, CancelledError, InputError, UploadError } from '../domain/errors.js';
import { sleep } from '../domain/waiting.js';
import { type HttpClient, urlForLog } from '../http/client.js';
import { errorMessage } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { parsePolicy, type UploadPolicy } from './parse.js';

export interface UploadDeps {
  http: HttpClient;
  nativeBaseUrl: string;
  headers: () => Record<string, string>;
  logger: Logger;
  attempts: number;
  timeoutMs: number;
  now?: () => number;
  /** Singapore's temporary upload is documented only since late 2026: a refusal there gets its own words. */
  region?: string;
  userAgent?: string;
}

/** What is uploaded: a local file (read from disk), or audio held in memory (`data`, inline audio). */
/** A checked local file (read through its one descriptor) or inline audio already in memory. */
type UploadSource = Pick<FileAudio, 'path' | 'name' | 'size' | 'format'> &
  ({ handle: FileAudio['handle']; data?: undefined } | { data: Buffer; handle?: undefined });

export interface UploadProgress {
  sent: number;
  total: number;
}

interface CachedPolicy {
  policy: UploadPolicy;
  fetchedAt: number;
  requestId?: string;
}

/** Policies are valid for `expire_in_seconds`; keep a margin so an upload never starts on a dying one. */
const POLICY_MARGIN_MS = 30_000;

export class TemporaryUploader {
  private readonly cache = new Map<string, CachedPolicy>();

  constructor(private readonly deps: UploadDeps) {}

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  async policyFor(model: string, signal?: AbortSignal, refresh = false): Promise<UploadPolicy> {
    const cached = this.cache.get(model);
    if (
      !refresh &&
      cached &&
      this.now() < cached.fetchedAt + cached.policy.expireInSeconds * 1000 - POLICY_MARGIN_MS
    ) {
      return cached.policy;
    }
    const url = `${this.deps.nativeBaseUrl}/uploads?action=getPolicy&model=${encodeURIComponent(model)}`;
    let res: Awaited<ReturnType<HttpClient['json']>>;
    try {
      res = await this.deps.http.json({
        method: 'GET',
        url,
        headers: this.deps.headers(),
        idempotent: true,
        signal,
        purpose: 'get an upload policy (step 1 of the temporary upload)',
      });
    } catch (err) {
      if (
        this.deps.region === 'ap-southeast-1' &&
        err instanceof ApiError &&
        [400, 403, 404].includes(err.status ?? 0)
      ) {
        throw new UploadError(
          `DashScope's temporary upload is refused in ap-southeast-1 (documented there only since late 2026): ${err.message}. Nothing was uploaded.`,
          {
            code: err.code,
            status: err.status,
            hint: 'Configure your own bucket (ASR_BUCKET), pass a public http(s) URL, or use a cn-beijing key (DASHSCOPE_REGION=cn-beijing).',
          },
        );
      }
      throw err;
    }
    const policy = parsePolicy(res.data);
    this.cache.set(model, { policy, fetchedAt: this.now(), requestId: res.requestId });
    return policy;
  }

  /** Uploads the file and returns its `oss://` URL. */
  async upload(
    file: UploadSource,
    model: string,
    opts: { signal?: AbortSignal; onProgress?: (p: UploadProgress) => void } = {},
  ): Promise<string> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.deps.attempts; attempt++) {
      const policy = await this.policyFor(model, opts.signal);
      if (policy.maxFileSizeMb !== undefined && file.size > policy.maxFileSizeMb * 1024 * 1024) {
        throw new InputError(
          `${file.path} is ${(file.size / 1048576).toFixed(1)} MB, over the ${policy.maxFileSizeMb} MB that DashScope's temporary upload takes. Nothing was uploaded.`,
          {
            hint: 'Compress it (e.g. to 64 kbit/s mono MP3 or Opus, which keeps speech intelligible), or put it on a public URL (OSS, S3, any web server) and pass the URL.',
          },
        );
      }
      const key = `${policy.uploadDir}/${uploadName(file.name)}`;
      try {
        await this.post(file, policy, key, opts);
        return `oss://${key}`;
      } catch (err) {
        if (err instanceof CancelledError || opts.signal?.aborted)
          throw new CancelledError('Upload cancelled.');
        // A local read fault names the file and would fail the same way again: no retry.
        if (err instanceof InputError) throw err;
        lastError = err;
        const reason = errorMessage(err);
        this.deps.logger.warn(
          `upload attempt ${attempt}/${this.deps.attempts} of ${file.name} failed: ${reason}`,
        );
        if (err instanceof UploadError && err.code === 'AccessDenied' && /expired/i.test(err.message)) {
          this.cache.delete(model);
        }
        if (attempt < this.deps.attempts) await sleep(Math.min(4000, 250 * 2 ** attempt), opts.signal);
      }
    }
    const reason = errorMessage(lastError);
    throw new UploadError(
      `Uploading ${file.name} to DashScope's temporary storage (step 2 of the temporary upload) failed ${this.deps.attempts} times. Last error: ${reason}`,
      {
        code: lastError instanceof UploadError ? lastError.code : undefined,
        status: lastError instanceof UploadError ? lastError.status : undefined,
        hint: 'Check the network and try again; for very large files, a public URL avoids the upload.',
      },
    );
  }

  private async post(
    file: UploadSource,
    policy: UploadPolicy,
    key: string,
    opts: { signal?: AbortSignal; onProgress?: (p: UploadProgress) => void },
  ): Promise<void> {
    const boundary = `----qwen-asr-mcp-${randomUUID()}`;
    const fields: [string, string][] = [
      ['OSSAccessKeyId', policy.accessKeyId],
      ['Signature', policy.signature],
      ['policy', policy.policy],
      ['key', key],
      ['x-oss-object-acl', policy.objectAcl],
      ['x-oss-forbid-overwrite', policy.forbidOverwrite],
      ['x-oss-content-type', file.format.mime],
      ['success_action_status', '200'],
    ];
    const head = Buffer.from(
      fields
        .map(([n, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${n}"\r\n\r\n${v}\r\n`)
        .join('') +
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${quoteSafe(file.name)}"\r\n` +
        `Content-Type: ${file.format.mime}\r\n\r\n`,
    );
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const total = head.length + file.size + tail.length;
    let sent = 0;
    const report = opts.onProgress;
    // `file` must be the last field: OSS ignores fields after it. Its bytes come from the file opened
    // when the audio was checked, from byte 0 on every attempt; a read that fails or comes up short
    // is an InputError naming the file.
    async function* body(): AsyncGenerator<Buffer> {
      yield head;
      // 1 MiB reads (at 256 KiB the per-chunk cost held a loopback upload to a quarter of curl's speed),
      // into three reused buffers: undici writes each out (waiting for the socket to drain) before it
      // asks for the next, so no buffer is refilled while it is still being sent. Inline audio is
      // already in memory.
      const chunks = file.data ? inMemory(file.data) : file.handle!.reusedChunks(1024 * 1024, opts.signal);
      for await (const chunk of chunks) {
        sent += chunk.length;
        report?.({ sent, total: file.size });
        yield chunk;
      }
      yield tail;
    }
    const signal = opts.signal;
    let res: Dispatcher.ResponseData<unknown>;
    const { request, dispatcher } = await this.deps.http.transport();
    try {
      res = await request(policy.uploadHost, {
        method: 'POST',
        // No Authorization header: the signed policy is the credential, and the key must not leave for OSS.
        headers: {
          'content-type': `multipart/form-data; boundary=${boundary}`,
          'content-length': String(total),
          ...(this.deps.userAgent ? { 'user-agent': this.deps.userAgent } : {}),
        },
        // The generator itself, not a Readable around it: no second buffer between the file and the socket.
        // (undici takes any async iterable body; its types list only Readable.)
        body: body() as unknown as Readable,
        dispatcher,
        signal,
        bodyTimeout: this.deps.timeoutMs,
        headersTimeout: this.deps.timeoutMs,
      } as unknown as Parameters<typeof request>[1]);
    } catch (err) {
      if (signal?.aborted) throw new CancelledError('Upload cancelled.');
      if (err instanceof UploadError || err instanceof InputError) throw err;
      const code = (err as { code?: string }).code;
      throw new UploadError(
        `network error while sending the file to ${urlForLog(policy.uploadHost)}: ${code ?? (err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    const text = await res.body.text().catch(() => '');
    if (res.statusCode !== 200 && res.statusCode !== 204) {
      const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1];
      const message = /<Message>([^<]+)<\/Message>/.exec(text)?.[1];
      throw new UploadError(
        `the storage service answered HTTP ${res.statusCode}${code ? ` ${code}` : ''}${message ? `: ${message}` : ''}`,
        {
          code,
          status: res.statusCode,
        },
      );
    }
  }
}

/** `<uuid>-<stem cut to 80 characters>.<ext>`: the extension is always kept. */
export function uploadName(name: string): string {
  const safe = sanitizeName(name);
  const ext = extname(safe);
  const stem = (ext ? safe.slice(0, -ext.length) : safe).slice(0, 80) || 'audio';
  return `${randomUUID()}-${stem}${ext}`;
}

function* inMemory(data: Buffer): Generator<Buffer> {
  for (let at = 0; at < data.length; at += 1024 * 1024) yield data.subarray(at, at + 1024 * 1024);
}

function quoteSafe(name: string): string {
  return name.replace(/["\r\n\\]/g, '_');
}
