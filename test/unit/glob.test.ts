import { describe, expect, it } from 'vitest';
import { globToRegExp } from '../../src/util/glob.js';

const matches = (pattern: string, path: string) => globToRegExp(pattern).test(path);

describe('globToRegExp', () => {
  it('matches *, ?, ** and {a,b} on relative paths', () => {
    expect(matches('*.mp3', 'a.mp3')).toBe(true);
    expect(matches('*.mp3', 'sub/a.mp3')).toBe(false);
    expect(matches('**/*.mp3', 'a.mp3')).toBe(true);
    expect(matches('**/*.mp3', 'x/y/a.mp3')).toBe(true);
    expect(matches('day?/*.wav', 'day1/t.wav')).toBe(true);
    expect(matches('day?/*.wav', 'day10/t.wav')).toBe(false);
    expect(matches('*.{mp3,flac}', 'b.flac')).toBe(true);
    expect(matches('*.{mp3,flac}', 'b.ogg')).toBe(false);
    expect(matches('a+b (1).mp3', 'a+b (1).mp3')).toBe(true);
    expect(matches('x/**', 'x/y/z.mp3')).toBe(true);
  });

  it('refuses an unclosed brace', () => {
    expect(() => globToRegExp('*.{mp3')).toThrow(/unclosed/);
  });
});
