/**
 * Pages of a rendered transcript within a token budget, each ending on a boundary from boundaries.ts.
 *
 * Callers: `asr_read_transcript` (`page`) and the inline tool result (`cutAtSentence`).
 *
 * Offsets count code points (see tokens.ts). Rendering, boundaries and `measure` are each O(n): a caller
 * serving pages should compute them once per (transcript, format) and cache the three together (a small
 * LRU), after which each `page` call costs O(page length + log n).
 */
import { isSpace, lastAtMost, sentenceBoundaries } from './boundaries.js';
import { advanceCodePoints, codePointIndex, isWide, measure, type TextMeasure, tokensFor } from './tokens.js';

interface Cut {
  /** Code point and UTF-16 index where the page ends (exclusive). */
  endCp: number;
  endIdx: number;
}

/**
 * Where a page starting at (`startCp`, `startIdx`) ends: the end of the text if it fits, else the last
 * boundary that fits, else just after the last whitespace that fits, else as much as fits. Any one code
 * point is at most one token, so with maxTokens ≥ 1 a non-final page is never empty.
 */
function cutFrom(
  text: string,
  startIdx: number,
  startCp: number,
  maxTokens: number,
  boundariesUpTo: (limitCp: number) => ArrayLike<number>,
): Cut {
  const n = text.length;
  let wide = 0;
  let narrow = 0;
  let i = startIdx;
  let cp = startCp;
  let spaceCp = -1; // just after the last whitespace that fits (two numbers: no allocation per space)
  let spaceIdx = -1;
  while (i < n) {
    let c = text.charCodeAt(i);
    let step = 1;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        step = 2;
      }
    }
    if (c >= 0x1100 && isWide(c)) {
      if (tokensFor(wide + 1, narrow) > maxTokens) break;
      wide++;
    } else {
      if (tokensFor(wide, narrow + 1) > maxTokens) break;
      narrow++;
    }
    i += step;
    cp++;
    if (isSpace(c)) {
      spaceCp = cp;
      spaceIdx = i;
    }
  }
  if (i === n) return { endCp: cp, endIdx: n };
  const boundaries = boundariesUpTo(cp);
  const b = boundaries[lastAtMost(boundaries, cp)];
  if (b !== undefined && b > startCp) {
    if (b === spaceCp) return { endCp: b, endIdx: spaceIdx };
    return { endCp: b, endIdx: advanceCodePoints(text, startIdx, b - startCp) };
  }
  return spaceCp === -1 ? { endCp: cp, endIdx: i } : { endCp: spaceCp, endIdx: spaceIdx };
}

function checkBudget(maxTokens: number): void {
  if (!Number.isInteger(maxTokens) || maxTokens < 1) {
    throw new RangeError(`max_tokens must be a whole number ≥ 1, got ${maxTokens}.`);
  }
}

export interface Page {
  offset: number;
  /** Where the next page starts; absent when this page reaches the end. */
  next_offset?: number;
  text: string;
  total_chars: number;
  total_tokens: number;
}

/**
 * The page of `text` starting at code point `offset`, ending on the last of `boundaries` (ascending
 * code-point offsets) that keeps `estimateTokens(page) ≤ maxTokens` (fallbacks: see `cutFrom`).
 * `offset` may fall mid-sentence (the page starts there); `offset === total_chars` gives an empty last
 * page; past the end, negative or fractional offsets throw a RangeError for the caller to report.
 * Pass the cached `measure(text)` to make the call O(page length + log n).
 */
export function page(
  text: string,
  boundaries: ArrayLike<number>,
  offset: number,
  maxTokens: number,
  measured: TextMeasure = measure(text),
): Page {
  checkBudget(maxTokens);
  const startIdx = codePointIndex(text, offset, measured);
  const cut = cutFrom(text, startIdx, offset, maxTokens, () => boundaries);
  return {
    offset,
    ...(cut.endCp < measured.chars ? { next_offset: cut.endCp } : {}),
    text: text.slice(startIdx, cut.endIdx),
    total_chars: measured.chars,
    total_tokens: measured.tokens,
  };
}

/**
 * The inline-result cut: the first page of `text` under sentence boundaries, in O(page length) (only
 * the part of the text that fits is scanned for boundaries, so no totals are computed).
 */
export function cutAtSentence(
  text: string,
  maxTokens: number,
): { text: string; cut: boolean; next_offset?: number } {
  checkBudget(maxTokens);
  const c = cutFrom(text, 0, 0, maxTokens, (limitCp) => sentenceBoundaries(text, limitCp));
  if (c.endIdx === text.length) return { text, cut: false };
  return { text: text.slice(0, c.endIdx), cut: true, next_offset: c.endCp };
}
