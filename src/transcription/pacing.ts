import { sleep } from '../domain/waiting.js';

/**
 * Keeps task queries of the whole process under `perSecond` in every one-second window, however many
 * tasks are polled at once (the account's limit is 20 QPS, shared by everything using the key). A
 * sliding window rather than even spacing: timer lateness can squeeze evenly spaced queries, and a
 * service counting per window would see one too many.
 */
export class RateLimiter {
  /** A little over a second, so network jitter cannot fold 11 queries into the service's second. */
  static readonly WINDOW_MS = 1050;
  private readonly recent: number[] = [];
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Waits for a free slot; callers are served in the order they asked. */
  take(signal?: AbortSignal): Promise<void> {
    const turn = this.queue.then(() => this.acquire(signal));
    this.queue = turn.catch(() => {});
    return turn;
  }

  private async acquire(signal?: AbortSignal): Promise<void> {
    for (;;) {
      const now = this.now();
      while (this.recent.length > 0 && now - this.recent[0]! >= RateLimiter.WINDOW_MS) this.recent.shift();
      if (this.recent.length < this.perSecond) {
        this.recent.push(now);
        return;
      }
      await sleep(this.recent[0]! + RateLimiter.WINDOW_MS - now, signal);
    }
  }
}

/** The official SDKs' schedule: 1 s, doubling every 3 polls, capped at 5 s (both ends configurable). */
export function pollInterval(pollIndex: number, initialMs: number, maxMs: number): number {
  return Math.min(maxMs, initialMs * 2 ** Math.floor(pollIndex / 3));
}
