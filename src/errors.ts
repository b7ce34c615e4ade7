import { redact, scrub } from './secrets.js';

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
  cause?: unknown;
}

export class AsrError extends Error {
  readonly kind: ErrorKind;
  readonly code?: string;
  readonly requestId?: string;
  readonly status?: number;
  readonly hint?: string;

  constructor(kind: ErrorKind, message: string, details: ErrorDetails = {}) {
    // Masked at birth: an error may quote a response body that echoed the key or a header.
    super(scrub(message), details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.kind = kind;
    this.code = details.code;
    this.requestId = details.requestId;
    this.status = details.status;
    this.hint = details.hint === undefined ? undefined : scrub(details.hint);
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

export function isAbortError(err: unknown): boolean {
  return (
    err instanceof CancelledError ||
    (err instanceof Error && (err.name === 'AbortError' || (err as { code?: string }).code === 'ABORT_ERR'))
  );
}

/** Anything thrown, as text fit for a user, with the API key (if any) masked. */
export function describeError(err: unknown, secret?: string): string {
  const text = err instanceof AsrError ? err.describe() : err instanceof Error ? err.message : String(err);
  return scrub(redact(text, secret));
}
