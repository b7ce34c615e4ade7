import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  advanceCodePoints,
  codePointIndex,
  codePointLength,
  estimateTokens,
  isWide,
  measure,
} from '../../src/format/tokens.js';

/** The definition, spelled out slowly: one token per wide code point, four others per token. */
function slowTokens(s: string): number {
  let wide = 0;
  let narrow = 0;
  for (const ch of s) {
    if (isWide(ch.codePointAt(0)!)) wide++;
    else narrow++;
  }
  return wide + Math.ceil(narrow / 4);
}

/** UTF-16 index of code point `cp`, by splitting into code points. */
function slowIndex(s: string, cp: number): number {
  return [...s].slice(0, cp).join('').length;
}

const lone = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const piece = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.constantFrom('a', ' ', '\n', '你', 'こ', '한', '！', '😀', '𠀀', 'ｱ', 'é'),
  lone,
);
const anyText = fc.array(piece, { maxLength: 40 }).map((parts) => parts.join(''));

describe('estimateTokens', () => {
  it('counts four Latin characters per token, rounding up', () => {
    expect(estimateTokens('')).toBe(0);
    expect(estimateTokens('a')).toBe(1);
    expect(estimateTokens('abcd')).toBe(1);
    expect(estimateTokens('abcde')).toBe(2);
    expect(estimateTokens('Hello, world!')).toBe(4); // 13 characters
    expect(estimateTokens('x'.repeat(40_000))).toBe(10_000);
  });

  it('counts a CJK ideograph, kana or hangul syllable as one token', () => {
    expect(estimateTokens('你好世界')).toBe(4);
    expect(estimateTokens('こんにちは')).toBe(5);
    expect(estimateTokens('カタカナ')).toBe(4);
    expect(estimateTokens('안녕하세요')).toBe(5);
    expect(estimateTokens('。、「」')).toBe(4); // CJK punctuation
    expect(estimateTokens('！？，')).toBe(3); // fullwidth forms
    expect(estimateTokens('ｱｲｳ')).toBe(3); // halfwidth katakana
    expect(estimateTokens('𠀀𪜀')).toBe(2); // Extension B, outside the BMP
  });

  it('adds the two kinds in mixed text', () => {
    expect(estimateTokens('Hello 世界')).toBe(2 + 2); // 6 narrow → 2, 2 wide
    expect(estimateTokens('我说 OK。')).toBe(3 + 1);
  });

  it('counts code points, not UTF-16 units (emoji are one narrow character)', () => {
    expect('😀😀😀😀'.length).toBe(8);
    expect(estimateTokens('😀😀😀😀')).toBe(1);
    expect(estimateTokens('😀😀😀😀😀')).toBe(2);
    expect(estimateTokens('\ud800')).toBe(1); // a lone surrogate is one code point
  });

  it('treats every Han, kana and Hangul letter of the BMP as wide, and Latin, Cyrillic, Arabic as not', () => {
    const cjk = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
    const other = /[\p{Script=Latin}\p{Script=Cyrillic}\p{Script=Arabic}\p{Script=Greek}]/u;
    for (let c = 0; c < 0x10000; c++) {
      if (c >= 0xd800 && c <= 0xdfff) continue;
      const ch = String.fromCharCode(c);
      if (cjk.test(ch) && !isWide(c)) throw new Error(`U+${c.toString(16)} should be wide`);
      if (other.test(ch) && isWide(c) && !(c >= 0xff00 && c <= 0xffef)) {
        throw new Error(`U+${c.toString(16)} should be narrow`);
      }
    }
    expect(isWide(0x20000)).toBe(true);
    expect(isWide(0x1f600)).toBe(false);
  });

  it('matches the slow definition on any text, lone surrogates included', () => {
    fc.assert(
      fc.property(anyText, (s) => {
        expect(estimateTokens(s)).toBe(slowTokens(s));
      }),
      { numRuns: 500 },
    );
  });

  it('is fast on a 50 MB string', () => {
    const text = 'The quick brown fox, 你好。😀\n'.repeat(2_000_000);
    expect(codePointLength(text)).toBe(26 * 2_000_000); // also flattens the rope outside the timing
    const t0 = performance.now();
    const tokens = estimateTokens(text);
    const ms = performance.now() - t0;
    expect(tokens).toBe(3 * 2_000_000 + Math.ceil((23 * 2_000_000) / 4));
    expect(ms).toBeLessThan(4000); // 100–600 ms here (2 busy cores); a per-character allocation or regex would be far slower
  });
});

describe('code points', () => {
  it('counts code points like the string iterator', () => {
    expect(codePointLength('')).toBe(0);
    expect(codePointLength('a😀b')).toBe(3);
    expect(codePointLength('\udc00\ud800')).toBe(2); // reversed halves are two lone surrogates
    fc.assert(
      fc.property(anyText, (s) => {
        expect(codePointLength(s)).toBe([...s].length);
      }),
      { numRuns: 500 },
    );
  });

  it('turns code-point offsets into UTF-16 indexes, with and without a measure', () => {
    fc.assert(
      fc.property(anyText, fc.nat(), (s, seed) => {
        const chars = [...s].length;
        const cp = seed % (chars + 1);
        const expected = slowIndex(s, cp);
        expect(codePointIndex(s, cp)).toBe(expected);
        expect(codePointIndex(s, cp, measure(s))).toBe(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('uses checkpoints correctly across many strides, including an end on a stride', () => {
    // 3·1024 code points, every third one an emoji: checkpoints are needed and the end is k·1024.
    const cps = Array.from({ length: 3072 }, (_, k) => (k % 3 === 0 ? '😀' : 'a'));
    const s = cps.join('');
    const m = measure(s);
    expect(m.chars).toBe(3072);
    expect(m.checkpoints).toBeDefined();
    for (const cp of [0, 1, 1023, 1024, 1025, 2048, 3071, 3072]) {
      expect(codePointIndex(s, cp, m)).toBe(slowIndex(s, cp));
    }
  });

  it('needs no checkpoints for text without surrogate pairs', () => {
    const m = measure('plain 文本');
    expect(m).toEqual({ chars: 8, tokens: 2 + 2 });
    expect(codePointIndex('plain 文本', 7, m)).toBe(7);
  });

  it('rejects offsets past the end, negative or fractional', () => {
    const s = 'a😀b';
    expect(codePointIndex(s, 3)).toBe(4);
    expect(() => codePointIndex(s, 4)).toThrow(RangeError);
    expect(() => codePointIndex(s, 4, measure(s))).toThrow(RangeError);
    expect(() => codePointIndex(s, -1)).toThrow(RangeError);
    expect(() => codePointIndex(s, 1.5)).toThrow(RangeError);
    expect(() => codePointIndex('', 1)).toThrow(RangeError);
  });

  it('advances by code points and stops at the end', () => {
    expect(advanceCodePoints('a😀b', 0, 2)).toBe(3);
    expect(advanceCodePoints('a😀b', 1, 1)).toBe(3);
    expect(advanceCodePoints('a😀b', 0, 99)).toBe(4);
  });
});
