/** jsonSize measures a value as compact JSON.stringify would produce it, without producing it. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonSize } from '../../src/format/json-size.js';
import { estimateTokens } from '../../src/format/tokens.js';

describe('jsonSize', () => {
  it('gives the exact bytes of JSON.stringify for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(jsonSize(value).bytes).toBe(Buffer.byteLength(JSON.stringify(value)));
      }),
      { numRuns: 300 },
    );
  });

  it('estimates tokens like estimateTokens on the serialized text (escapes aside)', () => {
    const value = {
      text: '今天我们发布三个新的语音模型。Welcome to Alibaba Cloud.',
      sentences: [
        { begin_ms: 0, end_ms: 1200, text: 'Hello there.', words: [{ text: 'Hello', punctuation: '' }] },
      ],
      ok: true,
      none: null,
      skipped: undefined,
    };
    expect(jsonSize(value).tokens).toBe(estimateTokens(JSON.stringify(value)));
  });
});
