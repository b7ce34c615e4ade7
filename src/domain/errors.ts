import { errorMessage } from '../util/errors.js';
import { redact, scrub } from '../util/secrets.js';

/**
 * Typed errors. Every failure the server can report is one of these, so the tool wrapper can turn it
 * into an `isError` result with a message that says what went wrong and what to do about it.
 */

export type ErrorKind =
  | 'input'
  | 'configuration'
  | 'authentication'
  | 'permission'
  | 'not_found'
  | 'rate_limit'
  | 'bad_request'
  | 'server'
  | 'network'
  | 'timeout'
  | 'malformed_response'
  | 'task_failed'
  | 'upload'
  | 'cancelled';

export interface ErrorDetails {
  /** The API's own error code (`InvalidApiKey`, `FILE_403_FORBIDDEN`, ...). */
  code?: string;
  /** DashScope's request id, for support tickets. */
  requestId?: string;
  /** HTTP status of the failing response. */
  status?: number;
  /** What the user can do about it. */
  hint?: string;
  /** The service's Retry-After, when it sent one (429/503). */
  retryAfterMs?: number;
  cause?: unknown;
}

export class AsrError extends Error {
  readonly kind: ErrorKind;
  readonly code?: string;
  readonly requestId?: string;
  readonly status?: number;
  readonly hint?: string;
  readonly retryAfterMs?: number;

  constructor(kind: ErrorKind, message: string, details: ErrorDetails = {}) {
    // Masked at birth: an error may quote a response body that echoed the key or a header.
    super(scrub(message), details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.kind = kind;
    this.code = details.code;
    this.requestId = details.requestId;
    this.status = details.status;
    this.hint = details.hint === undefined ? undefined : scrub(details.hint);
    this.retryAfterMs = details.retryAfterMs;
  }

  /**
   * The same error (same class, kind, code, status, request id) with a message and hint that add the
   * caller's context: callers that re-word an error must not lose what it is.
   */
  withContext(message: string, hint?: string): this {
    const copy = Object.create(Object.getPrototypeOf(this)) as this;
    Object.assign(copy, this);
    Object.defineProperty(copy, 'message', { value: scrub(message), writable: true, configurable: true });
    Object.defineProperty(copy, 'hint', { value: hint === undefined ? this.hint : scrub(hint) });
    Object.defineProperty(copy, 'stack', { value: this.stack, writable: true, configurable: true });
    return copy;
  }

  /** One paragraph for a person or an agent: what, the API's code and request id, then what to do. */
  describe(): string {
    const facts: string[] = [];
    if (this.status !== undefined) facts.push(`HTTP ${this.status}`);
    if (this.code) facts.push(`code ${this.code}`);
    if (this.requestId) facts.push(`request_id ${this.requestId}`);
    let text = this.message;
    if (facts.length > 0) text += ` (${facts.join(', ')})`;
    if (this.hint) text += `\nHow to fix: ${this.hint}`;
    return text;
  }
}

/** The caller's arguments are wrong: missing file, not audio, unknown model, bad option. */
export class InputError extends AsrError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('input', message, details);
  }
}

/** The server's own set-up is wrong: no API key, bad region, unusable base URL. */
export class ConfigurationError extends AsrError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('configuration', message, details);
  }
}

/** Base of every error that carries an HTTP answer from DashScope. */
export class ApiError extends AsrError {}

export class AuthenticationError extends ApiError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('authentication', message, details);
  }
}
export class PermissionDeniedError extends ApiError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('permission', message, details);
  }
}
export class NotFoundError extends ApiError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('not_found', message, details);
  }
}
export class RateLimitError extends ApiError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('rate_limit', message, details);
  }
}
export class BadRequestError extends ApiError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('bad_request', message, details);
  }
}
export class ServerError extends ApiError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('server', message, details);
  }
}

/** No HTTP answer at all: refused, reset, DNS. */
export class ConnectionError extends AsrError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('network', message, details);
  }
}
export class TimeoutError extends AsrError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('timeout', message, details);
  }
}
/** An answer came, but not in the documented shape (truncated JSON, HTML error page, missing fields). */
export class MalformedResponseError extends AsrError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('malformed_response', message, details);
  }
}
/** An answer larger than the cap set for it; it was not read further. */
export class ResponseTooLargeError extends MalformedResponseError {}

/**
 * A streamed answer broke off after some of it was delivered. It cannot be retried transparently (the
 * caller has seen part of the text), so the caller decides; `cause` is what broke it.
 */
export class StreamInterruptedError extends AsrError {
  constructor(cause: AsrError) {
    super(cause.kind, cause.message, {
      code: cause.code,
      status: cause.status,
      requestId: cause.requestId,
      hint: cause.hint,
      cause,
    });
  }
}

/** The async task itself ended FAILED (HTTP 200 with `output.code`). */
export class TaskFailedError extends AsrError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('task_failed', message, details);
  }
}
export class UploadError extends AsrError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('upload', message, details);
  }
}
export class CancelledError extends AsrError {
  constructor(message = 'The request was cancelled.', details: ErrorDetails = {}) {
    super('cancelled', message, details);
  }
}

/** Anything thrown, as text fit for a user, with the API key (if any) masked. */
export function describeError(err: unknown, secret?: string): string {
  const text = err instanceof AsrError ? err.describe() : errorMessage(err);
  return scrub(redact(text, secret));
}
