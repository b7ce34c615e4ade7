/**
 * Batch indexes: `<output>/ai-audio-asr/batches/<batch_id>.json` and `.csv`, one row per file with its
 * status, task, transcript and saved files. Written atomically after every change of a row; URLs are
 * saved with their credentials masked. Fingerprints (`fingerprints/<key>.json`) map an audio file or URL
 * and its options to the transcript made from it, so a batch run again skips what is done.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SavedFiles } from '../domain/result.js';
import { scrub } from '../util/secrets.js';
import { writeFileAtomic } from './atomic.js';
import type { OutputDirs } from './paths.js';
import { maskUrls } from './redact.js';

export type ItemStatus = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELED';

export interface BatchItem {
  index: number;
  audio: string;
  status: ItemStatus;
  task_id: string | null;
  transcript_id: string | null;
  reused: boolean;
  model?: string;
  duration_s?: number;
  files?: SavedFiles;
  error?: string;
}

export interface BatchRecord {
  id: string;
  status: ItemStatus;
  created_at: string;
  updated_at: string;
  /** What was asked: the folder and pattern, or the number of files. */
  source: string;
  options: Record<string, unknown>;
  items: BatchItem[];
  cancelled_at?: string;
  /** The process running the batch (`pid@start time`) and when it last said so: its lease. */
  owner?: string;
  heartbeat_at?: string;
}

const SAFE_ID = /^batch-[A-Za-z0-9-]{1,100}$/;
const SAFE_KEY = /^[a-f0-9]{64}$/;

const CSV_COLUMNS = [
  'index',
  'audio',
  'status',
  'task_id',
  'transcript_id',
  'reused',
  'txt',
  'json',
  'srt',
  'vtt',
  'error',
] as const;

function csvCell(value: unknown): string {
  const text = value === undefined || value === null ? '' : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function toCsv(record: BatchRecord): string {
  const rows = record.items.map((item) =>
    [
      item.index,
      item.audio,
      item.status,
      item.task_id,
      item.transcript_id,
      item.reused,
      item.files?.txt,
      item.files?.json,
      item.files?.srt,
      item.files?.vtt,
      item.error,
    ]
      .map(csvCell)
      .join(','),
  );
  return `${[CSV_COLUMNS.join(','), ...rows].join('\n')}\n`;
}

export class BatchStore {
  constructor(private readonly dirs: OutputDirs) {}

  isBatchId(id: string): boolean {
    return SAFE_ID.test(id);
  }

  async get(id: string): Promise<BatchRecord | undefined> {
    if (!SAFE_ID.test(id)) return undefined;
    try {
      return JSON.parse(await readFile(join(this.dirs.get().batches, `${id}.json`), 'utf8')) as BatchRecord;
    } catch {
      return undefined;
    }
  }

  async put(record: BatchRecord): Promise<void> {
    if (!SAFE_ID.test(record.id)) throw new Error(`not a batch id: ${record.id}`);
    const masked = maskUrls(record);
    const base = join(this.dirs.get().batches, record.id);
    await writeFileAtomic(`${base}.json`, `${scrub(JSON.stringify(masked, null, 2))}\n`);
    await writeFileAtomic(`${base}.csv`, scrub(toCsv(masked)));
  }

  /**
   * A cancel asked of a batch another process runs: a marker file beside the index, which that process
   * reads every second (its own writes of the index cannot overwrite it).
   */
  async markCancelled(id: string): Promise<void> {
    if (!SAFE_ID.test(id)) throw new Error(`not a batch id: ${id}`);
    await writeFileAtomic(join(this.dirs.get().batches, `${id}.cancel`), `${new Date().toISOString()}\n`);
  }

  async cancelledAt(id: string): Promise<string | undefined> {
    if (!SAFE_ID.test(id)) return undefined;
    return readFile(join(this.dirs.get().batches, `${id}.cancel`), 'utf8').then(
      (t) => t.trim(),
      () => undefined,
    );
  }

  async list(): Promise<BatchRecord[]> {
    const dir = this.dirs.get().batches;
    const names = await readdir(dir).catch(() => [] as string[]);
    const records = await Promise.all(
      names.filter((n) => n.endsWith('.json')).map((n) => this.get(n.slice(0, -'.json'.length))),
    );
    return records.filter((r): r is BatchRecord => r !== undefined);
  }

  /** The transcript made from the audio with this fingerprint, if one was recorded. */
  async transcriptFor(key: string): Promise<string | undefined> {
    if (!SAFE_KEY.test(key)) return undefined;
    try {
      const text = await readFile(join(this.dirs.get().fingerprints, `${key}.json`), 'utf8');
      return (JSON.parse(text) as { transcript_id?: string }).transcript_id;
    } catch {
      return undefined;
    }
  }

  async remember(key: string, transcriptId: string, audio: string): Promise<void> {
    if (!SAFE_KEY.test(key)) throw new Error(`not a fingerprint: ${key}`);
    const body = maskUrls({ transcript_id: transcriptId, audio, saved_at: new Date().toISOString() });
    await writeFileAtomic(join(this.dirs.get().fingerprints, `${key}.json`), `${JSON.stringify(body)}\n`);
  }
}
