/** Reading untrusted JSON without casts: each accessor answers undefined for the wrong type. */
import { MalformedResponseError } from '../domain/errors.js';

export type Json = Record<string, unknown>;

export function obj(v: unknown): Json | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
}
export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
export function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function malformed(what: string, requestId?: string): MalformedResponseError {
  return new MalformedResponseError(`DashScope's answer did not have the documented shape: ${what}.`, {
    requestId,
    hint: 'Try again; if it persists, the API may have changed: please report it with the raw response.',
  });
}
