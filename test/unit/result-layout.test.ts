/** The tool result layout: what an agent's model sees, held to one token budget. */
import { describe, expect, it } from 'vitest';
import type { TranscriptionResult } from '../../src/domain/result.js';
import { estimateTokens } from '../../src/format/tokens.js';
import { cutText, RAW_INLINE_BYTES, toToolPayload } from '../../src/mcp/tools/result.js';

const limits = { maxResultTokens: 10_000, maxTextChars: 10_000_000, resourceLinks: false };
const tokens = (v: unknown) => estimateTokens(JSON.stringify(v));

function result(over: Partial<TranscriptionResult> = {}): TranscriptionResult {
  return {
    text: 'Hello there friends.',
    task_id: null,
    status: 'SUCCEEDED',
    model: 'qwen3-asr-flash',
    language: 'en',
    duration_s: 3,
    warnings: [],
    transcript_id: '20261125-120000-talk-abcdef',
    raw: { output: { text: 'Hello there friends.' } },
    ...over,
  };
}

const english = (n: number) =>
  Array.from({ length: n }, (_, i) => `This is sentence number ${i} of the talk.`).join(' ');
const sentences = (text: string) =>
  text.split(/(?<=\.) /).map((t, i) => ({
    begin_ms: i * 1000,
    end_ms: i * 1000 + 900,
    text: t,
    words: t.split(' ').map((w, j) => ({
      begin_ms: i * 1000 + j * 10,
      end_ms: i * 1000 + j * 10 + 9,
      text: w,
      punctuation: '',
    })),
  }));

describe('toToolPayload', () => {
  it('puts a header and the transcript in block 1, compact JSON without text in block 2, and no links', () => {
    const p = toToolPayload(result(), limits);
    expect(p.content).toHaveLength(2);
    expect(p.content[0]).toEqual({
      type: 'text',
      text: 'SUCCEEDED · qwen3-asr-flash · en · 3 s · task – · transcript 20261125-120000-talk-abcdef\nHello there friends.',
    });
    const block2 = JSON.parse((p.content[1] as { text: string }).text);
    expect(block2).not.toHaveProperty('text');
    expect(block2.text_in).toBe('content block 1');
    expect(block2.raw).toEqual({ output: { text: 'Hello there friends.' } });
    expect(p.structuredContent.text).toBe('Hello there friends.');
    expect(p.structuredContent).not.toHaveProperty('text_truncated');
  });

  it('links transcript:// resources only when asked to', () => {
    const p = toToolPayload(result({ sentences: sentences('One. Two.') }), {
      ...limits,
      resourceLinks: true,
    });
    expect(p.content.slice(2).map((c) => (c as { uri: string }).uri)).toEqual([
      'transcript://20261125-120000-talk-abcdef',
      'transcript://20261125-120000-talk-abcdef.json',
      'transcript://20261125-120000-talk-abcdef.srt',
      'transcript://20261125-120000-talk-abcdef.vtt',
    ]);
  });

  it('replaces a raw answer over the inline size by a pointer to the saved JSON', () => {
    const big = { output: { pad: 'x'.repeat(RAW_INLINE_BYTES) } };
    const block2 = JSON.parse(
      (toToolPayload(result({ raw: big }), limits).content[1] as { text: string }).text,
    );
    expect(block2.raw).toEqual({
      omitted: true,
      bytes: JSON.stringify(big).length,
      read_with: {
        tool: 'asr_read_transcript',
        transcript_id: '20261125-120000-talk-abcdef',
        format: 'json',
      },
    });
  });

  it('holds a 50,000-character transcript with word timings to the budget, cut at a sentence, in both places', () => {
    const text = english(1300);
    expect(text.length).toBeGreaterThan(50_000);
    const p = toToolPayload(
      result({ text, sentences: sentences(text), raw: { big: sentences(text) } }),
      limits,
    );
    expect(tokens(p.content)).toBeLessThanOrEqual(10_000);
    expect(tokens(p.structuredContent)).toBeLessThanOrEqual(10_000);
    const s = p.structuredContent;
    expect(s.sentences).toMatchObject({ truncated: true });
    expect(s.raw).toMatchObject({ truncated: true });
    expect(s.text_truncated).toBe(true);
    expect(s.text_total_chars).toBe(text.length);
    expect(s.next_offset).toBe((s.text as string).length);
    expect(text.startsWith(s.text as string)).toBe(true);
    expect(s.text as string).toMatch(/talk\. $/);
    const block1 = (p.content[0] as { text: string }).text;
    expect(block1).toContain(s.text as string);
    expect(block1).toMatch(/\[Cut at character \d+ of \d+\. Read on with asr_read_transcript/);
    // What the model reads is the text shown, and little else.
    expect(Buffer.byteLength(JSON.stringify(p.content))).toBeLessThanOrEqual(1.1 * (s.text as string).length);
  });

  it('counts CJK as a token a character: 20,000 Chinese characters stay under the budget', () => {
    const text = '今天我们发布三个新的语音模型。'.repeat(1400);
    const p = toToolPayload(result({ text, language: 'zh' }), limits);
    expect(tokens(p.content)).toBeLessThanOrEqual(10_000);
    expect(tokens(p.structuredContent)).toBeLessThanOrEqual(10_000);
    expect(p.structuredContent.text as string).toMatch(/。$/);
  });

  it('tells an unfinished task how to be picked up', () => {
    const p = toToolPayload(
      result({
        status: 'RUNNING',
        task_id: 't-1',
        text: '',
        progress: 'running',
        poll_after_s: 12,
        eta_s: 40,
      }),
      limits,
    );
    expect((p.content[0] as { text: string }).text).toBe(
      'RUNNING · qwen3-asr-flash · 3 s · task t-1 · running\nNot finished yet. Call asr_task_status with task_id "t-1" and wait: true in about 12 s to get the transcript. Rough ETA: 40 s.',
    );
  });
});

describe('cutText', () => {
  it('honours the character cap too, at a sentence', () => {
    const cut = cutText('One two. Three four. Five six.', 10_000, 22);
    expect(cut).toEqual({ text: 'One two. Three four. ', total: 30, nextOffset: 21 });
  });
  it('keeps a text that fits whole', () => {
    expect(cutText('Short.', 100, 100)).toEqual({ text: 'Short.', total: 6 });
  });
});
