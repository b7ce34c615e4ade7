import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cueBoundaries, sentenceBoundaries } from '../../src/format/boundaries.js';
import { jsonStringBytes, splitJsonParts, splitTextParts } from '../../src/format/parts.js';

const MiB = 1024 * 1024;
const escaped = (s: string) => Buffer.byteLength(JSON.stringify(s));
const bytes = (s: string) => Buffer.byteLength(s);

/** Code-point offsets where each part ends (all but the last must be boundaries when one fits). */
function ends(parts: string[]): number[] {
  let at = 0;
  return parts.map((p) => {
    at += [...p].length;
    return at;
  });
}

describe('jsonStringBytes', () => {
  it('equals the UTF-8 size of JSON.stringify', () => {
    for (const s of [
      '',
      'abc',
      '"\\',
      '\n\t\r\b\f',
      '\u0001\u001f',
      'é你😀',
      '\ud800',
      '\udc00x',
      '\u2028\u007f',
    ]) {
      expect(jsonStringBytes(s)).toBe(escaped(s));
    }
    const lone = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
    const text = fc
      .array(fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary-ascii' }), lone))
      .map((a) => a.join(''));
    fc.assert(
      fc.property(text, (s) => {
        expect(jsonStringBytes(s)).toBe(escaped(s));
      }),
      { numRuns: 500 },
    );
  });
});

describe('splitTextParts', () => {
  it('keeps a text that fits as one part, and an empty text as one empty part', () => {
    expect(splitTextParts('Short. Text.', [7, 12], 100)).toEqual(['Short. Text.']);
    expect(splitTextParts('', [], 100)).toEqual(['']);
  });

  it('splits at the last sentence boundary that fits', () => {
    const text = 'One two. Three four. Five six. Seven.';
    const parts = splitTextParts(text, sentenceBoundaries(text), 25); // 23 characters + quotes
    expect(parts).toEqual(['One two. Three four. ', 'Five six. Seven.']);
  });

  it('counts escaped bytes: quotes, backslashes, newlines and 3-byte CJK', () => {
    const text = '"a"\n"b"\n';
    // Each line is 4 characters but 7 escaped bytes; two lines plus quotes are 16.
    expect(splitTextParts(text, [4, 8], 15)).toEqual(['"a"\n', '"b"\n']);
    expect(splitTextParts(text, [4, 8], 16)).toEqual([text]);
    const zh = '你好。世界。';
    expect(splitTextParts(zh, sentenceBoundaries(zh), 2 + 9 * 2 - 1)).toEqual(['你好。', '世界。']);
  });

  it('falls back to whitespace, then to a hard cut that never splits a surrogate pair', () => {
    expect(splitTextParts('aaa bbb ccc', [], 8)).toEqual(['aaa ', 'bbb ', 'ccc']); // 6 characters fit
    expect(splitTextParts('abcdefghij', [], 8)).toEqual(['abcdef', 'ghij']);
    const emoji = '😀😀😀😀😀';
    expect(splitTextParts(emoji, [], 10)).toEqual(['😀😀', '😀😀', '😀']); // 4 bytes each
    expect(() => splitTextParts('abc', [], 7)).toThrow(RangeError);
  });

  it('splits SRT at cue ends', () => {
    const cue = (k: number) => `${k}\n00:00:0${k},000 --> 00:00:0${k + 1},000\nCue number ${k}.\n`;
    const srt = Array.from({ length: 6 }, (_, k) => cue(k + 1)).join('\n');
    const parts = splitTextParts(srt, cueBoundaries(srt), 200);
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) {
      expect(escaped(p)).toBeLessThanOrEqual(200);
      expect(p).toMatch(/^\d\n00:00:0\d,000 --> /);
    }
    expect(parts.join('')).toBe(srt);
  });

  it('splits a 5 MB Chinese transcript under 1 MiB at sentence ends', () => {
    const sentence = '我们今天讨论语音识别的技术进展以及它在会议记录中的应用。';
    const text = sentence.repeat(Math.ceil(5e6 / bytes(sentence)));
    const b = sentenceBoundaries(text);
    const parts = splitTextParts(text, b, MiB);
    expect(parts.length).toBe(5);
    expect(parts.join('')).toBe(text);
    const bset = new Set(b);
    for (const p of parts) expect(escaped(p)).toBeLessThanOrEqual(MiB);
    for (const p of parts.slice(0, -1)) expect(escaped(p)).toBeGreaterThan(MiB - bytes(sentence)); // full
    for (const e of ends(parts)) expect(bset.has(e) || e === [...text].length).toBe(true);
  });

  it('keeps the byte cap, boundaries and exact reassembly on any text (property)', () => {
    const piece = fc.constantFrom(
      'word',
      ' ',
      '. ',
      '"',
      '\\',
      '\n',
      '\u0001',
      '你好',
      '。',
      '😀',
      'é',
      '\ud800',
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 60 }), fc.integer({ min: 8, max: 60 }), (ps, max) => {
        const text = ps.join('');
        const b = sentenceBoundaries(text);
        const parts = splitTextParts(text, b, max);
        expect(parts.join('')).toBe(text);
        let start = 0;
        for (const [k, p] of parts.entries()) {
          expect(escaped(p)).toBeLessThanOrEqual(max);
          expect(p.length > 0 || text === '').toBe(true);
          const end = start + [...p].length;
          // A boundary that fits was not passed over: the next one after `end` would not fit.
          const next = b.find((x) => x > end);
          if (k < parts.length - 1 && b.includes(end) && next !== undefined) {
            expect(escaped([...text].slice(start, next).join(''))).toBeGreaterThan(max);
          }
          start = end;
        }
      }),
      { numRuns: 300 },
    );
  });
});

type Item = { begin_ms: number; end_ms: number; text: string; words?: unknown[] };

describe('splitJsonParts', () => {
  const item = (k: number, text = `Sentence number ${k}.`): Item => ({
    begin_ms: k * 1000,
    end_ms: k * 1000 + 900,
    text,
  });

  function parse(parts: string[]): Record<string, unknown>[] {
    return parts.map((p) => JSON.parse(p) as Record<string, unknown>);
  }

  it('puts everything in one part when it fits', () => {
    const items = [item(1), item(2)];
    const { parts, oversized } = splitJsonParts({ transcript_id: 't1', model: 'm' }, items, MiB);
    expect(oversized).toEqual([]);
    expect(parse(parts)).toEqual([{ transcript_id: 't1', model: 'm', part: 1, parts: 1, sentences: items }]);
    expect(parse(splitJsonParts({ a: 1 }, [], 100).parts)).toEqual([
      { a: 1, part: 1, parts: 1, sentences: [] },
    ]);
  });

  it('splits into valid parts under the cap that give the items back, header first', () => {
    const items = Array.from({ length: 200 }, (_, k) => item(k));
    const header = { transcript_id: 't1', model: 'qwen3-asr-flash-filetrans', duration_s: 200 };
    const { parts, oversized } = splitJsonParts(header, items, 1000, 'sentences', { transcript_id: 't1' });
    expect(oversized).toEqual([]);
    const docs = parse(parts);
    expect(docs.length).toBeGreaterThan(10); // two-digit part counts
    docs.forEach((d, k) => {
      expect(bytes(parts[k]!)).toBeLessThanOrEqual(1000);
      expect(d.part).toBe(k + 1);
      expect(d.parts).toBe(docs.length);
      const { sentences, ...rest } = d;
      expect(rest).toEqual(
        k === 0
          ? { ...header, part: 1, parts: docs.length }
          : { transcript_id: 't1', part: k + 1, parts: docs.length },
      );
    });
    expect(docs.flatMap((d) => d.sentences as Item[])).toEqual(items);
  });

  it('uses the items key given, and never duplicates it from the header', () => {
    const { parts } = splitJsonParts({ id: 'x', words: 'old' }, [1, 2, 3], 40, 'words', { id: 'x' });
    const docs = parse(parts);
    for (const p of parts) expect(p.match(/"words"/g)?.length).toBe(1);
    expect(docs.flatMap((d) => d.words as number[])).toEqual([1, 2, 3]);
  });

  it('writes undefined items as null, as JSON arrays do', () => {
    const { parts } = splitJsonParts({}, [undefined, 1], 100);
    expect(parse(parts)[0]!.sentences).toEqual([null, 1]);
  });

  it('gives an item too big for any part a part of its own, and reports it', () => {
    const items = [item(1), item(2, 'x'.repeat(500)), item(3)];
    const { parts, oversized } = splitJsonParts({ transcript_id: 't' }, items, 200, 'sentences', {
      transcript_id: 't',
    });
    const docs = parse(parts);
    expect(docs.map((d) => (d.sentences as Item[]).map((s) => s.begin_ms))).toEqual([[1000], [2000], [3000]]);
    expect(oversized).toEqual([1]);
    expect(bytes(parts[1]!)).toBeGreaterThan(200);
    expect(bytes(parts[0]!)).toBeLessThanOrEqual(200);
  });

  it('sends a header that fits only alone with no items, and flags a header that does not fit', () => {
    const big = { transcript_id: 't', note: 'n'.repeat(150) };
    const fits = splitJsonParts(big, [item(1), item(2)], 220, 'sentences', { transcript_id: 't' });
    expect(fits.oversized).toEqual([]);
    expect(parse(fits.parts)[0]!.sentences).toEqual([]);
    expect(parse(fits.parts).flatMap((d) => d.sentences as Item[])).toEqual([item(1), item(2)]);
    const over = splitJsonParts({ note: 'n'.repeat(300) }, [item(1)], 220);
    expect(over.oversized).toEqual([0]);
    expect(parse(over.parts)[0]!.sentences).toEqual([]);
    expect(parse(over.parts)[1]!.sentences).toEqual([item(1)]);
  });

  it('counts parts right across a change in digits (9 → 10, 99 → 100)', () => {
    for (const n of [9, 10, 11, 99, 100, 101]) {
      // One item per part: a cap that fits one item with a 3-digit part count but never two.
      const items = Array.from({ length: n }, (_, k) => item(k, 'abc'));
      const { parts, oversized } = splitJsonParts({}, items, 110);
      expect(oversized).toEqual([]);
      const docs = parse(parts);
      expect(docs.every((d) => d.parts === docs.length)).toBe(true);
      expect(docs.flatMap((d) => d.sentences as Item[])).toEqual(items);
      for (const p of parts) expect(bytes(p)).toBeLessThanOrEqual(110);
    }
  });

  it('repacks when the part count gains a digit, so no part goes over', () => {
    // `{"part":1,"parts":9,"sentences":[{"t":"abc"},{"t":"abc"}]}` is exactly 58 bytes: two items fit
    // while the count has one digit, one item when it has two.
    const items = (n: number) => Array.from({ length: n }, () => ({ t: 'abc' }));
    expect(splitJsonParts({}, items(18), 58).parts.length).toBe(9);
    for (const n of [19, 20, 21]) {
      const { parts, oversized } = splitJsonParts({}, items(n), 58);
      expect(oversized).toEqual([]);
      expect(parts.length).toBe(n);
      for (const p of parts) expect(bytes(p)).toBeLessThanOrEqual(58);
      expect(parse(parts).every((d) => d.parts === n)).toBe(true);
    }
  });

  it('keeps the cap, numbering and items on any items (property)', () => {
    const anyItem = fc.oneof(
      fc.record({ begin_ms: fc.nat(), text: fc.string({ unit: 'binary', maxLength: 30 }) }),
      fc.string({ unit: 'grapheme', maxLength: 20 }),
      fc.integer(),
      fc.constant(null),
    );
    fc.assert(
      fc.property(
        fc.array(anyItem, { maxLength: 120 }),
        fc.integer({ min: 60, max: 400 }),
        fc.string({ maxLength: 10 }),
        (items, max, id) => {
          const { parts, oversized } = splitJsonParts({ transcript_id: id, v: 1 }, items, max, 'sentences', {
            transcript_id: id,
          });
          const docs = parse(parts);
          expect(docs.flatMap((d) => d.sentences as unknown[])).toEqual(items);
          docs.forEach((d, k) => {
            expect(d.part).toBe(k + 1);
            expect(d.parts).toBe(docs.length);
            expect(d.transcript_id).toBe(id);
            const count = (d.sentences as unknown[]).length;
            if (bytes(parts[k]!) > max) {
              expect(oversized).toContain(k);
              expect(count).toBeLessThanOrEqual(1); // only an item alone (or the header) may go over
            } else {
              expect(oversized).not.toContain(k);
            }
            if (k > 0) expect(count).toBeGreaterThan(0); // no empty part after the first
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});
