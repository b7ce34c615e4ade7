/**
 * What is saved or listed carries no URL credentials: every string in a record or transcript (the
 * caller's `source`, the service's echoed `file_url`, error messages and warnings that quote a URL)
 * has its http(s) userinfo and signature parameters masked. The live request keeps the real URL; only
 * the stored copies are masked.
 */
import { redactUrl, redactUrlsInText } from '../util/redact-url.js';
import { scrub } from '../util/secrets.js';

function maskString(text: string): string {
  // Secrets first (an API key a response echoed), then URLs; most strings (the words of a transcript)
  // hold neither, and cost one scan each.
  text = scrub(text);
  if (!/https?:/i.test(text)) return text;
  // The whole string first (a URL as the caller gave it, with the odd prefixes fetch accepts), then any
  // URL inside free text.
  return redactUrlsInText(redactUrl(text));
}

/** A deep copy of a JSON-like value with every string masked (URL credentials and secrets). */
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

/**
 * The same masking done in place, for a value this process built and owns (a fresh result): a
 * 12-hour transcript is 200,000 small objects, and a copy of them is memory held at the peak.
 */
export function maskUrlsInPlace<T>(value: T): T {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      if (typeof v === 'string') value[i] = maskString(v);
      else maskUrlsInPlace(v);
    }
  } else if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    for (const key of Object.keys(obj)) {
      const v = obj[key];
      if (typeof v === 'string') obj[key] = maskString(v);
      else maskUrlsInPlace(v);
    }
  }
  return value;
}
