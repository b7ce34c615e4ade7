/**
 * What DashScope's error answers and task failure codes mean, with what to do about each: the
 * service-specific half of error handling (the HTTP client itself knows no service).
 */
import {
  type ApiError,
  AuthenticationError,
  BadRequestError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  ServerError,
} from '../domain/errors.js';
import { describeBody } from '../http/body.js';
import type { ErrorAnswer } from '../http/client.js';

/** Both error shapes: native `{code, message}` and compatible `{error: {code, message, type}}`. */
function parseErrorBody(data: unknown): { code?: string; message?: string } {
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

/** The mapper the HTTP client calls for every answer outside 2xx. */
export function dashscopeErrors(region: string): (answer: ErrorAnswer) => ApiError {
  return (a) => apiErrorFor(a.status, a.data, a.text, a.requestId, a.purpose, region, a.retryAfterMs);
}

export function apiErrorFor(
  status: number,
  data: unknown,
  text: string,
  requestId: string | undefined,
  purpose: string,
  region: string,
  retryAfterMs?: number,
): ApiError {
  const { code, message } = parseErrorBody(data);
  const said = message
    ? `: ${message}`
    : data === undefined && text
      ? ` (${describeBody(text, undefined)})`
      : '';
  const details = { code, requestId, status, retryAfterMs };
  if (status === 401) {
    return new AuthenticationError(`DashScope rejected the API key while trying to ${purpose}${said}`, {
      ...details,
      hint:
        `API keys are region-specific: a key made in Singapore (ap-southeast-1) gets 401 from Beijing (cn-beijing). ` +
        `This server is using region ${region}. Keys may also be bound to a workspace: a workspace key (sk-ws-…) needs ` +
        `DASHSCOPE_WORKSPACE set to that workspace. Check DASHSCOPE_API_KEY, or set DASHSCOPE_REGION to the key's region.`,
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

/** What each task failure code means for the caller, and the way out. */
const TASK_FAILURE_HINTS: Record<string, string> = {
  FILE_DOWNLOAD_FAILED:
    'The service could not download the file: make sure the URL is public and reachable from the internet.',
  FILE_404_NOT_FOUND: 'The URL answers 404: check it, or pass a local path instead.',
  FILE_403_FORBIDDEN:
    'The URL is not publicly readable (403): make it public or use a signed URL, or pass a local path.',
  FILE_TOO_LARGE: 'The file is over 2 GB: split or compress it.',
  AUDIO_DURATION_TOO_LONG: 'The audio is over 12 hours: split it.',
  DECODE_ERROR:
    'The service could not decode the audio: check the file plays, or convert it to MP3/WAV/FLAC.',
  SUCCESS_WITH_NO_VALID_FRAGMENT: 'No speech was found in the audio.',
  ASR_RESPONSE_HAVE_NO_WORDS: 'No words were recognized in the audio.',
};

/** The hint for a failed task: its code's own, or the download one when the words point there. */
export function taskFailureHint(code: string | undefined, message: string | undefined): string | undefined {
  if (!code) return undefined;
  return (
    TASK_FAILURE_HINTS[code] ??
    (/download|url|403|404/i.test(`${code} ${message}`) ? TASK_FAILURE_HINTS.FILE_DOWNLOAD_FAILED : undefined)
  );
}

/** How the sync API words a refusal of audio that is too long or too large (not documented exactly). */
export const REFUSED_FOR_LENGTH =
  /(duration|too long|too large|file size|size limit|exceed|larger than|longer than)/i;
