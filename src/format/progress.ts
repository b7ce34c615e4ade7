/**
 * Turns progress events into notices for a person or a client: one overall percentage that only ever
 * goes up (MCP requires it), a message, and a heartbeat at a fixed interval so clients that reset their
 * timeout on progress keep waiting while a task runs.
 *
 * Calm by construction: at most two notices in any 1.1 s (newer events replace a waiting one, so
 * streamed partial text is coalesced), the final state always sent, an upload reported at most once per
 * whole percent, and every notice handed to the sender one at a time (a slow client holds at most one
 * notice in flight and one waiting, never a pile of writes). Messages pass the same masking as results.
 */
import type { ProgressEvent, Stage } from '../domain/progress.js';
import { formatElapsed } from '../util/format.js';
import { redactUrlsInText } from '../util/redact-url.js';
import { scrub } from '../util/secrets.js';

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
  batch: [0, 99],
  done: [100, 100],
};

/** Longest partial transcript carried in one progress message (its end: the newest words). */
const PARTIAL_CHARS = 500;
/**
 * At most two notices in any window of this length (the final one excepted): two a second, with room
 * for jitter. Two, not one every half second, so the first words of a streamed call go out at once.
 */
export const WINDOW_MS = 1100;
/**
 * The first notice waits this long, so the quick stages at the start (checking, encoding, the first
 * streamed words) go out as one notice instead of using up the window before the words arrive.
 */
export const FIRST_NOTICE_MS = 150;

function tail(text: string, max: number): string {
  return text.length <= max ? text : `…${text.slice(text.length - max + 1)}`;
}

export class ProgressReporter {
  private last = -1;
  private current: ProgressEvent | undefined;
  private stageStarted = 0;
  private taskId: string | undefined;
  /** When the last two notices went out, and when the first event came. */
  private sentAt: number[] = [];
  private firstAt: number | undefined;
  private lastUploadPercent = -1;
  private heartbeat: NodeJS.Timeout | undefined;
  private deferred: NodeJS.Timeout | undefined;
  /** The notice waiting for the sender; a newer one replaces it. */
  private waiting: ProgressNotice | undefined;
  private sending: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly send: (notice: ProgressNotice) => Promise<unknown> | undefined,
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
    /** A terminal can take every stage as it comes: the command line passes zeros. */
    private readonly pacing = { windowMs: WINDOW_MS, firstNoticeMs: FIRST_NOTICE_MS },
  ) {}

  update(event: ProgressEvent): void {
    if (this.stopped) return;
    if (event.stage !== this.current?.stage) this.stageStarted = this.now();
    if (event.taskId) this.taskId = event.taskId;
    this.current = event;
    if (event.stage === 'done') {
      this.emit(true);
      return;
    }
    if (event.stage === 'uploading') {
      const percent = Math.floor(100 * (event.fraction ?? 0));
      if (percent === this.lastUploadPercent) return;
    }
    this.emitSoon();
    this.scheduleHeartbeat();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.heartbeat);
    clearTimeout(this.deferred);
    this.heartbeat = this.deferred = undefined;
  }

  /**
   * Resolves once every notice so far has been handed to the transport, so none can arrive after the
   * response (clients drop progress for requests that have finished).
   */
  async settle(): Promise<void> {
    clearTimeout(this.deferred);
    this.deferred = undefined;
    while (this.sending) await this.sending;
  }

  /** Now if the window allows, else once it does (one timer; later events replace the notice). */
  private emitSoon(): void {
    this.firstAt ??= this.now();
    const wait = Math.max(
      this.firstAt + this.pacing.firstNoticeMs - this.now(),
      this.sentAt.length < 2 ? 0 : this.sentAt[0]! + this.pacing.windowMs - this.now(),
    );
    if (wait <= 0) {
      this.emit(false);
      return;
    }
    this.deferred ??= setTimeout(() => {
      this.deferred = undefined;
      if (!this.stopped) this.emit(false);
    }, wait);
    this.deferred.unref?.();
  }

  private scheduleHeartbeat(): void {
    clearTimeout(this.heartbeat);
    this.heartbeat = setTimeout(() => {
      this.emitSoon();
      this.scheduleHeartbeat();
    }, this.intervalMs);
    this.heartbeat.unref?.();
  }

  private emit(final: boolean): void {
    const e = this.current;
    if (!e) return;
    const [lo, hi] = RANGES[e.stage];
    let value = lo + (hi - lo) * Math.min(1, Math.max(0, e.fraction ?? 0));
    // Strictly increasing: nudge forward a little, never reaching 100 before the work is done.
    if (value <= this.last) value = Math.min(this.last + 0.01, e.stage === 'done' ? 100 : 99.99);
    if (value <= this.last) return;
    this.last = Math.round(value * 100) / 100;
    this.sentAt = [...this.sentAt, this.now()].slice(-2);
    if (e.stage === 'uploading') this.lastUploadPercent = Math.floor(100 * (e.fraction ?? 0));
    if (final) {
      clearTimeout(this.deferred);
      this.deferred = undefined;
    }
    this.enqueue({ progress: this.last, total: 100, message: redactUrlsInText(scrub(this.message(e))) });
  }

  private enqueue(notice: ProgressNotice): void {
    this.waiting = notice;
    if (this.sending) return;
    this.sending = (async () => {
      while (this.waiting) {
        const next = this.waiting;
        this.waiting = undefined;
        try {
          await this.send(next);
        } catch {
          // A client that went away cannot be told; the call's own answer reports what matters.
        }
      }
      this.sending = undefined;
    })();
  }

  private message(e: ProgressEvent): string {
    const elapsed = formatElapsed(this.now() - this.stageStarted);
    const detail = e.detail ? ` (${e.detail})` : '';
    const task = this.taskId ? ` · task ${this.taskId}` : '';
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
        return `queued ${elapsed}${task}`;
      case 'running':
        return `running ${elapsed}${task}`;
      case 'fetching':
        return `fetching result${task}`;
      case 'saving':
        return `saving transcript${task}`;
      case 'batch':
        return `batch ${elapsed}${detail}`;
      case 'done':
        return `done${task}`;
    }
  }
}
