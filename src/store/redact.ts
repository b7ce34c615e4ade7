/**
 * What is saved or listed carries no URL credentials: every string in a record or transcript (the
 * caller's `source`, the service's echoed `file_url`, error messages and warnings that quote a URL)
 * has its http(s) userinfo and signature parameters masked. The live request keeps the real URL; only
 * the stored copies are masked.
 */
import { redactUrl, redactUrlsInText } from '../util/redact-url.js';

function maskString(text: string): string {
  // Cheap test first: most strings (words of a transcript) hold no URL at all.
  if (!/https?:/i.test(text)) return text;
  // The whole string first (a URL as the caller gave it, with the odd prefixes fetch accepts), then any
  // URL inside free text.
  return redactUrlsInText(redactUrl(text));
}

/** A deep copy of a JSON-like value with every string masked. */
export function maskUrls<T>(value: T): T {
  return walk(value) as T;
}

function walk(value: unknown): unknown {
  if (typeof value === 'string') return maskString(value);
  if (Array.isArray(value)) return value.map(walk);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) out[key] = walk(v);
    return out;
  }
  return value;
}
