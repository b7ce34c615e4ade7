import { sleep } from './http.js';

/**
 * Spaces task queries so the whole process stays under `perSecond`, however many tasks are polled at
 * once (the account's limit is 20 QPS, shared by everything using the key).
 */
export class RateLimiter {
  private next = 0;

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number = Date.now,
  ) {}

  async take(signal?: AbortSignal): Promise<void> {
    const now = this.now();
    const slot = Math.max(now, this.next);
    this.next = slot + 1000 / this.perSecond;
    if (slot > now) await sleep(slot - now, signal);
  }
}

/** The official SDKs' schedule: 1 s, doubling every 3 polls, capped at 5 s (both ends configurable). */
export function pollInterval(pollIndex: number, initialMs: number, maxMs: number): number {
  return Math.min(maxMs, initialMs * 2 ** Math.floor(pollIndex / 3));
}

export function formatElapsed(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
