/**
 * Progress on stderr for the command line: a bar redrawn in place on a terminal, plain lines
 * elsewhere (logs, CI), printed when the stage changes or at most every few seconds.
 */
import type { ProgressNotice } from '../format/progress.js';

const WIDTH = 24;

export class ProgressBar {
  private lastLineAt = 0;
  private lastStage = '';
  private drawn = false;

  constructor(
    private readonly out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number },
    private readonly plainEveryMs = 5000,
  ) {}

  show(notice: ProgressNotice): void {
    const pct = Math.floor(notice.progress);
    if (this.out.isTTY) {
      const filled = Math.round((WIDTH * notice.progress) / 100);
      const bar = `[${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${String(pct).padStart(3)}% `;
      const room = Math.max(10, (this.out.columns ?? 80) - bar.length - 1);
      const message = notice.message.length > room ? `${notice.message.slice(0, room - 1)}…` : notice.message;
      this.out.write(`\r\x1b[2K${bar}${message}`);
      this.drawn = true;
      return;
    }
    const stage = notice.message.split(/[\s:(]/)[0] ?? '';
    const now = Date.now();
    if (stage === this.lastStage && now - this.lastLineAt < this.plainEveryMs) return;
    this.lastStage = stage;
    this.lastLineAt = now;
    this.out.write(`${String(pct).padStart(3)}% ${notice.message}\n`);
  }

  /** Ends the bar's line so what follows starts on a fresh one. */
  finish(): void {
    if (this.drawn) this.out.write('\r\x1b[2K');
    this.drawn = false;
  }
}
