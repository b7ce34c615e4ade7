/**
 * The HTTP layer under the provider: one keep-alive undici Agent, per-attempt deadlines, one retry
 * policy (Retry-After first, then jittered exponential backoff, bounded), response size caps, and the
 * mapping of DashScope's error bodies onto typed errors. The dispatcher is injectable for tests.
 */
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { ByteStream } from '../audio/source.js';
import {
  ApiError,
  AuthenticationError,
  BadRequestError,
  CancelledError,
  ConnectionError,
  MalformedResponseError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  ServerError,
  TimeoutError,
} from '../errors.js';
import type { Logger } from '../log.js';

export interface HttpOptions {
  timeoutMs: number;
  maxRetries: number;
  dispatcher?: Dispatcher;
  logger: Logger;
  /** Region name, for the 401 hint. */
  region: string;
  /** Base and cap of the exponential backoff; tests shrink them. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Longest Retry-After we are willing to sleep through inside one call. */
  maxRetryAfterMs?: number;
}

export interface JsonRequest {
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  /** A JSON value, or pre-encoded body pieces (a large data URI is a stream, never copied whole). */
  json?: unknown;
  bodyParts?: (Buffer | ByteStream)[];
  /** Safe to send twice? GETs and task queries are; an async submit is not. */
  idempotent: boolean;
  signal?: AbortSignal;
  maxResponseBytes?: number;
  /** What the request was for, used in error messages ("submit the task", "fetch the transcript"). */
  purpose: string;
  /**
   * Server-sent events: each `data:` payload of a `text/event-stream` answer goes here as it arrives,
   * and the response's `data` is undefined. A JSON answer is returned as usual. Once an event has been
   * delivered the request is never retried (the caller would see the text twice).
   */
  onEvent?: (data: string) => void;
}

export interface JsonResponse<T = unknown> {
  status: number;
  data: T;
  requestId?: string;
  headers: Record<string, string | string[] | undefined>;
}

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);
/** Statuses that mean "not accepted", so even a non-idempotent request may be repeated. */
const REJECTED_STATUS = new Set([429, 503]);
/** Socket errors raised before any byte of the request could have reached the server. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);
const DEFAULT_MAX_RESPONSE = 32 * 1024 * 1024;

type Undici = typeof import('undici');
let undiciModule: Promise<Undici> | undefined;

/**
 * undici is loaded on the first request, not at start-up: it is the largest module we load, and
 * clients wait on `initialize` and `tools/list`, which never need it.
 */
export function loadUndici(): Promise<Undici> {
  undiciModule ??= import('undici');
  return undiciModule;
}

export class HttpClient {
  private dispatcher: Dispatcher | undefined;
  private readonly ownsDispatcher: boolean;
  readonly options: Required<Omit<HttpOptions, 'dispatcher'>>;

  constructor(options: HttpOptions) {
    this.ownsDispatcher = !options.dispatcher;
    this.dispatcher = options.dispatcher;
    this.options = {
      timeoutMs: options.timeoutMs,
      maxRetries: options.maxRetries,
      logger: options.logger,
      region: options.region,
      backoffBaseMs: options.backoffBaseMs ?? 500,
      backoffMaxMs: options.backoffMaxMs ?? 8000,
      maxRetryAfterMs: options.maxRetryAfterMs ?? 30_000,
    };
  }

  /** undici's `request` and the shared keep-alive dispatcher, created on first use. */
  async transport(): Promise<{ request: Undici['request']; dispatcher: Dispatcher }> {
    const undici = await loadUndici();
    this.dispatcher ??= new undici.Agent({
      keepAliveTimeout: 30_000,
      connect: { timeout: Math.min(this.options.timeoutMs, 15_000) },
      headersTimeout: this.options.timeoutMs,
      bodyTimeout: this.options.timeoutMs,
    });
    return { request: undici.request, dispatcher: this.dispatcher };
  }

  async close(graceMs = 1000): Promise<void> {
    if (!this.ownsDispatcher || !this.dispatcher) return;
    const dispatcher = this.dispatcher;
    let timer: NodeJS.Timeout | undefined;
    const closed = dispatcher.close().then(() => true);
    const late = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), graceMs);
    });
    const inTime = await Promise.race([closed, late]);
    clearTimeout(timer);
    if (!inTime) await dispatcher.destroy().catch(() => {});
  }

  async json<T = unknown>(req: JsonRequest): Promise<JsonResponse<T>> {
    const body =
      req.bodyParts ?? (req.json === undefined ? undefined : [Buffer.from(JSON.stringify(req.json))]);
    const headers: Record<string, string> = {
      accept: req.onEvent ? 'text/event-stream, application/json' : 'application/json',
      ...req.headers,
    };
    const stream = { delivered: false };
    if (body) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(body.reduce((n, b) => n + b.length, 0));
    }

    for (let attempt = 0; ; attempt++) {
      throwIfAborted(req.signal);
      const started = Date.now();
      let outcome: JsonResponse<T> | ApiError;
      try {
        outcome = await this.once<T>(req, headers, body, stream);
      } catch (err) {
        const mapped = this.mapTransportError(err, req);
        const notSent = NOT_SENT_CODES.has(errorCode(err) ?? '');
        if (stream.delivered) Object.assign(mapped, { partialStream: true });
        if (
          stream.delivered ||
          mapped instanceof CancelledError ||
          attempt >= this.options.maxRetries ||
          !(req.idempotent || notSent)
        ) {
          throw mapped;
        }
        const wait = this.backoff(attempt);
        this.options.logger.warn(`${req.purpose}: ${mapped.message}; retrying in ${wait} ms`);
        await sleep(wait, req.signal);
        continue;
      }
      this.options.logger.debug(
        `${req.method} ${redactUrl(req.url)} -> ${outcome.status} in ${Date.now() - started} ms`,
      );
      if (!(outcome instanceof ApiError)) return outcome;
      const status = outcome.status ?? 0;
      const retryable = RETRYABLE_STATUS.has(status) && (req.idempotent || REJECTED_STATUS.has(status));
      if (!retryable || attempt >= this.options.maxRetries) throw outcome;
      const retryAfter = (outcome as ApiError & { retryAfterMs?: number }).retryAfterMs;
      if (retryAfter !== undefined && retryAfter > this.options.maxRetryAfterMs) throw outcome;
      const wait = retryAfter ?? this.backoff(attempt);
      this.options.logger.warn(
        `${req.purpose}: HTTP ${status} ${outcome.code ?? ''}; retrying in ${wait} ms`,
      );
      await sleep(wait, req.signal);
    }
  }

  private async once<T>(
    req: JsonRequest,
    headers: Record<string, string>,
    body: (Buffer | ByteStream)[] | undefined,
    stream: { delivered: boolean },
  ): Promise<JsonResponse<T> | ApiError> {
    // A per-attempt deadline on top of undici's header/body timeouts: a body that trickles one byte
    // at a time would otherwise never trip the idle-based body timeout.
    const deadline = AbortSignal.timeout(this.options.timeoutMs);
    const signal = req.signal ? AbortSignal.any([req.signal, deadline]) : deadline;
    const { request, dispatcher } = await this.transport();
    const res = await request(req.url, {
      method: req.method,
      headers,
      // Pieces are streamed as they are, so a large data URI is not copied into one more buffer.
      body:
        body === undefined
          ? undefined
          : body.length === 1 && Buffer.isBuffer(body[0])
            ? body[0]
            : Readable.from(pieces(body, req.signal)),
      dispatcher,
      signal,
    });
    const contentType = headerValue(res.headers['content-type']) ?? '';
    if (req.onEvent && res.statusCode === 200 && contentType.includes('text/event-stream')) {
      await readEvents(
        res.body,
        req.onEvent,
        stream,
        req.maxResponseBytes ?? DEFAULT_MAX_RESPONSE,
        req.purpose,
      );
      return { status: res.statusCode, data: undefined as T, headers: res.headers };
    }
    const text = await readCapped(res.body, req.maxResponseBytes ?? DEFAULT_MAX_RESPONSE, req.purpose);
    const requestIdHeader =
      headerValue(res.headers['x-request-id']) ?? headerValue(res.headers['x-dashscope-request-id']);
    let data: unknown;
    let parseFailed = false;
    try {
      data = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      parseFailed = true;
    }
    const requestId = pickRequestId(data) ?? requestIdHeader;
    if (res.statusCode >= 200 && res.statusCode < 300) {
      if (parseFailed || data === undefined) {
        throw new MalformedResponseError(
          `DashScope answered the request to ${req.purpose} with ${parseFailed ? 'a body that is not valid JSON' : 'an empty body'} (${describeBody(text, res.headers['content-type'])}).`,
          {
            status: res.statusCode,
            requestId,
            hint: 'This is usually a transient fault of the service or a proxy in between; try again.',
          },
        );
      }
      return { status: res.statusCode, data: data as T, requestId, headers: res.headers };
    }
    const error = apiErrorFor(res.statusCode, data, text, requestId, req.purpose, this.options.region);
    const retryAfter = parseRetryAfter(headerValue(res.headers['retry-after']));
    if (retryAfter !== undefined) Object.assign(error, { retryAfterMs: retryAfter });
    return error;
  }

  private backoff(attempt: number): number {
    const ceiling = Math.min(this.options.backoffMaxMs, this.options.backoffBaseMs * 2 ** attempt);
    return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
  }

  private mapTransportError(err: unknown, req: JsonRequest): Error {
    if (err instanceof ApiError || err instanceof MalformedResponseError) return err;
    if (req.signal?.aborted) return new CancelledError(`Cancelled while trying to ${req.purpose}.`);
    const code = errorCode(err);
    const name = (err as Error)?.name;
    if (
      name === 'TimeoutError' ||
      name === 'AbortError' ||
      (code?.startsWith('UND_ERR_') && /TIMEOUT/.test(code))
    ) {
      return new TimeoutError(
        `Timed out after ${Math.round(this.options.timeoutMs / 1000)} s trying to ${req.purpose} (${code ?? name}).`,
        {
          hint: 'The service or the network is slow. Try again; raise ASR_HTTP_TIMEOUT_MS if it keeps happening.',
          cause: err,
        },
      );
    }
    if (err instanceof Error && (err as { capped?: boolean }).capped) return err;
    const host = safeHost(req.url);
    return new ConnectionError(
      `Could not ${req.purpose}: ${code ?? name ?? 'network error'} talking to ${host}.`,
      {
        hint: 'Check the network connection and DASHSCOPE_REGION / DASHSCOPE_HTTP_BASE_URL; try again.',
        cause: err,
      },
    );
  }
}

/**
 * Splits an SSE body into events and hands each `data:` payload on as soon as its blank line arrives.
 * Comments and other fields (`event:`, `id:`) are skipped; multi-line data is joined with newlines.
 */
async function readEvents(
  body: AsyncIterable<Buffer>,
  onEvent: (data: string) => void,
  stream: { delivered: boolean },
  maxBytes: number,
  purpose: string,
): Promise<void> {
  const decoder = new TextDecoder();
  let pending = '';
  let data: string[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.length;
    if (total > maxBytes) {
      throw Object.assign(
        new MalformedResponseError(
          `The streamed answer to ${purpose} exceeded ${maxBytes} bytes; stopped reading.`,
        ),
        { capped: true },
      );
    }
    pending += decoder.decode(chunk, { stream: true });
    let nl = pending.indexOf('\n');
    while (nl >= 0) {
      const line = pending.slice(0, nl).replace(/\r$/, '');
      pending = pending.slice(nl + 1);
      if (line === '') {
        if (data.length > 0) {
          const payload = data.join('\n');
          data = [];
          stream.delivered = true;
          onEvent(payload);
        }
      } else if (line.startsWith('data:')) {
        data.push(line.slice(5).replace(/^ /, ''));
      }
      nl = pending.indexOf('\n');
    }
  }
  if (data.length > 0) {
    stream.delivered = true;
    onEvent(data.join('\n'));
  }
}

/** Body pieces in order, streams opened afresh for each attempt. */
async function* pieces(parts: (Buffer | ByteStream)[], signal?: AbortSignal): AsyncGenerator<Buffer> {
  for (const part of parts) {
    if (Buffer.isBuffer(part)) yield part;
    else yield* part.open(signal);
  }
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError();
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new CancelledError());
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new CancelledError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function errorCode(err: unknown): string | undefined {
  const e = err as { code?: string; cause?: { code?: string } };
  return e?.code ?? e?.cause?.code;
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

async function readCapped(
  body: AsyncIterable<Buffer> & { destroy?: (e?: Error) => void },
  max: number,
  purpose: string,
) {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.length;
    if (total > max) {
      body.destroy?.();
      throw Object.assign(
        new MalformedResponseError(
          `The answer to the request to ${purpose} was larger than ${Math.round(max / 1048576)} MiB and was not read.`,
        ),
        { capped: true },
      );
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function pickRequestId(data: unknown): string | undefined {
  if (data && typeof data === 'object') {
    const id = (data as { request_id?: unknown; id?: unknown }).request_id;
    if (typeof id === 'string') return id;
  }
  return undefined;
}

function describeBody(text: string, contentType: string | string[] | undefined): string {
  const type = headerValue(contentType) ?? 'no content type';
  const preview = text.slice(0, 80).replace(/\s+/g, ' ');
  return `${type}, ${text.length} bytes${preview ? `: "${preview}${text.length > 80 ? '…' : ''}"` : ''}`;
}

/** Both error shapes: native `{code, message}` and compatible `{error: {code, message, type}}`. */
export function parseErrorBody(data: unknown): { code?: string; message?: string } {
  if (!data || typeof data !== 'object') return {};
  const d = data as Record<string, unknown>;
  const nested = d.error && typeof d.error === 'object' ? (d.error as Record<string, unknown>) : undefined;
  const code = nested?.code ?? d.code ?? nested?.type;
  const message = nested?.message ?? d.message;
  return {
    code: typeof code === 'string' && code ? code : undefined,
    message: typeof message === 'string' ? message.trim() : undefined,
  };
}

export function apiErrorFor(
  status: number,
  data: unknown,
  text: string,
  requestId: string | undefined,
  purpose: string,
  region: string,
): ApiError {
  const { code, message } = parseErrorBody(data);
  const said = message
    ? `: ${message}`
    : data === undefined && text
      ? ` (${describeBody(text, undefined)})`
      : '';
  const details = { code, requestId, status };
  if (status === 401) {
    return new AuthenticationError(`DashScope rejected the API key while trying to ${purpose}${said}`, {
      ...details,
      hint:
        `API keys are region-specific: a key made in Singapore (ap-southeast-1) gets 401 from Beijing (cn-beijing). ` +
        `This server is using region ${region}. Check DASHSCOPE_API_KEY, or set DASHSCOPE_REGION to the key's region.`,
    });
  }
  if (code === 'Arrearage') {
    return new PermissionDeniedError(`The Alibaba Cloud account is overdue (Arrearage)${said}`, {
      ...details,
      hint: 'Top up the account in the Alibaba Cloud console, then try again.',
    });
  }
  if (status === 403) {
    return new PermissionDeniedError(`DashScope refused to ${purpose}${said}`, {
      ...details,
      hint:
        code === 'AllocationQuota.FreeTierOnly'
          ? 'The free quota is used up and the account allows free tier only: turn off "free tier only" in the Model Studio console.'
          : 'The key may not use this model or workspace. Check the model is activated for the account (and DASHSCOPE_WORKSPACE, if set).',
    });
  }
  if (status === 404) {
    return new NotFoundError(`DashScope does not serve this model or resource (${purpose})${said}`, {
      ...details,
      hint: 'Check the model name and that it is offered in your region.',
    });
  }
  if (status === 429) {
    return new RateLimitError(`DashScope is throttling requests (${purpose})${said}`, {
      ...details,
      hint: 'Too many requests or not enough quota: wait a minute and try again (the limit is 100 requests/min per model).',
    });
  }
  if (status >= 500) {
    return new ServerError(`DashScope had an internal error while trying to ${purpose}${said}`, {
      ...details,
      hint: 'A fault on the service side; try again in a moment.',
    });
  }
  if (message && /model not exist/i.test(message)) {
    return new NotFoundError(`DashScope does not know this model (${purpose})${said}`, {
      ...details,
      hint: 'Check the model name; see the list of supported models in the README.',
    });
  }
  return new BadRequestError(`DashScope refused the request to ${purpose}${said}`, {
    ...details,
    hint:
      code === 'DataInspectionFailed'
        ? 'The content was flagged by content inspection; it cannot be transcribed.'
        : 'Check the arguments named in the message.',
  });
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the service';
  }
}

/** Signed result URLs carry credentials in the query; never log them. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : `${url.slice(0, q)}?…`;
}
