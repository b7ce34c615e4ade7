/**
 * What a JSON value would cost serialized (compact `JSON.stringify`), without serializing it: its
 * bytes and its estimated tokens. A 12-hour transcript's sentences and raw responses are tens of MB
 * of JSON; building those strings only to measure them is memory the server holds at its peak.
 */
import { jsonStringBytes } from './parts.js';
import { isWide, tokensFor } from './tokens.js';

export interface JsonSize {
  bytes: number;
  tokens: number;
}

export function jsonSize(value: unknown): JsonSize {
  const count = { bytes: 0, wide: 0, narrow: 0 };
  walk(value, count);
  return { bytes: count.bytes, tokens: tokensFor(count.wide, count.narrow) };
}

function walk(value: unknown, c: { bytes: number; wide: number; narrow: number }): void {
  if (typeof value === 'string') text(value, c);
  else if (typeof value === 'number') plain(Number.isFinite(value) ? String(value) : 'null', c);
  else if (typeof value === 'boolean') plain(value ? 'true' : 'false', c);
  else if (value === null) plain('null', c);
  else if (Array.isArray(value)) {
    plain('[]', c);
    value.forEach((item, i) => {
      if (i > 0) plain(',', c);
      // undefined and functions serialize as null inside arrays.
      walk(item === undefined || typeof item === 'function' ? null : item, c);
    });
  } else if (typeof value === 'object') {
    const withJson = value as { toJSON?: () => unknown };
    if (typeof withJson.toJSON === 'function') {
      walk(withJson.toJSON(), c);
      return;
    }
    plain('{}', c);
    let first = true;
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      if (v === undefined || typeof v === 'function') continue;
      if (!first) plain(',', c);
      first = false;
      text(key, c);
      plain(':', c);
      walk(v, c);
    }
  }
}

function plain(s: string, c: { bytes: number; narrow: number }): void {
  c.bytes += s.length;
  c.narrow += s.length;
}

function text(s: string, c: { bytes: number; wide: number; narrow: number }): void {
  c.bytes += jsonStringBytes(s);
  let wide = 0;
  let chars = 0;
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < s.length) {
      const low = s.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        if (isWide((code - 0xd800) * 0x400 + (low - 0xdc00) + 0x10000)) wide++;
        chars++;
        i++;
        continue;
      }
    }
    if (isWide(code)) wide++;
    chars++;
  }
  // The quotes, and every other character as it is (escapes counted as the characters they stand for).
  c.wide += wide;
  c.narrow += chars - wide + 2;
}
