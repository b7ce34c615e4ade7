/**
 * What every part of a transcription shares within one process: configuration, the DashScope API and
 * uploader, the process-wide query pacing, the stores, and the jobs running now.
 */
import type { FileAccess } from '../audio/access.js';
import type { BucketClient } from '../bucket/client.js';
import type { Config } from '../config/config.js';
import type { DashScopeApi } from '../dashscope/api.js';
import type { TemporaryUploader } from '../dashscope/upload.js';
import { TaskFailedError } from '../domain/errors.js';
import type { BatchStore } from '../store/batches.js';
import type { OutputDirs } from '../store/paths.js';
import type { TaskRecord, TaskStore } from '../store/tasks.js';
import type { TranscriptStore } from '../store/transcripts.js';
import { fsProblem } from '../util/fs-errors.js';
import type { Logger } from '../util/log.js';
import type { BatchRun } from './batch.js';
import { releaseUpload } from './cleanup.js';
import type { Job } from './jobs.js';
import type { RateLimiter } from './pacing.js';

export interface ServiceContext {
  config: Config;
  logger: Logger;
  dirs: OutputDirs;
  tasks: TaskStore;
  transcripts: TranscriptStore;
  /** Where local files may be read from; none means unconfined (in-process tests). */
  access?: FileAccess;
  api: DashScopeApi;
  uploader: TemporaryUploader;
  /** The user's own bucket (ASR_BUCKET), preferred over the temporary upload when configured. */
  bucket?: BucketClient;
  limiter: RateLimiter;
  /** Jobs of this process, under their local id and (once submitted) their task id. */
  jobs: Map<string, Job>;
  /** Batch indexes and audio fingerprints. */
  batches: BatchStore;
  /** Batches running in this process, by batch id. */
  batchRuns: Map<string, BatchRun>;
  startedAt: string;
}

/**
 * The task ledger: records are written best-effort. A full disk must not fail a transcription that
 * is already paid for, so a failed write is logged and the call goes on.
 */
export async function recordTask(ctx: ServiceContext, record: TaskRecord): Promise<void> {
  await ctx.tasks.put(record).catch((e) => storeFailed(ctx, e));
}

export async function updateTask(ctx: ServiceContext, id: string, patch: Partial<TaskRecord>): Promise<void> {
  const saved = await ctx.tasks.update(id, patch).catch((e) => storeFailed(ctx, e));
  await releaseUpload(ctx, id, patch, saved ?? undefined);
}

function storeFailed(ctx: ServiceContext, err: unknown): void {
  ctx.logger.warn(`could not write the task store: ${fsProblem(err)}`);
}

/** A call's wait budget in milliseconds: its own `wait_seconds`, else ASR_WAIT_BUDGET_S. */
export function budgetMs(config: Config, waitSeconds: number | undefined): number {
  return Math.max(0, (waitSeconds ?? config.waitBudgetS) * 1000);
}

/**
 * Throws when asr_cancel_task (in this process or another sharing the output directory) cancelled the
 * task: its transcript is not fetched or saved.
 */
export async function throwIfCancelled(ctx: ServiceContext, taskId: string): Promise<void> {
  const record = await ctx.tasks.get(taskId).catch(() => undefined);
  if (!record?.cancelled_at) return;
  throw new TaskFailedError(
    `Task ${taskId} was cancelled with asr_cancel_task at ${record.cancelled_at}; no transcript is saved for it.`,
    { hint: 'Transcribe the audio again if you need it.' },
  );
}
