/**
 * A local fake of DashScope's speech-recognition API (Alibaba Cloud Model Studio), for the tests, the
 * demo and the benchmark: the same paths, bodies, checks and error shapes as the service, on 127.0.0.1
 * with a random port. Tests steer it (task timing, media it can "download", upload limits), inject
 * faults per route, and read back every request it saw. README.md next to this file describes what it
 * models and where it is deliberately stricter than the service.
 *
 * This file is the fake's lifecycle and dispatch; each route's behaviour lives in its own module.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { applyFault, FaultQueue } from './faults.js';
import { regionHasTemporaryUpload } from './regions.js';
import { delay, readBody, rid, sendJson } from './reply.js';
import { matchRoute } from './routes.js';
import type {
  FakeOptions,
  FakeState,
  Fault,
  Media,
  Policy,
  RecordedRequest,
  RequestContext,
  Route,
  S3State,
  Task,
  Upload,
} from './types.js';

export type { FakeOptions, Fault, Media, RecordedRequest, Route } from './types.js';

import { DEFAULT_TEXT } from './words.js';

export { DEFAULT_TEXT };

// Recognizably fake (hyphenated so it never looks like a real key), and long enough to be redacted.
export const FAKE_API_KEY = 'sk-fake-test-key-not-real-0000';
export const FAKE_S3_ACCESS_KEY_ID = 'AKIAFAKEBUCKETKEY000';
export const FAKE_S3_SECRET = 'fake/bucket+secret-not-real-0000000000000';

export class FakeDashScope {
  readonly requests: RecordedRequest[] = [];
  readonly media = new Map<string, Media>();
  readonly uploads = new Map<string, Upload>();
  /** Hot-word vocabulary ids that exist on this fake account. */
  readonly vocabularies = new Set<string>(['vocab-fake-001']);
  readonly tasks = new Map<string, Task>();
  readonly options: Required<FakeOptions>;
  /** The S3-compatible bucket: its objects (size, hash, head) and the keys deleted, in order. */
  readonly s3: S3State;
  /** New tasks start held (RUNNING until released) while this is true. */
  holdAll = false;
  url = '';
  private readonly faults = new FaultQueue();
  private readonly policies = new Map<string, Policy>();
  private readonly state: FakeState;
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;

  constructor(options: FakeOptions = {}) {
    this.options = {
      apiKey: options.apiKey ?? FAKE_API_KEY,
      queueMs: options.queueMs ?? 0,
      runMs: options.runMs ?? 50,
      maxUploadMb: options.maxUploadMb ?? 100,
      policyExpireSeconds: options.policyExpireSeconds ?? 300,
      latencyMs: options.latencyMs ?? 0,
      keepUploadBytes: options.keepUploadBytes ?? 1024 * 1024,
      resultTtlMs: options.resultTtlMs ?? 24 * 3600 * 1000,
      streamChunkMs: options.streamChunkMs ?? 0,
      s3Bucket: options.s3Bucket ?? 'fake-bucket',
      s3Region: options.s3Region ?? 'fake-region-1',
      s3AccessKeyId: options.s3AccessKeyId ?? FAKE_S3_ACCESS_KEY_ID,
      s3SecretAccessKey: options.s3SecretAccessKey ?? FAKE_S3_SECRET,
      s3PageSize: options.s3PageSize ?? 1000,
      uploadText: options.uploadText ?? DEFAULT_TEXT,
      region: options.region ?? 'cn-beijing',
      temporaryUpload: options.temporaryUpload ?? regionHasTemporaryUpload(options.region ?? 'cn-beijing'),
      sensitiveWords: options.sensitiveWords ?? ['secret'],
    };
    this.s3 = {
      bucket: this.options.s3Bucket,
      region: this.options.s3Region,
      accessKeyId: this.options.s3AccessKeyId,
      secretAccessKey: this.options.s3SecretAccessKey,
      pageSize: this.options.s3PageSize,
      objects: new Map(),
      deleted: [],
    };
    // Handlers see the account through this view; `url` and `holdAll` change after construction.
    const self = this;
    this.state = {
      options: this.options,
      get url() {
        return self.url;
      },
      media: this.media,
      uploads: this.uploads,
      tasks: this.tasks,
      vocabularies: this.vocabularies,
      policies: this.policies,
      s3: this.s3,
      get holdAll() {
        return self.holdAll;
      },
    };
  }

  get nativeBase(): string {
    return `${this.url}/api/v1`;
  }
  get compatibleBase(): string {
    return `${this.url}/compatible-mode/v1`;
  }

  /** Environment for a server under test pointed at this fake. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return { DASHSCOPE_API_KEY: this.options.apiKey, DASHSCOPE_HTTP_BASE_URL: this.nativeBase, ...extra };
  }

  /**
   * Environment for a server under test that uploads local files to this fake's bucket (path style,
   * AWS_* credentials), on top of `env()`.
   */
  s3Env(extra: Record<string, string> = {}): Record<string, string> {
    return this.env({
      ASR_BUCKET: this.s3.bucket,
      ASR_BUCKET_ENDPOINT: this.url,
      ASR_BUCKET_REGION: this.s3.region,
      ASR_BUCKET_PATH_STYLE: 'true',
      AWS_ACCESS_KEY_ID: this.s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: this.s3.secretAccessKey,
      ...extra,
    });
  }

  /** Puts an object into the bucket directly (no request), e.g. an old upload for the sweep to find. */
  putObject(key: string, opts: { size?: number; lastModified?: number } = {}): void {
    this.s3.objects.set(key, {
      key,
      size: opts.size ?? 0,
      sha256: '0'.repeat(64),
      head: Buffer.alloc(0),
      lastModified: opts.lastModified ?? Date.now(),
    });
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err) => {
        if (!res.headersSent)
          sendJson(res, 500, { code: 'InternalError', message: String(err), request_id: rid() });
      });
    });
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The next `times` requests to `route` meet `fault`, one each. */
  inject(route: Route, fault: Fault, times = 1): void {
    this.faults.add(route, fault, times);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  addMedia(name: string, media: Media): string {
    this.media.set(name, media);
    return `${this.url}/media/${encodeURIComponent(name)}`;
  }

  /** Keep a task RUNNING until `release` (for budget and cancellation tests). */
  hold(taskId: string): void {
    const t = this.tasks.get(taskId);
    if (t) t.held = true;
  }
  release(taskId: string): void {
    const t = this.tasks.get(taskId);
    if (t) t.held = false;
  }

  count(route: Route): number {
    return this.requests.filter((r) => r.route === route).length;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const method = req.method ?? 'GET';
    const sigv4 =
      /^AWS4-HMAC-SHA256 /.test(req.headers.authorization ?? '') || url.searchParams.has('X-Amz-Signature');
    const match = matchRoute(method, url.pathname, {
      header: req.headers.host,
      bucket: this.s3.bucket,
      sigv4,
    });
    const record: RecordedRequest = {
      route: match?.entry.route ?? 'unknown',
      method,
      path: url.pathname + url.search,
      headers: req.headers,
      bodyBytes: 0,
      at: Date.now(),
    };
    this.requests.push(record);
    // Decided now, once, and carried by this request's context: a fault meant for this request must
    // neither linger for a later one nor be taken by one that arrives while this one is in flight.
    const fault = match ? this.faults.take(match.entry.route) : undefined;
    const context = (json: unknown): RequestContext => ({
      req,
      res,
      url,
      record,
      params: match?.params ?? {},
      json,
      fault,
      state: this.state,
    });
    if (match?.entry.ownBody) return match.entry.handler(context(undefined));

    const body = await readBody(req);
    record.bodyBytes = body.length;
    if (body.length > 0 && String(req.headers['content-type'] ?? '').includes('json')) {
      try {
        record.json = JSON.parse(body.toString('utf8'));
      } catch {
        record.json = undefined;
      }
    }
    if (this.options.latencyMs > 0 && match?.entry.latency !== false) await delay(this.options.latencyMs);
    if (fault && (await applyFault(fault, res))) return;
    if (!match) {
      return sendJson(res, 404, {
        code: 'NotFound',
        message: `No route ${req.method} ${url.pathname}`,
        request_id: rid(),
      });
    }
    return match.entry.handler(context(record.json));
  }
}
