/** Calm progress: coalesced, at most one notice every half second, the final one always, one in flight. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  FIRST_NOTICE_MS,
  type ProgressNotice,
  ProgressReporter,
  WINDOW_MS,
} from '../../src/format/progress.js';
import { registerSecret } from '../../src/util/secrets.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function reporter(send?: (n: ProgressNotice) => Promise<unknown>) {
  const sent: { at: number; notice: ProgressNotice }[] = [];
  const r = new ProgressReporter((notice) => {
    sent.push({ at: Date.now(), notice });
    return send?.(notice) ?? Promise.resolve();
  }, 5000);
  return { r, sent };
}

describe('ProgressReporter', () => {
  it('coalesces a flood of partial text into at most two notices a second, then the final one', async () => {
    const { r, sent } = reporter();
    let text = '';
    // 6,000 stream chunks over 3 s, as a long streamed transcript delivers them.
    for (let i = 0; i < 6000; i++) {
      text += `w${i} `;
      r.update({ stage: 'transcribing', partial: text });
      await vi.advanceTimersByTimeAsync(0.5);
    }
    r.update({ stage: 'done' });
    await r.settle();
    r.stop();
    expect(sent.length).toBeLessThanOrEqual(2 * Math.ceil(3000 / WINDOW_MS) + 1);
    // Never a third within one window (the final notice aside).
    for (let i = 2; i < sent.length - 1; i++)
      expect(sent[i]!.at - sent[i - 2]!.at).toBeGreaterThanOrEqual(WINDOW_MS);
    // The first partial text goes out at once, not half a second later.
    expect(sent[1]!.at - sent[0]!.at).toBeLessThan(10);
    expect(sent.at(-1)!.notice).toMatchObject({ progress: 100, message: 'done' });
    // The newest words win: the last partial sent ends with the last words before it.
    const partials = sent.filter((s) => s.notice.message.startsWith('transcribing'));
    expect(Number(/w(\d+) $/.exec(partials.at(-1)!.notice.message)![1])).toBeGreaterThan(4000);
  });

  it('folds the quick first stages into one notice, and a call over before it sends only the final one', async () => {
    const { r, sent } = reporter();
    r.update({ stage: 'preparing' });
    r.update({ stage: 'encoding' });
    r.update({ stage: 'transcribing', partial: 'Good morning' });
    await vi.advanceTimersByTimeAsync(FIRST_NOTICE_MS);
    expect(sent.map((s) => s.notice.message)).toEqual(['transcribing 0s: Good morning']);
    const quick = reporter();
    quick.r.update({ stage: 'preparing' });
    await vi.advanceTimersByTimeAsync(40);
    quick.r.update({ stage: 'done' });
    await quick.r.settle();
    quick.r.stop();
    r.stop();
    expect(quick.sent.map((s) => s.notice.message)).toEqual(['done']);
  });

  it('reports an upload at most once per whole percent', async () => {
    const { r, sent } = reporter();
    for (let i = 0; i <= 1000; i++) {
      r.update({ stage: 'uploading', fraction: i / 1000 });
      await vi.advanceTimersByTimeAsync(1);
    }
    await r.settle();
    r.stop();
    const percents = sent.map((s) => s.notice.message.match(/uploading (\d+)%/)![1]);
    expect(new Set(percents).size).toBe(percents.length);
  });

  it('hands the transport one notice at a time: a slow client holds one in flight, one waiting', async () => {
    let inFlight = 0;
    let most = 0;
    const { r, sent } = reporter(async () => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 2000));
      inFlight--;
    });
    for (let i = 0; i < 40; i++) {
      r.update({ stage: 'running', fraction: i / 40, taskId: 'task-1' });
      await vi.advanceTimersByTimeAsync(250);
    }
    r.update({ stage: 'done' });
    const settled = r.settle();
    await vi.advanceTimersByTimeAsync(10_000);
    await settled;
    r.stop();
    expect(most).toBe(1);
    expect(sent.length).toBeLessThan(10);
    expect(sent.at(-1)!.notice.message).toBe('done · task task-1');
  });

  it('names the task once it exists, and masks secrets and signed URLs in messages', async () => {
    registerSecret('sk-progress-secret-0000');
    const { r, sent } = reporter();
    r.update({ stage: 'running', taskId: 'abc-123' });
    await vi.advanceTimersByTimeAsync(WINDOW_MS);
    r.update({
      stage: 'transcribing',
      partial: 'key sk-progress-secret-0000 at https://x.example/a.mp3?X-Amz-Signature=deadbeef',
    });
    await r.settle();
    r.stop();
    expect(sent[0]!.notice.message).toBe('running 0s · task abc-123');
    const last = sent.at(-1)!.notice.message;
    expect(last).not.toContain('sk-progress-secret-0000');
    expect(last).not.toContain('deadbeef');
  });
});
