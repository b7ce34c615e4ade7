/**
 * Token estimates and code-point arithmetic for keeping results within ASR_MAX_RESULT_TOKENS.
 *
 * Callers: `pages.ts` and `parts.ts` here; the inline tool result and `asr_read_transcript` (budget
 * checks, `total_tokens`, and turning a code-point `offset` into a string index).
 *
 * Offsets exposed to clients count Unicode code points, not UTF-16 units, so that a page never starts or
 * ends inside a surrogate pair and clients in any language count the same way. Everything here is a
 * single `charCodeAt` pass without allocation, so a 50 MB rendering is measured in tens of milliseconds.
 */

/**
 * Code points counted as one token each: scripts that LLM tokenizers (Qwen, GPT, Claude) encode at about
 * one token per character, where the four-characters-per-token rule would undercount several times over.
 *   U+1100–11FF    Hangul Jamo
 *   U+2E80–9FFF    CJK radicals, Kangxi, ideographic description, CJK symbols and punctuation (、。「」),
 *                  hiragana, katakana, bopomofo, hangul compatibility jamo, kanbun, CJK strokes,
 *                  enclosed CJK, CJK compatibility, CJK Extension A, CJK Unified Ideographs
 *   U+A960–A97F    Hangul Jamo Extended-A
 *   U+AC00–D7FF    Hangul syllables, Hangul Jamo Extended-B
 *   U+F900–FAFF    CJK compatibility ideographs
 *   U+FE30–FE4F    CJK compatibility forms (vertical punctuation)
 *   U+FF00–FFEF    halfwidth and fullwidth forms (！？， fullwidth ASCII, halfwidth katakana)
 *   U+1B000–1B2FF  kana supplement and extensions, Nüshu
 *   U+20000–3FFFF  CJK Extensions B–H and compatibility supplement (planes 2 and 3)
 */
export function isWide(cp: number): boolean {
  if (cp < 0x1100) return false;
  if (cp <= 0x11ff) return true;
  if (cp < 0x2e80) return false;
  if (cp <= 0x9fff) return true;
  if (cp < 0xa960) return false;
  if (cp <= 0xa97f) return true;
  if (cp < 0xac00) return false;
  if (cp <= 0xd7ff) return true;
  if (cp < 0xf900) return false;
  if (cp <= 0xfaff) return true;
  if (cp < 0xfe30) return false;
  if (cp <= 0xfe4f) return true;
  if (cp < 0xff00) return false;
  if (cp <= 0xffef) return true;
  if (cp < 0x1b000) return false;
  if (cp <= 0x1b2ff) return true;
  return cp >= 0x20000 && cp <= 0x3ffff;
}

/** Tokens for `wide` one-token characters and `narrow` others (four to a token, rounded up). */
export function tokensFor(wide: number, narrow: number): number {
  return wide + Math.ceil(narrow / 4);
}

/** Estimated LLM tokens of `text`: see `isWide` for the one-token characters; others ≈ 4 per token. */
export function estimateTokens(text: string): number {
  return measure(text).tokens;
}

/** Code points in `s` (a lone surrogate counts as one, as in `[...s].length`). */
export function codePointLength(s: string): number {
  let pairs = 0;
  const last = s.length - 1;
  for (let i = 0; i < last; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        pairs++;
        i++;
      }
    }
  }
  return s.length - pairs;
}

/** Code points between checkpoints in `TextMeasure`: bounds the scan of `codePointIndex` to 1024. */
const STRIDE_BITS = 10;
const STRIDE = 1 << STRIDE_BITS;

/**
 * Totals of a rendering plus an index for O(1) offset lookups. Computing it is O(n): callers paging a
 * saved transcript should compute it once per rendering and cache it next to the text and boundaries.
 */
export interface TextMeasure {
  /** Code points. */
  chars: number;
  /** `estimateTokens` of the whole text. */
  tokens: number;
  /** UTF-16 index of code point k·1024; absent when the text has no surrogate pairs (index = offset). */
  checkpoints?: Uint32Array;
}

/** One pass: code points, estimated tokens and the offset index. */
export function measure(text: string): TextMeasure {
  const n = text.length;
  const checkpoints = new Uint32Array((n >>> STRIDE_BITS) + 1);
  let wide = 0;
  let narrow = 0;
  let cp = 0;
  for (let i = 0; i < n; i++, cp++) {
    if ((cp & (STRIDE - 1)) === 0) checkpoints[cp >>> STRIDE_BITS] = i;
    let c = text.charCodeAt(i);
    if (c < 0x1100) {
      narrow++; // the common case: Latin, Cyrillic, Arabic, digits, ASCII punctuation
      continue;
    }
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      }
    }
    if (isWide(c)) wide++;
    else narrow++;
  }
  // The end itself is a valid offset and may fall on a checkpoint.
  if ((cp & (STRIDE - 1)) === 0) checkpoints[cp >>> STRIDE_BITS] = n;
  const tokens = tokensFor(wide, narrow);
  return cp === n ? { chars: cp, tokens } : { chars: cp, tokens, checkpoints };
}

/** The UTF-16 index `count` code points after index `from` (clamped to the end of `s`). */
export function advanceCodePoints(s: string, from: number, count: number): number {
  const n = s.length;
  let i = from;
  for (let k = 0; k < count && i < n; k++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const d = s.charCodeAt(i + 1);
      i += d >= 0xdc00 && d <= 0xdfff ? 2 : 1;
    } else {
      i++;
    }
  }
  return i;
}

/**
 * UTF-16 index of code-point offset `cp` (0 ≤ cp ≤ code-point length, else RangeError). O(cp) without a
 * measure; with the text's `measure` O(1): identity for texts without surrogate pairs, else at most
 * 1024 code points from the nearest checkpoint.
 */
export function codePointIndex(s: string, cp: number, measured?: TextMeasure): number {
  if (!Number.isInteger(cp) || cp < 0) throw new RangeError(`Offset ${cp} is not a whole number ≥ 0.`);
  if (measured) {
    if (cp > measured.chars) throw new RangeError(`Offset ${cp} is past the end (${measured.chars}).`);
    const cps = measured.checkpoints;
    if (!cps) return cp;
    return advanceCodePoints(s, cps[cp >>> STRIDE_BITS]!, cp & (STRIDE - 1));
  }
  const i = advanceCodePoints(s, 0, cp);
  // Clamped at the end: past it unless exactly `cp` code points lie before `i`.
  if (i === s.length && cp > 0 && codePointLength(s) < cp) {
    throw new RangeError(`Offset ${cp} is past the end (${codePointLength(s)}).`);
  }
  return i;
}
