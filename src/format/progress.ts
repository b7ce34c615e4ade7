/**
 * Turns service progress events into MCP `notifications/progress`: one overall percentage that only
 * ever goes up (the spec requires it), a human message, and a heartbeat at a fixed interval so clients
 * that reset their timeout on progress keep waiting while a task runs.
 */

import type { ProgressEvent, Stage } from '../domain/progress.js';
import { formatElapsed } from '../util/format.js';

export interface ProgressNotice {
  progress: number;
  total: number;
  message: string;
}

const RANGES: Record<Stage, [number, number]> = {
  preparing: [0, 2],
  encoding: [2, 5],
  transcribing: [5, 90],
  uploading: [5, 40],
  submitting: [40, 42],
  queued: [42, 50],
  running: [50, 90],
  fetching: [90, 95],
  saving: [95, 99],
  done: [100, 100],
};

/** Longest partial transcript carried in one progress message (its end: the newest words). */
const PARTIAL_CHARS = 500;

function tail(text: string, max: number): string {
  return text.length <= max ? text : `…${text.slice(text.length - max + 1)}`;
}

export class ProgressReporter {
  private last = -1;
  private current: ProgressEvent | undefined;
  private stageStarted = 0;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly send: (notice: ProgressNotice) => Promise<unknown> | undefined,
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  update(event: ProgressEvent): void {
    if (event.stage !== this.current?.stage) this.stageStarted = this.now();
    this.current = event;
    this.emit();
    this.schedule();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * Resolves once every notification sent so far has been handed to the transport, so none can
   * arrive after the response (clients drop progress for requests that have finished).
   */
  async settle(): Promise<void> {
    await this.inFlight.catch(() => {});
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.emit();
      this.schedule();
    }, this.intervalMs);
    this.timer.unref?.();
  }

  private emit(): void {
    const e = this.current;
    if (!e) return;
    const [lo, hi] = RANGES[e.stage];
    let value = lo + (hi - lo) * Math.min(1, Math.max(0, e.fraction ?? 0));
    // Strictly increasing: nudge forward a little, never reaching 100 before the work is done.
    if (value <= this.last) value = Math.min(this.last + 0.01, e.stage === 'done' ? 100 : 99.99);
    if (value <= this.last) return;
    this.last = Math.round(value * 100) / 100;
    const sent = this.send({ progress: this.last, total: 100, message: this.message(e) });
    if (sent) this.inFlight = Promise.all([this.inFlight, sent.catch(() => {})]);
  }

  private message(e: ProgressEvent): string {
    const elapsed = formatElapsed(this.now() - this.stageStarted);
    const detail = e.detail ? ` (${e.detail})` : '';
    switch (e.stage) {
      case 'preparing':
        return 'checking the audio';
      case 'encoding':
        return 'encoding the file';
      case 'transcribing':
        return e.partial
          ? `transcribing ${elapsed}: ${tail(e.partial, PARTIAL_CHARS)}`
          : `transcribing ${elapsed}`;
      case 'uploading':
        return `uploading ${Math.floor(100 * (e.fraction ?? 0))}%${detail}`;
      case 'submitting':
        return 'submitting the task';
      case 'queued':
        return `queued ${elapsed}`;
      case 'running':
        return `running ${elapsed}`;
      case 'fetching':
        return 'fetching result';
      case 'saving':
        return 'saving transcript';
      case 'done':
        return 'done';
    }
  }
}
