import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cueBoundaries, lineBoundaries, sentenceBoundaries } from '../../src/format/boundaries.js';
import { cutAtSentence, type Page, page } from '../../src/format/pages.js';
import { estimateTokens, measure } from '../../src/format/tokens.js';

const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Every page from `offset` on, following next_offset. */
function allPages(text: string, boundaries: number[], maxTokens: number, offset = 0): Page[] {
  const m = measure(text);
  const pages: Page[] = [];
  let at: number | undefined = offset;
  while (at !== undefined) {
    const p = page(text, boundaries, at, maxTokens, m);
    pages.push(p);
    if (p.next_offset !== undefined) expect(p.next_offset).toBeGreaterThan(at); // progress
    at = p.next_offset;
  }
  return pages;
}

/** The documented rule, checked slowly on code-point arrays. */
function expectRule(text: string, boundaries: number[], maxTokens: number, p: Page): void {
  const cps = [...text];
  const slice = (a: number, b: number) => cps.slice(a, b).join('');
  const end = p.next_offset ?? cps.length;
  expect(p.text).toBe(slice(p.offset, end));
  expect(estimateTokens(p.text)).toBeLessThanOrEqual(maxTokens);
  if (!loneSurrogate.test(text)) expect(p.text).not.toMatch(loneSurrogate);
  let limit = p.offset;
  while (limit < cps.length && estimateTokens(slice(p.offset, limit + 1)) <= maxTokens) limit++;
  if (limit === cps.length) {
    expect(end).toBe(cps.length);
    return;
  }
  const fitting = boundaries.filter((b) => b > p.offset && b <= limit);
  if (fitting.length > 0) {
    expect(end).toBe(Math.max(...fitting)); // the LAST boundary that fits
    return;
  }
  const spaces: number[] = [];
  for (let k = p.offset; k < limit; k++) if (/\s/.test(cps[k]!)) spaces.push(k + 1);
  expect(end).toBe(spaces.length > 0 ? Math.max(...spaces) : limit);
}

const english =
  'The meeting started at nine. We reviewed the budget, which is 3.5 million dollars! ' +
  'Is that enough? Nobody was sure.\nThe next item was hiring. "We need two engineers." Agreed.';

describe('sentenceBoundaries', () => {
  it('ends English sentences after the punctuation and the space that follows', () => {
    const text = 'Hello world. How are you? Fine!';
    expect(sentenceBoundaries(text)).toEqual([13, 26, 31]);
    expect(text.slice(0, 13)).toBe('Hello world. ');
  });

  it('ignores dots inside numbers and words, keeps closing quotes with their sentence', () => {
    const text = 'Pi is 3.14 or so. He said "stop." Then e.g.x left';
    const b = sentenceBoundaries(text);
    expect(b.map((k) => text.slice(0, k))).toEqual([
      'Pi is 3.14 or so. ',
      'Pi is 3.14 or so. He said "stop." ',
    ]);
  });

  it('ends after every newline, with or without punctuation', () => {
    expect(sentenceBoundaries('no punctuation\nsecond line')).toEqual([15]);
    expect(sentenceBoundaries('Done.\n\nNext')).toEqual([6, 7]);
    expect(sentenceBoundaries('a\r\nb')).toEqual([3]);
  });

  it('ends Chinese and Japanese sentences without any space, with their closing brackets', () => {
    expect(sentenceBoundaries('你好。我是小明！你呢？')).toEqual([3, 8, 11]);
    const ja = 'こんにちは。元気ですか？「はい。」そうです';
    expect(sentenceBoundaries(ja).map((k) => ja.slice(0, k))).toEqual([
      'こんにちは。',
      'こんにちは。元気ですか？',
      'こんにちは。元気ですか？「はい。」',
    ]);
    expect(sentenceBoundaries('第一句．第二句｡第三')).toEqual([4, 8]);
  });

  it('handles Korean (spaced), ellipses, repeated marks and fullwidth variants', () => {
    expect(sentenceBoundaries('안녕하세요. 반갑습니다.')).toEqual([7, 13]);
    expect(sentenceBoundaries('Wait... what?! No… yes')).toEqual([8, 15, 19]);
    expect(sentenceBoundaries('Really？ Yes！')).toEqual([8, 12]);
  });

  it('counts offsets in code points', () => {
    expect(sentenceBoundaries('😀 Hi. Yo')).toEqual([6]);
    expect(sentenceBoundaries('𠀀。𠀀')).toEqual([2]);
  });

  it('stops early on request without changing the boundaries up to the stop', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('ab', ' ', '. ', '.', '。', '」', '\n', '😀', '  '), { maxLength: 40 }),
        fc.nat(120),
        (ps, stop) => {
          const text = ps.join('');
          const all = sentenceBoundaries(text);
          const early = sentenceBoundaries(text, stop);
          expect(early.filter((b) => b <= stop)).toEqual(all.filter((b) => b <= stop));
        },
      ),
      { numRuns: 300 },
    );
    expect(sentenceBoundaries('A. B. C. D. E.', 3)).toEqual([3]); // all of them: [3, 6, 9, 12, 14]
  });
});

describe('cue and line boundaries', () => {
  const srt =
    '1\n00:00:00,000 --> 00:00:01,440\nWelcome.\n\n' +
    '2\n00:00:01,440 --> 00:00:03,000\nThis is a test.\nSecond line.\n\n' +
    '3\n00:00:03,000 --> 00:00:04,000\n最后一句。\n';

  it('ends SRT pages after the blank line that ends each cue', () => {
    const b = cueBoundaries(srt);
    expect(b.map((k) => srt.slice(0, k).split('\n\n').length - 1)).toEqual([1, 2]);
    expect(srt.slice(b[0]!, b[1]!)).toBe(
      '2\n00:00:01,440 --> 00:00:03,000\nThis is a test.\nSecond line.\n\n',
    );
  });

  it('keeps the WebVTT header and NOTE blocks with the cue after them', () => {
    const vtt =
      'WEBVTT\n\nNOTE made by a test\n\n00:00.000 --> 00:01.000\nOne.\n\n\n' +
      'NOTE between\n\n00:01.000 --> 00:02.000\nTwo 😀.\n\n00:02.000 --> 00:03.000\nThree.\n';
    const b = cueBoundaries(vtt);
    expect(b.length).toBe(2);
    expect(vtt.slice(0, b[0])).toBe('WEBVTT\n\nNOTE made by a test\n\n00:00.000 --> 00:01.000\nOne.\n\n\n');
    expect([...vtt].slice(b[0], b[1]).join('')).toBe('NOTE between\n\n00:01.000 --> 00:02.000\nTwo 😀.\n\n');
  });

  it('accepts CRLF line ends and whitespace-only separator lines', () => {
    const crlf =
      '1\r\n00:00:00,000 --> 00:00:01,000\r\nA.\r\n \r\n2\r\n00:00:01,000 --> 00:00:02,000\r\nB.\r\n';
    expect(crlf.slice(0, cueBoundaries(crlf)[0])).toBe('1\r\n00:00:00,000 --> 00:00:01,000\r\nA.\r\n \r\n');
  });

  it('pages subtitles in whole cues, the first page starting with the header', () => {
    const cue = (k: number) => `00:00:${String(k).padStart(2, '0')}.000 --> 00:00:${k + 1}.000\nLine ${k}.\n`;
    const vtt = `WEBVTT\n\n${Array.from({ length: 40 }, (_, k) => cue(k)).join('\n')}`;
    const b = cueBoundaries(vtt);
    const pages = allPages(vtt, b, 30);
    expect(pages.length).toBeGreaterThan(5);
    expect(pages[0]!.text.startsWith('WEBVTT\n\n00:00:00.000')).toBe(true);
    for (const p of pages.slice(1)) expect(p.text).toMatch(/^00:00:\d\d\.000 --> /);
    expect(pages.map((p) => p.text).join('')).toBe(vtt);
  });

  it('ends JSON lines after each newline', () => {
    expect(lineBoundaries('{"a":1}\n{"b":"😀"}\n{"c":3}')).toEqual([8, 18]);
    expect(lineBoundaries('')).toEqual([]);
  });
});

describe('page', () => {
  it('reports totals and the first page of a short text whole', () => {
    const p = page(english, sentenceBoundaries(english), 0, 10_000);
    expect(p).toEqual({ offset: 0, text: english, total_chars: english.length, total_tokens: 44 });
    expect(estimateTokens(english)).toBe(44);
  });

  it('ends on the last sentence that fits, and continues from there', () => {
    const b = sentenceBoundaries(english);
    const first = page(english, b, 0, 21); // those two sentences are 84 characters
    expect(first.text).toBe(
      'The meeting started at nine. We reviewed the budget, which is 3.5 million dollars! ',
    );
    expect(first.next_offset).toBe(first.text.length);
    const pages = allPages(english, b, 21);
    expect(pages.length).toBe(3);
    for (const p of pages) expectRule(english, b, 21, p);
    expect(pages.map((p) => p.text).join('')).toBe(english);
  });

  it('fits a page of exactly the budget, and cuts one character more', () => {
    const exact = `${'word '.repeat(79)}words`; // 395 + 5 = 400 characters = 100 tokens
    expect(estimateTokens(exact)).toBe(100);
    expect(page(exact, [], 0, 100).next_offset).toBeUndefined();
    const over = `${exact}.`;
    const p = page(over, sentenceBoundaries(over), 0, 100);
    expect(p.text).toBe('word '.repeat(79)); // no sentence end fits: back to the last space
    expect(p.next_offset).toBe(395);
  });

  it('cuts text with no boundary and no space at the budget, Chinese at one character per token', () => {
    const latin = 'x'.repeat(1000);
    expect(allPages(latin, [], 10).map((p) => p.text.length)).toEqual(Array(25).fill(40));
    const zh = '的'.repeat(95);
    const pages = allPages(zh, sentenceBoundaries(zh), 10);
    expect(pages.map((p) => p.text.length)).toEqual([...Array(9).fill(10), 5]);
  });

  it('never splits a surrogate pair, even at a hard cut', () => {
    const emoji = '😀'.repeat(10);
    const pages = allPages(emoji, [], 1);
    expect(pages.map((p) => p.text)).toEqual(['😀😀😀😀', '😀😀😀😀', '😀😀']);
    expect(pages.map((p) => p.offset)).toEqual([0, 4, 8]);
    expect(pages[0]!.total_chars).toBe(10);
  });

  it('starts mid-sentence when asked, counting the offset in code points', () => {
    const text = '😀😀 Hello there. Bye.';
    const p = page(text, sentenceBoundaries(text), 2, 100);
    expect(p.text).toBe(' Hello there. Bye.');
    expect(page(text, sentenceBoundaries(text), 5, 3).text).toBe('llo there. ');
  });

  it('gives an empty last page at the end, and rejects offsets past it or malformed', () => {
    const b = sentenceBoundaries(english);
    expect(page(english, b, english.length, 100)).toEqual({
      offset: english.length,
      text: '',
      total_chars: english.length,
      total_tokens: 44,
    });
    expect(page('', [], 0, 100)).toEqual({ offset: 0, text: '', total_chars: 0, total_tokens: 0 });
    expect(() => page(english, b, english.length + 1, 100)).toThrow(RangeError);
    expect(() => page(english, b, -1, 100)).toThrow(RangeError);
    expect(() => page(english, b, 0.5, 100)).toThrow(RangeError);
    expect(() => page(english, b, 0, 0)).toThrow(RangeError);
  });

  it('pages a long English transcript into full pages that reassemble it', () => {
    const text = `${english}\n`.repeat(4000); // ~700k characters
    const b = sentenceBoundaries(text);
    const pages = allPages(text, b, 10_000);
    expect(pages.map((p) => p.text).join('')).toBe(text);
    const bset = new Set(b);
    for (const p of pages.slice(0, -1)) {
      expect(estimateTokens(p.text)).toBeLessThanOrEqual(10_000);
      expect(estimateTokens(p.text)).toBeGreaterThan(9_950); // the last sentence that fits, not an early one
      expect(bset.has(p.next_offset!)).toBe(true);
    }
  });

  it('costs O(page), not O(text), once the rendering is measured', () => {
    const text = 'Twelve hours of talk, sentence after sentence. 你好。\n'.repeat(1_000_000); // ~50 MB
    const b = sentenceBoundaries(text);
    let t0 = performance.now();
    const m = measure(text);
    const measureMs = performance.now() - t0;
    t0 = performance.now();
    for (let k = 0; k < 20; k++) {
      const p = page(text, b, Math.floor((m.chars * k) / 20), 10_000, m);
      expect(estimateTokens(p.text)).toBeLessThanOrEqual(10_000);
    }
    // 20 pages of ≤ 40k characters read ~1/60 of what one pass over the text does; scanning the text
    // (or up to the offset) on each call would take several passes' time. Relative, so load-proof.
    expect(performance.now() - t0).toBeLessThan(measureMs);
  });

  it('keeps the rule, the budget and exact reassembly on any mix of scripts (property)', () => {
    const piece = fc.constantFrom(
      'word',
      'the',
      ' ',
      ' ',
      '. ',
      '.',
      '3.14',
      '! ',
      '? ',
      '…',
      '"',
      '」',
      '\n',
      '\r\n',
      '你好',
      '。',
      '！',
      'こんにちは',
      '한국어',
      '😀',
      '𠀀',
      'é',
      '\u3000',
    );
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 80 }),
        fc.integer({ min: 1, max: 30 }),
        fc.nat(),
        (ps, max, seed) => {
          const text = ps.join('');
          const b = sentenceBoundaries(text);
          const pages = allPages(text, b, max);
          expect(pages.map((p) => p.text).join('')).toBe(text);
          for (const p of pages) expectRule(text, b, max, p);
          // From any offset, too.
          const chars = [...text].length;
          for (const p of allPages(text, b, max, seed % (chars + 1))) expectRule(text, b, max, p);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('cutAtSentence', () => {
  it('leaves a text that fits alone', () => {
    expect(cutAtSentence(english, 1000)).toEqual({ text: english, cut: false });
    expect(cutAtSentence('', 1)).toEqual({ text: '', cut: false });
  });

  it('cuts like the first page', () => {
    expect(cutAtSentence(english, 21)).toEqual({
      text: 'The meeting started at nine. We reviewed the budget, which is 3.5 million dollars! ',
      cut: true,
      next_offset: 83,
    });
    const zh = '今天天气很好。我们去公园散步吧！好的。';
    expect(cutAtSentence(zh, 10)).toEqual({ text: '今天天气很好。', cut: true, next_offset: 7 });
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('ab', ' ', '. ', '。', '.', '\n', '😀', '字'), { maxLength: 60 }),
        fc.integer({ min: 1, max: 12 }),
        (ps, max) => {
          const text = ps.join('');
          const first = page(text, sentenceBoundaries(text), 0, max);
          const c = cutAtSentence(text, max);
          expect(c.text).toBe(first.text);
          expect(c.next_offset).toBe(first.next_offset);
          expect(c.cut).toBe(first.next_offset !== undefined);
        },
      ),
      { numRuns: 300 },
    );
  });
});
