/**
 * Durable task records, one JSON file per task under `<output>/ai-audio-asr/tasks/`. They let
 * `asr_task_status` answer after a restart and after the API's 24 h result expiry. Writes are atomic;
 * URLs in them are saved with their credentials masked.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SavedFiles, TaskStatus } from '../domain/result.js';
import { scrub } from '../util/secrets.js';
import { writeFileAtomic } from './atomic.js';
import { withLock } from './lock.js';
import type { OutputDirs } from './paths.js';
import { maskUrls } from './redact.js';

export interface TaskRecord {
  /** The service's task id, or `local-<uuid>` while an upload is still under way. */
  id: string;
  task_id?: string;
  local_id?: string;
  model: string;
  source: string;
  options: Record<string, unknown>;
  /** `uploading` exists only for local ids. */
  status: TaskStatus | 'UPLOADING';
  submitted_at?: string;
  created_at: string;
  updated_at: string;
  /** Audio duration, when known, for ETAs. */
  duration_s?: number;
  warnings?: string[];
  transcript_id?: string;
  files?: SavedFiles;
  error?: { code?: string; message: string };
  /** Process that owns a running upload; a record whose owner is gone was interrupted. */
  owner_pid?: number;
  owner_started_at?: string;
  /** The object holding the upload in the user's own bucket (ASR_BUCKET); deleted when the task ends. */
  bucket_key?: string;
  /** Set by asr_cancel_task: no transcript is saved for this task, whoever finishes it. */
  cancelled_at?: string;
}

const SAFE_ID = /^[A-Za-z0-9-]{1,100}$/;

export class TaskStore {
  constructor(private readonly dirs: OutputDirs) {}

  private path(id: string): string {
    if (!SAFE_ID.test(id)) throw new Error(`not a task id: ${id}`);
    return join(this.dirs.get().tasks, `${id}.json`);
  }

  async get(id: string): Promise<TaskRecord | undefined> {
    if (!SAFE_ID.test(id)) return undefined;
    try {
      return JSON.parse(await readFile(this.path(id), 'utf8')) as TaskRecord;
    } catch {
      return undefined;
    }
  }

  /** Saved with URL credentials masked (`source`, messages): a record outlives the link it names. */
  async put(record: TaskRecord): Promise<void> {
    await writeFileAtomic(this.path(record.id), `${scrub(JSON.stringify(maskUrls(record), null, 2))}\n`);
  }

  /** Every record, in no particular order; unreadable or half-written files are skipped. */
  async list(): Promise<TaskRecord[]> {
    const dir = this.dirs.get().tasks;
    const names = await readdir(dir).catch(() => [] as string[]);
    const records = await Promise.all(
      names
        .filter((n) => n.endsWith('.json'))
        .map((n) =>
          readFile(join(dir, n), 'utf8')
            .then((text) => JSON.parse(text) as TaskRecord)
            .catch(() => undefined),
        ),
    );
    return records.filter((r): r is TaskRecord => r !== undefined && typeof r.id === 'string');
  }

  /** Read, patch and write under the record's lock: replicas' patches never overwrite each other. */
  async update(id: string, patch: Partial<TaskRecord>): Promise<TaskRecord | undefined> {
    if (!SAFE_ID.test(id)) return undefined;
    return withLock(this.path(id), async () => {
      const current = await this.get(id);
      if (!current) return undefined;
      const next = { ...current, ...patch, updated_at: new Date().toISOString() };
      await this.put(next);
      return next;
    });
  }
}
