/**
 * A local fake of DashScope's ASR endpoints, following ../shared/docs/dashscope-asr-api.md: the same
 * paths, bodies, checks and error shapes, on 127.0.0.1 with a random port. Tests steer it (task timing,
 * media it can "download", upload limits) and inject faults per route. It records every request.
 *
 * It is deliberately a little stricter than the service where that catches our bugs: unknown body keys
 * are refused instead of ignored, and an Authorization header sent to the storage host is refused.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { containerOf } from './magic.js';

// Recognizably fake (hyphenated so it never looks like a real key), and long enough to be redacted.
export const FAKE_API_KEY = 'sk-fake-test-key-not-real-0000';
export const DEFAULT_TEXT =
  'Welcome to Alibaba Cloud. This is a short test recording for speech recognition.';

export type Route =
  | 'compatible'
  | 'native-sync'
  | 'submit'
  | 'task'
  | 'cancel'
  | 'result'
  | 'policy'
  | 'upload'
  | 'media';

export type Fault =
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  | { kind: 'reset' }
  | { kind: 'truncate' }
  | { kind: 'html' }
  | { kind: 'delay'; ms: number }
  | { kind: 'trickle'; intervalMs: number }
  /** A 200 answer whose JSON body is this many bytes long (a runaway or hostile response). */
  | { kind: 'oversized'; bytes: number }
  /** A 200 answer that is not JSON at all, under a non-JSON content type. */
  | { kind: 'wrong-type' }
  /** A streamed (SSE) answer whose connection drops after this many chunks. */
  | { kind: 'cut-stream'; afterChunks: number };

export interface RecordedRequest {
  route: Route | 'unknown';
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  json?: unknown;
  bodyBytes: number;
  at: number;
  /** When the body had been read (uploads): with `at`, the transfer time. */
  endedAt?: number;
}

export interface Media {
  durationS: number;
  text?: string;
  /** Answer 403 to downloads (a private bucket). */
  forbidden?: boolean;
  sizeBytes?: number;
}

interface Upload {
  key: string;
  size: number;
  head: Buffer;
  fields: Record<string, string>;
}

interface Task {
  id: string;
  model: string;
  submittedAt: number;
  fileUrl: string;
  params: Record<string, unknown>;
  status: 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELED';
  failure?: { code: string; message: string };
  durationS: number;
  text: string;
  /** Set once the fake decides the task is done (used by benchmarks: finish → tool return). */
  finishedAt?: number;
  held: boolean;
  /** paraformer / fun-asr: results[] with subtasks, `properties` in the transcript. */
  family: boolean;
}

export interface FakeOptions {
  apiKey?: string;
  /** Time a task stays PENDING, then RUNNING, before it SUCCEEDS (ms). */
  queueMs?: number;
  runMs?: number;
  maxUploadMb?: number;
  policyExpireSeconds?: number;
  /** Added before every API answer (not uploads), to model network/API latency. */
  latencyMs?: number;
  /** How many bytes of each uploaded file to keep (for sniffing); the rest is counted and dropped. */
  keepUploadBytes?: number;
  resultTtlMs?: number;
  /** Pause between the chunks of a streamed sync answer (ms), as the service pauses between words. */
  streamChunkMs?: number;
}

const SYNC_LIMIT_BYTES = 10_485_760;
const COMPAT_KEYS = new Set(['model', 'messages', 'stream', 'stream_options', 'asr_options']);
const ASR_OPTION_KEYS = new Set(['language', 'enable_itn']);
const FILETRANS_PARAM_KEYS = new Set(['language', 'enable_itn', 'enable_words', 'channel_id']);
const FAMILY_PARAM_KEYS = new Set([
  'vocabulary_id',
  'disfluency_removal_enabled',
  'language_hints',
  'timestamp_alignment_enabled',
  'channel_id',
  'diarization_enabled',
  'speaker_count',
]);
const FILETRANS_MODEL = /^qwen3-asr-flash-filetrans(-\d{4}-\d{2}-\d{2})?$/;
const FAMILY_MODEL = /^(paraformer-v2|paraformer-8k-v2|fun-asr|fun-asr-mtl)(-\d{4}-\d{2}-\d{2})?$/;
/** Filler words the fake "hears" and drops when disfluency removal is on. */
const FILLERS = /\b(?:um+|uh+|erm)\b,?\s*/gi;

export class FakeDashScope {
  readonly requests: RecordedRequest[] = [];
  readonly media = new Map<string, Media>();
  readonly uploads = new Map<string, Upload>();
  /** Hot-word vocabulary ids that exist on this fake account. */
  readonly vocabularies = new Set<string>(['vocab-fake-001']);
  readonly tasks = new Map<string, Task>();
  readonly options: Required<FakeOptions>;
  private readonly faults = new Map<Route, Fault[]>();
  private readonly policies = new Map<string, { expiresAt: number; uploadDir: string }>();
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;
  url = '';

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

  /** The next `times` requests to `route` meet `fault`. */
  inject(route: Route, fault: Fault, times = 1): void {
    const list = this.faults.get(route) ?? [];
    for (let i = 0; i < times; i++) list.push(fault);
    this.faults.set(route, list);
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
  holdAll = false;

  count(route: Route): number {
    return this.requests.filter((r) => r.route === route).length;
  }

  // -------------------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const route = routeOf(req.method ?? 'GET', url.pathname);
    const record: RecordedRequest = {
      route: route ?? 'unknown',
      method: req.method ?? 'GET',
      path: url.pathname + url.search,
      headers: req.headers,
      bodyBytes: 0,
      at: Date.now(),
    };
    this.requests.push(record);
    // Decided now, once: a fault injected for this request must not linger for a later one.
    const fault = route ? this.faults.get(route)?.shift() : undefined;

    if (route === 'upload') return this.handleUpload(req, res, record, fault);
    const body = await readBody(req);
    record.bodyBytes = body.length;
    if (body.length > 0 && String(req.headers['content-type'] ?? '').includes('json')) {
      try {
        record.json = JSON.parse(body.toString('utf8'));
      } catch {
        record.json = undefined;
      }
    }
    if (this.options.latencyMs > 0 && route !== 'media') await delay(this.options.latencyMs);
    if (fault && (await this.applyFault(fault, req, res))) return;

    switch (route) {
      case 'compatible':
        return this.compatible(req, res, record.json, fault);
      case 'native-sync':
        return this.nativeSync(req, res, record.json);
      case 'submit':
        return this.submit(req, res, record.json);
      case 'task':
        return this.query(req, res, url);
      case 'cancel':
        return this.cancel(req, res, url);
      case 'result':
        return this.result(res, url);
      case 'policy':
        return this.policy(req, res, url);
      case 'media':
        return this.serveMedia(res, url);
      default:
        return sendJson(res, 404, {
          code: 'NotFound',
          message: `No route ${req.method} ${url.pathname}`,
          request_id: rid(),
        });
    }
  }

  /** Returns true when the fault took over the response. */
  private async applyFault(fault: Fault, _req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    switch (fault.kind) {
      case 'status':
        sendJson(
          res,
          fault.status,
          fault.body ?? { code: 'InternalError', message: 'injected', request_id: rid() },
          fault.headers,
        );
        return true;
      case 'reset':
        res.socket?.destroy();
        return true;
      case 'truncate': {
        // A complete HTTP answer whose JSON stops half-way (what a broken proxy or gateway produces).
        const text = '{"request_id":"trunc","output":{"task_id":"abc","task_sta';
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(text.length) });
        res.end(text);
        return true;
      }
      case 'html':
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html><body>502 Bad Gateway</body></html>');
        return true;
      case 'delay':
        await delay(fault.ms);
        return false;
      case 'oversized': {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(fault.bytes) });
        const piece = Buffer.alloc(1024 * 1024, 0x20);
        piece[0] = 0x7b; // '{', then spaces: valid-looking JSON that never ends
        let left = fault.bytes;
        while (left > 0 && !res.destroyed) {
          const n = Math.min(left, piece.length);
          if (!res.write(n === piece.length ? piece : piece.subarray(0, n)))
            await new Promise((resolve) => res.once('drain', resolve).once('close', resolve));
          left -= n;
          piece[0] = 0x20;
        }
        res.end();
        return true;
      }
      case 'wrong-type':
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('OK');
        return true;
      case 'cut-stream':
        return false; // the streamed answer applies it, if this request asked for one
      case 'trickle': {
        res.writeHead(200, { 'content-type': 'application/json' });
        const timer = setInterval(() => {
          if (res.destroyed || res.writableEnded) return clearInterval(timer);
          res.write(' ');
        }, fault.intervalMs);
        res.on('close', () => clearInterval(timer));
        return true;
      }
    }
  }

  private authorized(req: IncomingMessage): boolean {
    return req.headers.authorization === `Bearer ${this.options.apiKey}`;
  }

  private compatible(
    req: IncomingMessage,
    res: ServerResponse,
    body: unknown,
    fault: Fault | undefined,
  ): void {
    if (!this.authorized(req))
      return compatError(res, 401, 'invalid_api_key', 'Incorrect API key provided. ');
    const b = body as Record<string, unknown> | undefined;
    if (!b || typeof b !== 'object')
      return compatError(res, 400, 'invalid_request_error', 'Request body is not JSON.');
    const extra = Object.keys(b).filter((k) => !COMPAT_KEYS.has(k));
    if (extra.length)
      return compatError(
        res,
        400,
        'invalid_request_error',
        `Unrecognized request argument: ${extra.join(', ')}`,
      );
    const model = String(b.model ?? '');
    if (/^qwen-audio-asr/.test(model)) {
      return compatError(
        res,
        404,
        'model_not_supported',
        'Unsupported model `qwen-audio-asr` for OpenAI compatibility mode',
      );
    }
    if (!/^qwen3-asr-flash(-\d{4}-\d{2}-\d{2})?(-us)?$/.test(model)) {
      return compatError(res, 400, 'invalid_request_error', 'Model not exist.');
    }
    const asr = (b.asr_options ?? {}) as Record<string, unknown>;
    const badAsr = Object.keys(asr).filter((k) => !ASR_OPTION_KEYS.has(k));
    if (badAsr.length)
      return compatError(res, 400, 'invalid_request_error', `Unknown asr_options: ${badAsr.join(', ')}`);
    const messages = Array.isArray(b.messages) ? (b.messages as Record<string, unknown>[]) : [];
    const users = messages.filter((m) => m.role === 'user');
    const systemAt = messages.findIndex((m) => m.role === 'system');
    if (users.length !== 1 || systemAt > 0 || messages.length > 2) {
      return compatError(
        res,
        400,
        'invalid_request_error',
        'Exactly one user message is required; a system message must come first.',
      );
    }
    const part = (users[0]!.content as Record<string, unknown>[] | undefined)?.find(
      (c) => c.type === 'input_audio',
    );
    const data = (part?.input_audio as { data?: unknown } | undefined)?.data;
    if (typeof data !== 'string')
      return compatError(res, 400, 'invalid_request_error', 'input_audio.data is required.');
    const audio = this.inspectSyncAudio(data, 300);
    if ('error' in audio) return compatError(res, 400, 'invalid_request_error', audio.error);
    const language = (asr.language as string) ?? 'en';
    if (b.stream === true) {
      const includeUsage =
        (b.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
      const cutAfter = fault?.kind === 'cut-stream' ? fault.afterChunks : undefined;
      return void this.streamCompletion(res, model, language, audio, includeUsage, cutAfter);
    }
    sendJson(res, 200, {
      choices: [
        {
          finish_reason: 'stop',
          index: 0,
          message: {
            annotations: [{ type: 'audio_info', language, emotion: 'neutral' }],
            content: audio.text,
            role: 'assistant',
          },
        },
      ],
      created: Math.floor(Date.now() / 1000),
      id: `chatcmpl-${randomUUID()}`,
      model,
      object: 'chat.completion',
      usage: {
        completion_tokens: 12,
        completion_tokens_details: { text_tokens: 12 },
        prompt_tokens: Math.ceil(audio.durationS * 25),
        prompt_tokens_details: { audio_tokens: Math.ceil(audio.durationS * 25), text_tokens: 0 },
        seconds: Math.max(1, Math.round(audio.durationS)),
        total_tokens: 12 + Math.ceil(audio.durationS * 25),
      },
    });
  }

  /** SSE chat.completion.chunk events: the text in word-sized pieces, a stop chunk, usage, [DONE]. */
  private async streamCompletion(
    res: ServerResponse,
    model: string,
    language: string,
    audio: { text: string; durationS: number },
    includeUsage: boolean,
    cutAfter: number | undefined,
  ): Promise<void> {
    const id = `chatcmpl-${randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => ({
      id,
      choices,
      created,
      model,
      object: 'chat.completion.chunk',
      ...extra,
    });
    const pieces = audio.text.match(/\S+\s*/g) ?? [];
    const events: unknown[] = pieces.map((piece, i) =>
      chunk([
        {
          delta: {
            content: piece,
            role: 'assistant',
            ...(i === 0 ? { annotations: [{ type: 'audio_info', language, emotion: 'neutral' }] } : {}),
          },
          finish_reason: null,
          index: 0,
        },
      ]),
    );
    events.push(chunk([{ delta: {}, finish_reason: 'stop', index: 0 }]));
    if (includeUsage) {
      const audioTokens = Math.ceil(audio.durationS * 25);
      events.push(
        chunk([], {
          usage: {
            completion_tokens: pieces.length,
            prompt_tokens: audioTokens,
            prompt_tokens_details: { audio_tokens: audioTokens, text_tokens: 0 },
            seconds: Math.max(1, Math.round(audio.durationS)),
            total_tokens: audioTokens + pieces.length,
          },
        }),
      );
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    for (const [i, event] of events.entries()) {
      if (res.destroyed) return;
      if (cutAfter !== undefined && i >= cutAfter) {
        // Let the chunks already written reach the client first, as a real mid-stream drop would.
        await new Promise<void>((resolve) => res.write('', () => resolve()));
        await delay(30);
        res.socket?.destroy();
        return;
      }
      res.write(`data: ${JSON.stringify(event)}\n\n`);
      if (this.options.streamChunkMs > 0) await delay(this.options.streamChunkMs);
    }
    res.end('data: [DONE]\n\n');
  }

  private nativeSync(req: IncomingMessage, res: ServerResponse, body: unknown): void {
    if (!this.authorized(req)) return nativeError(res, 401, 'InvalidApiKey', 'Invalid API-key provided.');
    const b = body as Record<string, unknown> | undefined;
    const model = String(b?.model ?? '');
    const isAudio = /^qwen-audio-asr/.test(model);
    if (!isAudio && !/^qwen3-asr-flash(-\d{4}-\d{2}-\d{2})?(-us)?$/.test(model)) {
      return nativeError(res, 400, 'InvalidParameter', 'Model not exist.');
    }
    if (isAudio && (b?.parameters as Record<string, unknown> | undefined)?.asr_options) {
      return nativeError(res, 400, 'InvalidParameter', 'qwen-audio-asr does not support asr_options');
    }
    const messages = ((b?.input as Record<string, unknown> | undefined)?.messages ?? []) as Record<
      string,
      unknown
    >[];
    const user = messages.find((m) => m.role === 'user');
    const audioRef = (user?.content as Record<string, unknown>[] | undefined)?.find(
      (c) => 'audio' in c,
    )?.audio;
    if (typeof audioRef !== 'string') return nativeError(res, 400, 'InvalidParameter', 'audio is required');
    const audio = this.inspectSyncAudio(audioRef, isAudio ? 180 : 300);
    if ('error' in audio) return nativeError(res, 400, 'InvalidParameter', audio.error);
    sendJson(res, 200, {
      output: {
        choices: [
          {
            finish_reason: 'stop',
            message: {
              annotations: [{ type: 'audio_info', language: 'en', emotion: 'neutral' }],
              content: [{ text: audio.text }],
              role: 'assistant',
            },
          },
        ],
      },
      usage: { seconds: Math.max(1, Math.round(audio.durationS)) },
      request_id: rid(),
    });
  }

  /** What the service would find at a sync audio reference: data URI or URL. */
  private inspectSyncAudio(
    ref: string,
    maxSeconds: number,
  ): { text: string; durationS: number } | { error: string } {
    if (ref.startsWith('data:')) {
      if (ref.length > SYNC_LIMIT_BYTES) {
        return {
          error: `The audio file size exceeds the limit: the data URI must be at most ${SYNC_LIMIT_BYTES} bytes.`,
        };
      }
      const comma = ref.indexOf(',');
      if (!/^data:[\w./+-]+;base64,/.test(ref.slice(0, comma + 1))) return { error: 'Invalid data URI.' };
      const bytes = Buffer.from(ref.slice(comma + 1), 'base64');
      const durationS = headerDurationSync(bytes) ?? 5.7;
      if (durationS > maxSeconds)
        return { error: `The audio duration exceeds the limit of ${maxSeconds / 60} minutes.` };
      return { text: DEFAULT_TEXT, durationS };
    }
    if (ref.startsWith('file://') || ref.startsWith('oss://'))
      return { error: 'url error, please check url！' };
    const media = this.mediaFor(ref);
    if (!media || media.forbidden) return { error: 'url error, please check url！' };
    if (media.durationS > maxSeconds)
      return { error: `The audio duration exceeds the limit of ${maxSeconds / 60} minutes.` };
    return { text: media.text ?? DEFAULT_TEXT, durationS: media.durationS };
  }

  private mediaFor(ref: string): Media | undefined {
    if (!ref.startsWith(`${this.url}/media/`)) return undefined;
    return this.media.get(decodeURIComponent(ref.slice(`${this.url}/media/`.length).split('?')[0]!));
  }

  private submit(req: IncomingMessage, res: ServerResponse, body: unknown): void {
    if (!this.authorized(req)) return nativeError(res, 401, 'InvalidApiKey', 'Invalid API-key provided.');
    if (req.headers['x-dashscope-async'] !== 'enable') {
      return nativeError(res, 403, 'AccessDenied', 'current user api does not support synchronous calls');
    }
    const b = body as Record<string, unknown> | undefined;
    const model = String(b?.model ?? '');
    const family = FAMILY_MODEL.test(model);
    if (!family && !FILETRANS_MODEL.test(model)) {
      return nativeError(res, 400, 'InvalidParameter', 'Model not exist.');
    }
    const input = (b?.input ?? {}) as Record<string, unknown>;
    let fileUrl: unknown;
    if (family) {
      const urls = input.file_urls;
      if (!Array.isArray(urls) || urls.length !== 1 || 'file_url' in input)
        return nativeError(res, 400, 'InvalidParameter', 'input.file_urls must be a list of file URLs');
      fileUrl = urls[0];
    } else {
      if ('file_urls' in input)
        return nativeError(res, 400, 'InvalidParameter', `${model} takes input.file_url, not file_urls`);
      fileUrl = input.file_url;
    }
    if (typeof fileUrl !== 'string')
      return nativeError(res, 400, 'InvalidParameter', 'input.file_url is required');
    const params = (b?.parameters ?? {}) as Record<string, unknown>;
    const allowed = family ? FAMILY_PARAM_KEYS : FILETRANS_PARAM_KEYS;
    const extra = Object.keys(params).filter((k) => !allowed.has(k));
    if (extra.length)
      return nativeError(res, 400, 'InvalidParameter', `Unknown parameters: ${extra.join(', ')}`);
    if (family && params.language_hints !== undefined && !Array.isArray(params.language_hints))
      return nativeError(res, 400, 'InvalidParameter', 'language_hints must be an array');
    const speakers = params.speaker_count;
    if (speakers !== undefined && (typeof speakers !== 'number' || speakers < 2 || speakers > 100))
      return nativeError(res, 400, 'InvalidParameter', 'speaker_count must be between 2 and 100');
    if (typeof params.vocabulary_id === 'string' && !this.vocabularies.has(params.vocabulary_id))
      return nativeError(res, 400, 'InvalidParameter', `vocabulary ${params.vocabulary_id} does not exist`);
    if (fileUrl.startsWith('oss://') && req.headers['x-dashscope-ossresourceresolve'] !== 'enable') {
      return nativeError(
        res,
        400,
        'InvalidParameter',
        'The provided URL does not appear to be valid. Ensure it is correctly formatted.',
      );
    }
    const task: Task = {
      id: randomUUID(),
      model,
      submittedAt: Date.now(),
      fileUrl,
      params,
      status: 'PENDING',
      durationS: 5.7,
      text: DEFAULT_TEXT,
      held: this.holdAll,
      family,
    };
    if (fileUrl.startsWith('oss://')) {
      const upload = this.uploads.get(fileUrl.slice('oss://'.length));
      if (!upload) task.failure = { code: 'FILE_404_NOT_FOUND', message: 'FILE_404_NOT_FOUND' };
      else task.durationS = headerDurationSync(upload.head) ?? Math.max(1, upload.size / 32000);
    } else if (/^https?:\/\//.test(fileUrl)) {
      const media = this.mediaFor(fileUrl);
      if (!media) task.failure = { code: 'FILE_DOWNLOAD_FAILED', message: 'FILE_DOWNLOAD_FAILED' };
      else if (media.forbidden) task.failure = { code: 'FILE_403_FORBIDDEN', message: 'FILE_403_FORBIDDEN' };
      else {
        task.durationS = media.durationS;
        task.text = media.text ?? DEFAULT_TEXT;
      }
    } else {
      return nativeError(res, 400, 'InvalidParameter', 'url error, please check url！');
    }
    this.tasks.set(task.id, task);
    sendJson(res, 200, { request_id: rid(), output: { task_id: task.id, task_status: 'PENDING' } });
  }

  private advance(task: Task): void {
    if (task.status === 'CANCELED' || task.status === 'SUCCEEDED' || task.status === 'FAILED') return;
    const age = Date.now() - task.submittedAt;
    if (age < this.options.queueMs) return;
    task.status = 'RUNNING';
    if (task.held || age < this.options.queueMs + this.options.runMs) return;
    task.status = task.failure ? 'FAILED' : 'SUCCEEDED';
    task.finishedAt = Date.now();
  }

  private query(req: IncomingMessage, res: ServerResponse, url: URL): void {
    if (!this.authorized(req)) return nativeError(res, 401, 'InvalidApiKey', 'Invalid API-key provided.');
    const id = decodeURIComponent(url.pathname.split('/')[4] ?? '');
    const task = this.tasks.get(id);
    if (!task)
      return sendJson(res, 200, { request_id: rid(), output: { task_id: id, task_status: 'UNKNOWN' } });
    this.advance(task);
    const output: Record<string, unknown> = {
      task_id: task.id,
      task_status: task.status,
      submit_time: stamp(task.submittedAt),
      scheduled_time: stamp(task.submittedAt + this.options.queueMs),
    };
    const body: Record<string, unknown> = { request_id: rid(), output };
    if (task.status === 'RUNNING' || task.status === 'PENDING')
      output.task_metrics = { TOTAL: 1, SUCCEEDED: 0, FAILED: 0 };
    const transcriptionUrl = () =>
      `${this.url}/results/${task.id}.json?Expires=${Date.now() + this.options.resultTtlMs}&Signature=fake%2Bsig`;
    if (task.family && (task.status === 'SUCCEEDED' || task.status === 'FAILED')) {
      // The family reports each file as a subtask; the task itself SUCCEEDS even when its file failed.
      output.task_status = 'SUCCEEDED';
      output.end_time = stamp(task.finishedAt!);
      output.results = [
        task.failure
          ? {
              file_url: task.fileUrl,
              code: task.failure.code,
              message: task.failure.message,
              subtask_status: 'FAILED',
            }
          : { file_url: task.fileUrl, transcription_url: transcriptionUrl(), subtask_status: 'SUCCEEDED' },
      ];
      output.task_metrics = { TOTAL: 1, SUCCEEDED: task.failure ? 0 : 1, FAILED: task.failure ? 1 : 0 };
      if (!task.failure) body.usage = { duration: Math.max(1, Math.round(task.durationS)) };
      return sendJson(res, 200, body);
    }
    if (task.status === 'SUCCEEDED') {
      output.end_time = stamp(task.finishedAt!);
      output.result = { transcription_url: transcriptionUrl() };
      body.usage = { seconds: Math.max(1, Math.round(task.durationS)) };
    }
    if (task.status === 'FAILED') {
      output.end_time = stamp(task.finishedAt!);
      output.code = task.failure!.code;
      output.message = task.failure!.message;
    }
    sendJson(res, 200, body);
  }

  private cancel(req: IncomingMessage, res: ServerResponse, url: URL): void {
    if (!this.authorized(req)) return nativeError(res, 401, 'InvalidApiKey', 'Invalid API-key provided.');
    const task = this.tasks.get(decodeURIComponent(url.pathname.split('/')[4] ?? ''));
    if (task) this.advance(task);
    if (task?.status !== 'PENDING') {
      return nativeError(res, 400, 'UnsupportedOperation', 'Only PENDING tasks can be canceled.');
    }
    task.status = 'CANCELED';
    sendJson(res, 200, { request_id: rid() });
  }

  private result(res: ServerResponse, url: URL): void {
    const id = url.pathname.slice('/results/'.length).replace(/\.json$/, '');
    const expires = Number(url.searchParams.get('Expires'));
    const task = this.tasks.get(id);
    if (task?.status !== 'SUCCEEDED')
      return ossError(res, 404, 'NoSuchKey', 'The specified key does not exist.');
    if (!url.searchParams.get('Signature') || !(expires > Date.now())) {
      return ossError(res, 403, 'AccessDenied', 'Request has expired.');
    }
    sendJson(res, 200, transcriptionJson(task));
  }

  private policy(req: IncomingMessage, res: ServerResponse, url: URL): void {
    if (!this.authorized(req)) return nativeError(res, 401, 'InvalidApiKey', 'Invalid API-key provided.');
    if (url.searchParams.get('action') !== 'getPolicy' || !url.searchParams.get('model')) {
      return nativeError(res, 400, 'InvalidParameter', 'action=getPolicy and model are required');
    }
    const policy = Buffer.from(JSON.stringify({ id: randomUUID() })).toString('base64');
    const uploadDir = `dashscope-instant/${randomUUID().replace(/-/g, '')}/${new Date().toISOString().slice(0, 10)}`;
    this.policies.set(policy, { expiresAt: Date.now() + this.options.policyExpireSeconds * 1000, uploadDir });
    sendJson(res, 200, {
      request_id: rid(),
      data: {
        policy,
        signature: `sig-${policy.slice(0, 8)}`,
        upload_dir: uploadDir,
        upload_host: `${this.url}/oss`,
        expire_in_seconds: this.options.policyExpireSeconds,
        max_file_size_mb: this.options.maxUploadMb,
        capacity_limit_mb: 999999999,
        oss_access_key_id: 'LTAI-fake-oss-id',
        x_oss_object_acl: 'private',
        x_oss_forbid_overwrite: 'true',
      },
    });
  }

  /**
   * Multipart parsing, streamed: fields before `file` are read from the first bytes; the file itself
   * is counted and, beyond `keepUploadBytes`, dropped, so a 1 GB upload costs the fake no memory.
   */
  private async handleUpload(
    req: IncomingMessage,
    res: ServerResponse,
    record: RecordedRequest,
    fault: Fault | undefined,
  ): Promise<void> {
    if (fault?.kind === 'delay') await delay(fault.ms); // the body waits in the socket buffers meanwhile
    const boundary = /boundary=(.+)$/.exec(String(req.headers['content-type'] ?? ''))?.[1];
    let head = Buffer.alloc(0);
    let total = 0;
    let tail = Buffer.alloc(0);
    let fileStart = -1;
    let kept: Buffer[] = [];
    let keptBytes = 0;
    let fields: Record<string, string> = {};
    for await (const chunk of req as AsyncIterable<Buffer>) {
      if (fault?.kind === 'reset' && total > 0) {
        req.socket.destroy();
        return;
      }
      total += chunk.length;
      if (fileStart < 0) {
        head = Buffer.concat([head, chunk]);
        const parsed = boundary ? parseFieldsUntilFile(head, boundary) : undefined;
        if (parsed) {
          fileStart = parsed.fileStart;
          fields = parsed.fields;
          const first = head.subarray(fileStart);
          kept = [first.subarray(0, this.options.keepUploadBytes)];
          keptBytes = kept[0]!.length;
          tail = Buffer.from(first.subarray(-256));
        } else if (head.length > 1024 * 1024) break;
      } else {
        if (keptBytes < this.options.keepUploadBytes) {
          const piece = chunk.subarray(0, this.options.keepUploadBytes - keptBytes);
          kept.push(piece);
          keptBytes += piece.length;
        }
        tail = Buffer.concat([tail, chunk]).subarray(-256);
      }
    }
    record.bodyBytes = total;
    record.endedAt = Date.now();
    if (fault?.kind === 'status') {
      res.writeHead(fault.status, { 'content-type': 'application/xml' });
      res.end(`<?xml version="1.0"?><Error><Code>InternalError</Code><Message>injected</Message></Error>`);
      return;
    }
    if (req.headers.authorization)
      return ossError(res, 400, 'InvalidArgument', 'Authorization header is not allowed with a POST policy.');
    if (!boundary || fileStart < 0)
      return ossError(res, 400, 'InvalidArgument', 'No file field found in the multipart body.');
    const closing = `\r\n--${boundary}--\r\n`;
    if (!tail.toString('latin1').endsWith(closing)) {
      return ossError(res, 400, 'InvalidArgument', 'The file field must be the last field of the form.');
    }
    const issued = this.policies.get(fields.policy ?? '');
    if (
      !issued ||
      fields.OSSAccessKeyId !== 'LTAI-fake-oss-id' ||
      fields.Signature !== `sig-${(fields.policy ?? '').slice(0, 8)}`
    ) {
      return ossError(
        res,
        403,
        'SignatureDoesNotMatch',
        'The request signature we calculated does not match.',
      );
    }
    if (Date.now() > issued.expiresAt)
      return ossError(res, 403, 'AccessDenied', 'Invalid according to Policy: Policy expired.');
    const key = fields.key ?? '';
    if (!key.startsWith(`${issued.uploadDir}/`))
      return ossError(res, 403, 'AccessDenied', 'Invalid according to Policy: key.');
    if (this.uploads.has(key))
      return ossError(res, 409, 'FileAlreadyExists', 'The object you specified already exists.');
    const size = total - fileStart - closing.length;
    if (size > this.options.maxUploadMb * 1024 * 1024) {
      return ossError(res, 400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size.');
    }
    const keptAll = Buffer.concat(kept);
    this.uploads.set(key, { key, size, head: keptAll.subarray(0, Math.min(keptAll.length, size)), fields });
    res.writeHead(Number(fields.success_action_status) || 204);
    res.end();
  }

  private serveMedia(res: ServerResponse, url: URL): void {
    const media = this.media.get(decodeURIComponent(url.pathname.slice('/media/'.length)));
    if (!media) return ossError(res, 404, 'NoSuchKey', 'The specified key does not exist.');
    if (media.forbidden)
      return ossError(res, 403, 'AccessDenied', 'You have no right to access this object.');
    res.writeHead(200, { 'content-type': 'audio/mpeg', 'content-length': '0' });
    res.end();
  }
}

function routeOf(method: string, path: string): Route | undefined {
  if (method === 'POST' && path === '/compatible-mode/v1/chat/completions') return 'compatible';
  if (method === 'POST' && path === '/api/v1/services/aigc/multimodal-generation/generation')
    return 'native-sync';
  if (method === 'POST' && path === '/api/v1/services/audio/asr/transcription') return 'submit';
  if (method === 'POST' && /^\/api\/v1\/tasks\/[^/]+\/cancel$/.test(path)) return 'cancel';
  if ((method === 'GET' || method === 'POST') && /^\/api\/v1\/tasks\/[^/]+$/.test(path)) return 'task';
  if (method === 'GET' && path === '/api/v1/uploads') return 'policy';
  if (method === 'POST' && path === '/oss') return 'upload';
  if (method === 'GET' && path.startsWith('/results/')) return 'result';
  if (method === 'GET' && path.startsWith('/media/')) return 'media';
  return undefined;
}

function parseFieldsUntilFile(
  head: Buffer,
  boundary: string,
): { fields: Record<string, string>; fileStart: number } | undefined {
  const text = head.toString('latin1');
  const fields: Record<string, string> = {};
  const delimiter = `--${boundary}\r\n`;
  let pos = 0;
  while (true) {
    const start = text.indexOf(delimiter, pos);
    if (start < 0) return undefined;
    const headersEnd = text.indexOf('\r\n\r\n', start);
    if (headersEnd < 0) return undefined;
    const headers = text.slice(start + delimiter.length, headersEnd);
    const name = /name="([^"]*)"/.exec(headers)?.[1] ?? '';
    const valueStart = headersEnd + 4;
    if (name === 'file') return { fields, fileStart: valueStart };
    const valueEnd = text.indexOf(`\r\n--${boundary}`, valueStart);
    if (valueEnd < 0) return undefined;
    fields[name] = text.slice(valueStart, valueEnd);
    pos = valueEnd + 2;
  }
}

function headerDurationSync(bytes: Buffer): number | undefined {
  // Only WAV, whose duration sits in its first bytes: enough for the fake to enforce the sync limits.
  if (containerOf(bytes) !== 'wav' || bytes.length < 44) return undefined;
  const byteRate = bytes.readUInt32LE(28);
  const dataAt = bytes.indexOf('data', 12);
  if (dataAt < 0 || !byteRate) return undefined;
  return bytes.readUInt32LE(dataAt + 4) / byteRate;
}

function transcriptionJson(task: Task): unknown {
  return task.family ? familyTranscriptionJson(task) : qwenTranscriptionJson(task);
}

/** Sentences with proportional times, `[text, begin, end]`. */
function timedSentences(text: string, totalMs: number): [string, number, number][] {
  const parts = text.split(/(?<=[.!?。！？])\s*/).filter(Boolean);
  const totalChars = parts.reduce((n, s) => n + s.length, 0) || 1;
  let at = 0;
  return parts.map((part, i) => {
    const begin = at;
    const end = i === parts.length - 1 ? totalMs : at + Math.round((totalMs * part.length) / totalChars);
    at = end;
    return [part, begin, end];
  });
}

function timedWords(text: string, begin: number, end: number) {
  const words = text.split(/\s+/);
  const step = (end - begin) / words.length;
  return words.map((w, j) => {
    const m = /^(.*?)([.,!?;:]*)$/.exec(w)!;
    return {
      begin_time: Math.round(begin + j * step),
      end_time: Math.round(begin + (j + 1) * step),
      text: m[1],
      punctuation: m[2],
    };
  });
}

/** The paraformer / fun-asr file: `properties`, content durations, words always, speakers on request. */
function familyTranscriptionJson(task: Task): unknown {
  const p = task.params;
  const channels = Array.isArray(p.channel_id) ? (p.channel_id as number[]) : [0];
  const text = p.disfluency_removal_enabled === true ? task.text.replace(FILLERS, '') : task.text;
  const speakers = p.diarization_enabled === true ? ((p.speaker_count as number | undefined) ?? 2) : 0;
  const totalMs = Math.round(task.durationS * 1000);
  return {
    file_url: task.fileUrl,
    properties: {
      audio_format: 'pcm_s16le',
      channels,
      original_sampling_rate: /8k/.test(task.model) ? 8000 : 16000,
      original_duration_in_milliseconds: totalMs,
    },
    transcripts: channels.map((channel) => ({
      channel_id: channel,
      content_duration_in_milliseconds: totalMs,
      text,
      sentences: timedSentences(text, totalMs).map(([t, begin, end], i) => {
        const sentence: Record<string, unknown> = {
          begin_time: begin,
          end_time: end,
          text: t,
          sentence_id: i + 1,
          words: timedWords(t, begin, end),
        };
        if (speakers > 0) sentence.speaker_id = i % speakers;
        return sentence;
      }),
    })),
  };
}

function qwenTranscriptionJson(task: Task): unknown {
  const channels = Array.isArray(task.params.channel_id) ? (task.params.channel_id as number[]) : [0];
  const withWords = task.params.enable_words === true;
  const language = typeof task.params.language === 'string' ? task.params.language : 'en';
  const sentencesText = task.text.split(/(?<=[.!?。！？])\s*/).filter(Boolean);
  const totalChars = sentencesText.reduce((n, s) => n + s.length, 0) || 1;
  const totalMs = Math.round(task.durationS * 1000);
  return {
    file_url: task.fileUrl,
    audio_info: { format: 'wav', sample_rate: 16000 },
    transcripts: channels.map((channel) => {
      let at = 0;
      const sentences = sentencesText.map((text, i) => {
        const span = Math.round((totalMs * text.length) / totalChars);
        const begin = at;
        const end = i === sentencesText.length - 1 ? totalMs : at + span;
        at = end;
        const sentence: Record<string, unknown> = {
          sentence_id: i,
          begin_time: begin,
          end_time: end,
          language,
          emotion: 'neutral',
          text,
        };
        if (withWords) {
          const words = text.split(/\s+/);
          const step = (end - begin) / words.length;
          sentence.words = words.map((w, j) => {
            const m = /^(.*?)([.,!?;:]*)$/.exec(w)!;
            return {
              begin_time: Math.round(begin + j * step),
              end_time: Math.round(begin + (j + 1) * step),
              text: m[1],
              punctuation: m[2],
            };
          });
        }
        return sentence;
      });
      return { channel_id: channel, text: task.text, sentences };
    }),
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.destroyed) return;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

function nativeError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { code, message, request_id: rid() });
}

function compatError(res: ServerResponse, status: number, code: string, message: string): void {
  const type = code === 'invalid_request_error' ? code : 'invalid_request_error';
  sendJson(res, status, { error: { message, type, param: null, code }, request_id: rid() });
}

function ossError(res: ServerResponse, status: number, code: string, message: string): void {
  if (res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/xml' });
  res.end(
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>${rid()}</RequestId></Error>`,
  );
}

function rid(): string {
  return randomUUID();
}

function stamp(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
