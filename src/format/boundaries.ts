/**
 * Where a page or part of a rendered transcript may end, as ascending code-point offsets (the offset just
 * after the boundary, i.e. where the next page starts).
 *
 * Callers: `asr_read_transcript` and the transcript resources pick the set by format
 * (`sentenceBoundaries` for text, `cueBoundaries` for SRT and VTT, `lineBoundaries` for JSON rendered one
 * item per line) and cache it with the rendering; `pages.ts` and `parts.ts` cut at them.
 * Each is one O(n) pass with `charCodeAt`.
 */

const LF = 0x0a;

/** Whitespace a page may end after when no boundary fits (the JavaScript `\s` set, less U+FEFF). */
export function isSpace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  if (c < 0x85) return false;
  return (
    c === 0x85 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000
  );
}

/**
 * 1: ends a sentence when whitespace or the end follows (. ! ? … ‼ ⁇ ⁈ ⁉, Arabic ؟ ۔, Devanagari । ॥);
 * 2: ends a sentence outright, as CJK writes no space after it (。 ！ ？ ． ｡); 0: neither.
 */
function enderKind(c: number): 0 | 1 | 2 {
  if (c === 0x2e || c === 0x21 || c === 0x3f) return 1;
  if (c < 0x61f) return 0;
  if (c === 0x3002 || c === 0xff01 || c === 0xff1f || c === 0xff0e || c === 0xff61) return 2;
  if (c === 0x2026 || c === 0x203c || (c >= 0x2047 && c <= 0x2049)) return 1;
  return c === 0x61f || c === 0x6d4 || c === 0x964 || c === 0x965 ? 1 : 0;
}

/** Closing quotes and brackets that stay with the sentence they close: ." .) 。」 ？） … */
const CLOSERS = new Set(Array.from('"\')]}»›’”〉》」』】〕〗〙〛〞〟＂＇）］｝｣', (ch) => ch.charCodeAt(0)));

function isHighPair(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  if (c < 0xd800 || c > 0xdbff || i + 1 >= s.length) return false;
  const d = s.charCodeAt(i + 1);
  return d >= 0xdc00 && d <= 0xdfff;
}

function push(out: number[], at: number): void {
  if (out.length === 0 || out[out.length - 1]! < at) out.push(at);
}

/**
 * Where a plain-text page may end: after every newline, and after a sentence end (an ender, more enders
 * or closers, then the whitespace that follows, so the next page starts on the next sentence).
 * Latin-style enders need whitespace or the end after them ("3.14", "e.g.x" do not end sentences); CJK
 * enders do not. With `stopAt`, scanning stops past that offset (the inline cut reads only what fits);
 * the boundaries up to it are the same as without.
 */
export function sentenceBoundaries(text: string, stopAt = Number.POSITIVE_INFINITY): number[] {
  const out: number[] = [];
  const n = text.length;
  let i = 0;
  let cp = 0;
  while (i < n && cp <= stopAt) {
    const c = text.charCodeAt(i);
    const kind = enderKind(c);
    if (kind === 0) {
      i += isHighPair(text, i) ? 2 : 1;
      cp++;
      if (c === LF) push(out, cp);
      continue;
    }
    let cjk = kind === 2;
    for (i++, cp++; i < n; i++, cp++) {
      const d = text.charCodeAt(i);
      const k = enderKind(d);
      if (k === 2) cjk = true;
      else if (k === 0 && !CLOSERS.has(d)) break;
    }
    const before = i;
    for (; i < n; i++) {
      const d = text.charCodeAt(i);
      if (!isSpace(d)) break;
      cp++;
      if (d === LF) push(out, cp);
    }
    if (cjk || i > before || i === n) push(out, cp);
  }
  return out;
}

/** Offsets after every `\n` (JSON rendered one item per line; also the newline rule of plain text). */
export function lineBoundaries(text: string): number[] {
  const out: number[] = [];
  let pairs = 0; // surrogate pairs so far: code-point offset = UTF-16 index - pairs
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === LF) out.push(i + 1 - pairs);
    else if (c >= 0xdc00 && c <= 0xdfff && i > 0) {
      const h = text.charCodeAt(i - 1);
      if (h >= 0xd800 && h <= 0xdbff) pairs++;
    }
  }
  return out;
}

/**
 * Offsets where an SRT or WebVTT page may end: at the start of the first line after the blank line(s)
 * that end a cue (a block with a `-->` timing line). Blocks without timings (the WEBVTT header, NOTE,
 * STYLE) therefore stay with the cue after them, so the header is part of the first page.
 */
export function cueBoundaries(text: string): number[] {
  const out: number[] = [];
  const n = text.length;
  let nextArrow = text.indexOf('-->');
  let inCue = false;
  let pending = false;
  let i = 0;
  let cp = 0;
  while (i < n) {
    const lineCp = cp;
    const lineStart = i;
    let blank = true;
    for (; i < n; i++, cp++) {
      const c = text.charCodeAt(i);
      if (c === LF) break;
      if (c !== 0x20 && c !== 0x09 && c !== 0x0d) blank = false;
      if (isHighPair(text, i)) i++;
    }
    if (blank) {
      if (inCue) pending = true;
      inCue = false;
    } else {
      if (pending) out.push(lineCp);
      pending = false;
      // One indexOf per arrow found keeps this O(n) even when the arrows are far apart.
      if (nextArrow !== -1 && nextArrow < lineStart) nextArrow = text.indexOf('-->', lineStart);
      if (nextArrow !== -1 && nextArrow < i) inCue = true;
    }
    if (i < n) {
      i++;
      cp++;
    }
  }
  return out;
}

/** Index of the last element ≤ `value` in ascending `sorted`, or -1. */
export function lastAtMost(sorted: ArrayLike<number>, value: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= value) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}
