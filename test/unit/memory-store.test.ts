/**
 * The in-process store for transcripts the disk refused: bounded in bytes (oldest evicted first) and
 * in time (24 h by default), readable through the same TranscriptStore API as saved ones.
 */
import { describe, expect, it } from 'vitest';
import type { TranscriptionResult } from '../../src/domain/result.js';
import type { OutputDirs } from '../../src/store/paths.js';
import { TranscriptStore } from '../../src/store/transcripts.js';

/** No disk at all: every directory lookup fails, as with no writable OUTPUT_DIR. */
const noDisk = {
  get: () => {
    throw new Error('no writable output directory');
  },
} as unknown as OutputDirs;

const result = (text: string): TranscriptionResult => ({
  text,
  task_id: null,
  status: 'SUCCEEDED',
  model: 'qwen3-asr-flash',
  warnings: ['routed'],
  raw: null,
});

function store(maxBytes: number, ttlMs = 1000) {
  let now = 0;
  const s = new TranscriptStore(noDisk, { memory: { maxBytes, ttlMs, now: () => now } });
  return { s, tick: (ms: number) => (now += ms) };
}

describe('transcripts kept in memory', () => {
  it('are readable by id through load, loadText and list, with their warning and no files', async () => {
    const { s } = store(1 << 20);
    const kept = s.keep(result('Hello.'), 'rec', (id) => `Not saved to disk: test; see ${id}`)!;
    expect(kept).toMatchObject({ storage: 'memory', text: 'Hello.' });
    expect(kept.files).toBeUndefined();
    expect('files' in kept).toBe(false);
    expect(kept.warnings).toEqual(['routed', `Not saved to disk: test; see ${kept.transcript_id}`]);
    expect(await s.load(kept.transcript_id!)).toEqual(kept);
    expect(await s.loadText(kept.transcript_id!)).toBe('Hello.\n');
    expect(await s.list()).toEqual([kept.transcript_id]);
  });

  it('evict the oldest first once the byte budget is spent', async () => {
    const text = 'x'.repeat(1000);
    const { s } = store(5000); // each entry is ~1.3 KB of JSON plus 1 KB of text: two fit
    const a = s.keep(result(text), 'a', () => 'w', { now: new Date(2024, 0, 1, 0, 0, 1) })!;
    const b = s.keep(result(text), 'b', () => 'w', { now: new Date(2024, 0, 1, 0, 0, 2) })!;
    expect(await s.list()).toEqual([b.transcript_id, a.transcript_id]);
    const c = s.keep(result(text), 'c', () => 'w', { now: new Date(2024, 0, 1, 0, 0, 3) })!;
    expect(await s.list()).toEqual([c.transcript_id, b.transcript_id]);
    expect(await s.load(a.transcript_id!)).toBeUndefined();
  });

  it('refuse a single transcript larger than the whole budget, evicting nothing', async () => {
    const { s } = store(5000);
    const small = s.keep(result('small'), 's', () => 'w')!;
    expect(s.keep(result('y'.repeat(10_000)), 'big', () => 'w')).toBeUndefined();
    expect(await s.list()).toEqual([small.transcript_id]);
  });

  it('expire after their time to live', async () => {
    const { s, tick } = store(1 << 20, 24 * 3600 * 1000);
    const kept = s.keep(result('soon gone'), 'r', () => 'w')!;
    tick(23 * 3600 * 1000);
    expect(await s.load(kept.transcript_id!)).toBeDefined();
    tick(3600 * 1000);
    expect(await s.load(kept.transcript_id!)).toBeUndefined();
    expect(await s.loadText(kept.transcript_id!)).toBeUndefined();
    expect(await s.list()).toEqual([]);
  });

  it('mask URL credentials like saved ones', async () => {
    const { s } = store(1 << 20);
    const kept = s.keep(
      {
        ...result('t'),
        source: 'https://user:pw@bucket.example/a.wav?X-Amz-Signature=deadbeef&X-Amz-Date=1',
      },
      'a',
      () => 'w',
    )!;
    expect((await s.load(kept.transcript_id!))?.source).toBe(
      'https://***@bucket.example/a.wav?X-Amz-Signature=***&X-Amz-Date=1',
    );
  });
});
