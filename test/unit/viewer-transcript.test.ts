/**
 * The viewer's pure logic (src/ui/viewer/transcript.ts), checked against the server's own renderings:
 * the JSON pages asr_read_transcript serves are read back sentence by sentence whatever the page cuts,
 * and the exports match the subtitle format.
 */
import { describe, expect, it } from 'vitest';
import {
  clock,
  SentenceStream,
  search,
  sentenceAt,
  splitHits,
  toSrt,
  toVtt,
} from '../../src/ui/viewer/transcript.js';

const sentences = Array.from({ length: 40 }, (_, i) => ({
  begin_ms: i * 2000,
  end_ms: i * 2000 + 1500,
  text: `Sentence ${i} says "hi", {braces} and\nnewlines.`,
  speaker_id: i % 3,
  words: [{ begin_ms: i * 2000, end_ms: i * 2000 + 500, text: 'Sentence', punctuation: '' }],
}));
// The saved JSON as the server renders it for format "json" (src/mcp/renderings.ts).
const saved = JSON.stringify(
  { text: 'x '.repeat(500), status: 'SUCCEEDED', sentences, warnings: [], raw: { sentences: [{}] } },
  null,
  1,
);

describe('SentenceStream', () => {
  it.each([1, 7, 100, 4096, saved.length])('reads every sentence from pages of %i characters', (size) => {
    const stream = new SentenceStream();
    const got = [];
    for (let at = 0; at < saved.length; at += size) got.push(...stream.push(saved.slice(at, at + size)));
    expect(got).toEqual(sentences);
    expect(stream.closed).toBe(true);
  });

  it('closes without sentences when the transcript has none', () => {
    const stream = new SentenceStream();
    expect(stream.push(JSON.stringify({ text: 'a', raw: {} }, null, 1))).toEqual([]);
    expect(stream.closed).toBe(true);
  });
});

describe('viewer helpers', () => {
  it('formats times, finds hits and the sentence playing', () => {
    expect(clock(83_456)).toBe('1:23');
    expect(clock(3_723_000)).toBe('1:02:03');
    expect(search(sentences.slice(0, 3), 'SENTENCE')).toEqual({ matches: [0, 1, 2], hits: 3 });
    expect(splitHits('a Budget b budget', 'budget')).toEqual(['a ', 'Budget', ' b ', 'budget', '']);
    expect(sentenceAt(sentences, 4100)).toBe(2);
    expect(sentenceAt(sentences, 3700)).toBe(-1);
  });

  it('exports SRT and VTT cues with speakers', () => {
    const two = [
      { begin_ms: 0, end_ms: 1500, text: 'Hello.', speaker_id: 0 },
      { begin_ms: 61_000, end_ms: 62_250, text: 'Bye.' },
    ];
    expect(toSrt(two)).toBe(
      '1\n00:00:00,000 --> 00:00:01,500\nSpeaker 1: Hello.\n\n2\n00:01:01,000 --> 00:01:02,250\nBye.\n',
    );
    expect(toVtt(two)).toBe(
      'WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nSpeaker 1: Hello.\n\n00:01:01.000 --> 00:01:02.250\nBye.\n',
    );
  });
});
