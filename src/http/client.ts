/**
 * A JSON (and SSE) client that knows no particular service: one keep-alive undici Agent, per-attempt
 * deadlines (the HTTP timeout, or the caller's own deadline when sooner), one retry policy (Retry-After first, then jittered exponential backoff, bounded) and
 * response size caps. What an error answer means is the caller's to say (`errorFor`); the dispatcher
 * is injectable for tests.
 *
 * Over 300 lines on purpose: the retry loop, the per-attempt deadline and the mapping of transport
 * failures are one policy, easier to check in one place.
 */
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import {
  ApiError,
  AsrError,
  CancelledError,
  ConnectionError,
  MalformedResponseError,
  StreamInterruptedError,
  TimeoutError,
} from '../domain/errors.js';
import { sleep } from '../domain/waiting.js';
import type { ByteStream } from '../util/byte-stream.js';
import type { Logger } from '../util/log.js';
import { describeBody, headerValue, parseRetryAfter, pickRequestId, pieces, readCapped } from './body.js';
import { readEvents } from './sse.js';

/** An answer outside 2xx, for the service's own mapping onto a typed error. */
export interface ErrorAnswer {
  status: number;
  /** The body parsed as JSON, when it was JSON. */
  data: unknown;
  text: string;
  requestId: string | undefined;
  purpose: string;
  retryAfterMs: number | undefined;
}

export interface HttpOptions {
  timeoutMs: number;
  maxRetries: number;
  dispatcher?: Dispatcher;
  logger: Logger;
  /** The service's name in messages ("DashScope answered … with a body that is not JSON"). */
  service: string;
  /** Turns an error answer into the service's typed error (with its hints). */
  errorFor: (answer: ErrorAnswer) => ApiError;
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
  /**
   * When the caller stops waiting (epoch ms): each attempt ends by then (or by the HTTP timeout, if
   * sooner), and no retry is started that could not have a fair chance to finish before it.
   */
  deadline?: number;
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
/** The least time worth giving a retry before the caller's deadline. */
const MIN_ATTEMPT_MS = 1000;

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
      errorFor: options.errorFor,
      service: options.service,
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
      const left = req.deadline === undefined ? Number.POSITIVE_INFINITY : req.deadline - started;
      if (left <= 0) throw this.outOfTime(req, 0);
      const limitMs = Math.min(this.options.timeoutMs, left);
      let outcome: JsonResponse<T> | ApiError;
      try {
        outcome = await this.once<T>(req, headers, body, stream, limitMs);
      } catch (err) {
        const mapped = this.mapTransportError(
          err,
          req,
          limitMs < this.options.timeoutMs ? limitMs : undefined,
        );
        const notSent = NOT_SENT_CODES.has(errorCode(err) ?? '');
        if (stream.delivered && !(mapped instanceof CancelledError)) throw new StreamInterruptedError(mapped);
        const wait = this.backoff(attempt);
        if (
          mapped instanceof CancelledError ||
          mapped.kind === 'input' ||
          attempt >= this.options.maxRetries ||
          !(req.idempotent || notSent) ||
          !this.timeForRetry(req, wait)
        ) {
          throw mapped;
        }
        this.options.logger.warn(`${req.purpose}: ${mapped.message}; retrying in ${wait} ms`);
        await sleep(wait, req.signal);
        continue;
      }
      this.options.logger.debug(
        `${req.method} ${urlForLog(req.url)} -> ${outcome.status} in ${Date.now() - started} ms`,
      );
      if (!(outcome instanceof ApiError)) return outcome;
      const status = outcome.status ?? 0;
      const retryable = RETRYABLE_STATUS.has(status) && (req.idempotent || REJECTED_STATUS.has(status));
      if (!retryable || attempt >= this.options.maxRetries) throw outcome;
      const retryAfter = outcome.retryAfterMs;
      if (retryAfter !== undefined && retryAfter > this.options.maxRetryAfterMs) throw outcome;
      const wait = retryAfter ?? this.backoff(attempt);
      if (!this.timeForRetry(req, wait)) throw outcome;
      this.options.logger.warn(
        `${req.purpose}: HTTP ${status} ${outcome.code ?? ''}; retrying in ${wait} ms`,
      );
      await sleep(wait, req.signal);
    }
  }

  /**
   * Is there time for one more attempt after waiting `waitMs`? It must be left at least the shorter of
   * the HTTP timeout and MIN_ATTEMPT_MS; a retry with less could only end in a timeout.
   */
  private timeForRetry(req: JsonRequest, waitMs: number): boolean {
    if (req.deadline === undefined) return true;
    const needed = Math.min(this.options.timeoutMs, MIN_ATTEMPT_MS);
    return Date.now() + waitMs + needed <= req.deadline;
  }

  private outOfTime(req: JsonRequest, limitMs: number): TimeoutError {
    return new TimeoutError(
      `No answer within the time left for this call (${formatSeconds(limitMs)}) while trying to ${req.purpose}.`,
      {
        hint: 'The service or the network is slow, or not answering. Try again, or allow the call more time.',
      },
    );
  }

  private async once<T>(
    req: JsonRequest,
    headers: Record<string, string>,
    body: (Buffer | ByteStream)[] | undefined,
    stream: { delivered: boolean },
    limitMs: number,
  ): Promise<JsonResponse<T> | ApiError> {
    // A per-attempt deadline on top of undici's header/body timeouts: a body that trickles one byte
    // at a time would otherwise never trip the idle-based body timeout. It is the HTTP timeout, or
    // the time left in the caller's budget when that is shorter.
    const deadline = AbortSignal.timeout(limitMs);
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
          `${this.options.service} answered the request to ${req.purpose} with ${parseFailed ? 'a body that is not valid JSON' : 'an empty body'} (${describeBody(text, res.headers['content-type'])}).`,
          {
            status: res.statusCode,
            requestId,
            hint: 'This is usually a transient fault of the service or a proxy in between; try again.',
          },
        );
      }
      return { status: res.statusCode, data: data as T, requestId, headers: res.headers };
    }
    return this.options.errorFor({
      status: res.statusCode,
      data,
      text,
      requestId,
      purpose: req.purpose,
      retryAfterMs: parseRetryAfter(headerValue(res.headers['retry-after'])),
    });
  }

  private backoff(attempt: number): number {
    const ceiling = Math.min(this.options.backoffMaxMs, this.options.backoffBaseMs * 2 ** attempt);
    return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
  }

  /** `byDeadlineMs`: set when the attempt's limit was the caller's deadline rather than the HTTP timeout. */
  private mapTransportError(err: unknown, req: JsonRequest, byDeadlineMs?: number): AsrError {
    // Our own errors (API answers, malformed or oversized bodies, a request body's own read error,
    // such as a local file that failed) already say what happened.
    const own = ownError(err);
    if (own) return own;
    if (req.signal?.aborted) return new CancelledError(`Cancelled while trying to ${req.purpose}.`);
    const code = errorCode(err);
    const name = (err as Error)?.name;
    if (
      name === 'TimeoutError' ||
      name === 'AbortError' ||
      (code?.startsWith('UND_ERR_') && /TIMEOUT/.test(code))
    ) {
      if (byDeadlineMs !== undefined && req.deadline !== undefined && Date.now() >= req.deadline - 50) {
        const timeout = this.outOfTime(req, byDeadlineMs);
        return new TimeoutError(timeout.message, { hint: timeout.hint, cause: err });
      }
      return new TimeoutError(
        `Timed out after ${Math.round(this.options.timeoutMs / 1000)} s trying to ${req.purpose} (${code ?? name}).`,
        {
          hint: 'The service or the network is slow. Try again; raise ASR_HTTP_TIMEOUT_MS if it keeps happening.',
          cause: err,
        },
      );
    }
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

/** An AsrError thrown by us (possibly wrapped once by undici as a cause), but not a cancel. */
function ownError(err: unknown): AsrError | undefined {
  const cause = (err as { cause?: unknown })?.cause;
  for (const e of [err, cause]) if (e instanceof AsrError && !(e instanceof CancelledError)) return e;
  return undefined;
}

function formatSeconds(ms: number): string {
  return ms >= 10_000 ? `${Math.round(ms / 1000)} s` : `${(ms / 1000).toFixed(1)} s`;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError();
}

function errorCode(err: unknown): string | undefined {
  const e = err as { code?: string; cause?: { code?: string } };
  return e?.code ?? e?.cause?.code;
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the service';
  }
}

/** Signed result URLs carry credentials in the query; never log them. */
export function urlForLog(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : `${url.slice(0, q)}?…`;
}
