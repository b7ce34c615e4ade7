import { describe, expect, it } from 'vitest';
import { CancelledError } from '../../src/domain/errors.js';
import { pollInterval, RateLimiter } from '../../src/transcription/pacing.js';

describe('RateLimiter', () => {
  it('never lets more than perSecond queries into any window, in the order asked', async () => {
    const limiter = new RateLimiter(5);
    const at: number[] = [];
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        limiter.take().then(() => {
          at.push(Date.now());
          order.push(i);
        }),
      ),
    );
    expect(order).toEqual([...Array(12).keys()]);
    for (let i = 0; i < at.length; i++) {
      const inWindow = at.filter((t) => t >= at[i]! && t - at[i]! < 1000).length;
      expect(inWindow).toBeLessThanOrEqual(5);
    }
    // The first five go at once; the rest wait for the window to slide.
    expect(at[4]! - at[0]!).toBeLessThan(RateLimiter.WINDOW_MS);
    expect(at[5]! - at[0]!).toBeGreaterThanOrEqual(RateLimiter.WINDOW_MS - 5);
  });

  it('a cancelled waiter gives up at once and does not block the queue', async () => {
    const limiter = new RateLimiter(1);
    await limiter.take();
    const controller = new AbortController();
    const waiting = limiter.take(controller.signal);
    controller.abort();
    await expect(waiting).rejects.toBeInstanceOf(CancelledError);
  });
});

describe('pollInterval', () => {
  it('follows the SDK schedule: 1 s, doubling every 3 polls, capped', () => {
    expect([0, 1, 2, 3, 5, 6, 9, 30].map((i) => pollInterval(i, 1000, 5000))).toEqual([
      1000, 1000, 1000, 2000, 2000, 4000, 5000, 5000,
    ]);
  });
});
