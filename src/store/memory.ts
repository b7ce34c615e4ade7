/**
 * Transcripts the disk refused (full, read-only, no permission), kept in this process so the caller
 * still gets a `transcript_id` to read them by. Bounded: entries expire after `ttlMs` and, past
 * `maxBytes` in total, the oldest go first. Nothing here survives a restart.
 */
import type { TranscriptionResult } from '../domain/result.js';

export interface MemoryLimits {
  /** Total size of the kept transcripts (their JSON and text), in bytes. */
  maxBytes: number;
  ttlMs: number;
  now: () => number;
}

interface Entry {
  result: TranscriptionResult;
  bytes: number;
  keptAt: number;
}

export class MemoryTranscripts {
  private readonly entries = new Map<string, Entry>();
  private total = 0;

  constructor(private readonly limits: MemoryLimits) {}

  /**
   * Keeps `result` under `id`, evicting the oldest entries until it fits. Returns false (and keeps
   * nothing, evicts nothing) when this one transcript is larger than the whole budget.
   */
  put(id: string, result: TranscriptionResult, bytes: number): boolean {
    if (bytes > this.limits.maxBytes) return false;
    this.expire();
    this.delete(id);
    for (const [oldest] of this.entries) {
      if (this.total + bytes <= this.limits.maxBytes) break;
      this.delete(oldest);
    }
    this.entries.set(id, { result, bytes, keptAt: this.limits.now() });
    this.total += bytes;
    return true;
  }

  get(id: string): TranscriptionResult | undefined {
    this.expire();
    return this.entries.get(id)?.result;
  }

  has(id: string): boolean {
    return this.get(id) !== undefined;
  }

  ids(): string[] {
    this.expire();
    return [...this.entries.keys()];
  }

  /** Entries are in the order they were kept, so the expired ones are at the front. */
  private expire(): void {
    const cutoff = this.limits.now() - this.limits.ttlMs;
    for (const [id, entry] of this.entries) {
      if (entry.keptAt > cutoff) break;
      this.delete(id);
    }
  }

  private delete(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
    this.total -= entry.bytes;
  }
}
