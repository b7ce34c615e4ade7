import { describe, expect, it } from 'vitest';
import type { Sentence } from '../../src/domain/result.js';
import { formatTimestamp, sentencesToCues, toSrt, toVtt, wrap } from '../../src/format/subtitles.js';

const two: Sentence[] = [
  { begin_ms: 0, end_ms: 1440, text: 'Welcome to Alibaba Cloud.' },
  { begin_ms: 1440, end_ms: 3_725_005, text: 'This is a test.' },
];

describe('subtitles', () => {
  it('formats timestamps for SRT and VTT', () => {
    expect(formatTimestamp(0, ',')).toBe('00:00:00,000');
    expect(formatTimestamp(3_725_005, ',')).toBe('01:02:05,005');
    expect(formatTimestamp(61_001, '.')).toBe('00:01:01.001');
  });

  it('writes SRT line by line', () => {
    expect(toSrt(two).split('\n')).toEqual([
      '1',
      '00:00:00,000 --> 00:00:01,440',
      'Welcome to Alibaba Cloud.',
      '',
      '2',
      '00:00:01,440 --> 01:02:05,005',
      'This is a test.',
      '',
    ]);
  });

  it('writes VTT line by line', () => {
    expect(toVtt(two).split('\n')).toEqual([
      'WEBVTT',
      '',
      '00:00:00.000 --> 00:00:01.440',
      'Welcome to Alibaba Cloud.',
      '',
      '00:00:01.440 --> 01:02:05.005',
      'This is a test.',
      '',
    ]);
  });

  it('wraps at 42 characters, and splits long sentences into timed cues of two lines', () => {
    const text =
      'This sentence is deliberately long so that it cannot fit into one subtitle cue of two lines of forty-two characters each.';
    expect(wrap(text).every((l) => l.length <= 42)).toBe(true);
    const cues = sentencesToCues([{ begin_ms: 1000, end_ms: 13_000, text }]);
    expect(cues.length).toBe(2);
    expect(cues.every((c) => c.lines.length <= 2 && c.lines.every((l) => l.length <= 42))).toBe(true);
    expect(cues[0]!.start_ms).toBe(1000);
    expect(cues[1]!.end_ms).toBe(13_000);
    expect(cues[0]!.end_ms).toBe(cues[1]!.start_ms);
    expect(cues.flatMap((c) => c.lines).join(' ')).toBe(text);
  });

  it('times split cues by word timestamps when present', () => {
    const words =
      'one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty'
        .split(' ')
        .map((w, i) => ({ begin_ms: i * 1000, end_ms: i * 1000 + 900, text: w, punctuation: '' }));
    const text = words.map((w) => w.text).join(' ');
    const cues = sentencesToCues([{ begin_ms: 0, end_ms: 20_000, text, words }]);
    expect(cues.length).toBeGreaterThan(1);
    // The second cue starts exactly when its first word does.
    const firstWordOfSecond = cues[1]!.lines[0]!.split(' ')[0];
    const w = words.find((x) => x.text === firstWordOfSecond)!;
    expect(cues[1]!.start_ms).toBe(w.begin_ms);
  });

  it('wraps scripts without spaces by character and labels channels and speakers', () => {
    const zh = '欢迎使用阿里云。'.repeat(8);
    expect(wrap(zh).every((l) => l.length <= 42)).toBe(true);
    const cues = sentencesToCues([{ begin_ms: 0, end_ms: 1000, text: 'Hi.', channel_id: 1, speaker_id: 2 }]);
    expect(cues[0]!.lines[0]).toBe('[ch1, speaker 2] Hi.');
  });
});
