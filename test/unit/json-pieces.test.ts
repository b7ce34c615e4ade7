/** jsonPieces yields compact JSON in pieces whose concatenation is exactly JSON.stringify's. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonPieces } from '../../src/format/json-pieces.js';

const joined = (value: unknown, opts?: Parameters<typeof jsonPieces>[1]) =>
  [...jsonPieces(value, opts)].join('');

/** JSON values with what JSON.stringify drops or turns into null: undefined, functions, NaN, dates. */
const looseValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.jsonValue({ maxDepth: 1 }),
    fc.constantFrom(
      undefined,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      () => 1,
      new Date(0),
      '\ud800',
      '𝄞€',
      new String('boxed'),
      new Number(5),
      new Boolean(false),
      // A toJSON whose answer has a toJSON of its own: JSON.stringify applies only the first.
      { toJSON: () => ({ toJSON: () => 'twice', a: [1, 2, 3] }) },
      { toJSON: (key: string) => `key ${key}` },
    ),
    fc.array(tie('value'), { maxLength: 6 }),
    fc.dictionary(fc.string({ maxLength: 6 }), tie('value'), { maxKeys: 6 }),
  ),
})).value;

describe('jsonPieces', () => {
  it('is JSON.stringify for any value, whether split into nodes or serialized whole', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), looseValue), fc.integer({ min: 1, max: 40 }), (value, small) => {
        // Nothing at all where JSON.stringify answers undefined (undefined, a function).
        const expected = JSON.stringify(value) ?? '';
        expect(joined(value, { smallNodes: small, chunkChars: 7 })).toBe(expected);
        expect(joined(value)).toBe(expected);
      }),
      { numRuns: 400 },
    );
  });

  it('serializes a 12-hour transcript in pieces of about the chunk size, never as one string', () => {
    const sentences = Array.from({ length: 11_000 }, (_, i) => ({
      begin_ms: i * 3930,
      end_ms: i * 3930 + 3900,
      text: `Part ${i} of the long recording is now being discussed.`,
      words: Array.from({ length: 10 }, (_, j) => ({
        begin_ms: i * 3930 + j * 393,
        text: `w${j}`,
        gone: undefined,
      })),
    }));
    const result = {
      text: 'x',
      sentences,
      raw: { transcription: { transcripts: [{ sentences }] } },
      none: undefined,
    };
    const pieces = [...jsonPieces(result, { chunkChars: 65_536 })];
    expect(pieces.join('')).toBe(JSON.stringify(result));
    expect(pieces.length).toBeGreaterThan(100);
    // Each piece is a chunk's worth plus at most one sentence: never the whole.
    for (const piece of pieces) expect(piece.length).toBeLessThan(65_536 + 2_000);
  });
});
