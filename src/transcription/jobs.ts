/**
 * Async jobs: from upload (local files) and submission to the moment a caller stops waiting. A job
 * outlives the call that started it, so an upload that runs past the budget still ends in a task.
 */
import { randomUUID } from 'node:crypto';
import type { AudioSource } from '../audio/source.js';
import type { ModelInfo } from '../dashscope/models.js';
import { type AsyncParameters, asyncBody, mapAsyncOptions } from '../dashscope/options.js';
import { CancelledError } from '../domain/errors.js';
import type { CallContext, ProgressEvent } from '../domain/progress.js';
import type { TranscribeRequest } from '../domain/request.js';
import type { TranscriptionResult } from '../domain/result.js';
import { raceDeadline } from '../domain/waiting.js';
import type { TaskRecord } from '../store/tasks.js';
import { errorMessage } from '../util/errors.js';
import { mb } from '../util/format.js';
import { redactUrl } from '../util/redact-url.js';
import { budgetMs, recordTask, type ServiceContext, updateTask } from './context.js';
import { pendingResult } from './pending.js';
import { pollWatched, watchCancel } from './watch.js';

/** An async job from submission (or upload) onwards; lives in memory while this process runs. */
export interface Job {
  localId: string;
  taskId?: string;
  model: ModelInfo;
  source: AudioSource;
  /** What results name as the source instead of `source` (inline audio: its summary, never an oss:// key). */
  sourceLabel?: string;
  params: AsyncParameters;
  warnings: string[];
  durationS?: number;
  stage: 'uploading' | 'submitting' | 'submitted' | 'failed';
  uploadSent: number;
  uploadTotal: number;
  /** The object the file goes to in the user's own bucket (ASR_BUCKET), when one is configured. */
  bucketKey?: string;
  /** Resolves with the task id once submitted. */
  submitted: Promise<string>;
  submitRaw?: unknown;
  error?: unknown;
  controller: AbortController;
  /** Progress sink of the call currently waiting on this job, if any. */
  listener?: (e: ProgressEvent) => void;
}

export async function transcribeAsync(
  ctx: ServiceContext,
  req: TranscribeRequest,
  model: ModelInfo,
  source: AudioSource,
  warnings: string[],
  call: CallContext,
): Promise<TranscriptionResult> {
  const mapped = mapAsyncOptions(req, model);
  const job = await startJob(
    ctx,
    model,
    source,
    mapped.options,
    [...warnings, ...mapped.warnings],
    req,
    call,
  );
  const deadline = Math.min(Date.now() + budgetMs(ctx.config, req.wait_seconds), call.deadline ?? Infinity);
  return follow(ctx, job, { deadline, wait: req.wait !== false, call });
}

async function startJob(
  ctx: ServiceContext,
  model: ModelInfo,
  source: AudioSource,
  params: AsyncParameters,
  warnings: string[],
  req: TranscribeRequest,
  call: CallContext,
): Promise<Job> {
  const localId = `local-${randomUUID()}`;
  const job: Job = {
    localId,
    model,
    source,
    sourceLabel: req.audio.startsWith('data:') ? req.audio : undefined,
    params,
    warnings,
    durationS: source.kind === 'file' ? source.duration?.seconds : undefined,
    stage: source.kind === 'file' ? 'uploading' : 'submitting',
    uploadSent: 0,
    uploadTotal: source.kind === 'file' ? source.size : 0,
    submitted: Promise.resolve(''),
    controller: new AbortController(),
    listener: call.onProgress,
  };
  if (source.kind === 'file' && ctx.bucket) job.bucketKey = ctx.bucket.objectKey(source.name);
  const now = new Date().toISOString();
  const record: TaskRecord = {
    id: localId,
    local_id: localId,
    model: model.id,
    // The record outlives the request: a presigned link's signature or a user:password is not kept.
    source: redactUrl(req.audio),
    options: { ...params },
    status: 'UPLOADING',
    created_at: now,
    updated_at: now,
    duration_s: job.durationS,
    warnings,
    owner_pid: process.pid,
    owner_started_at: ctx.startedAt,
    // Known before the upload starts, so an upload cut short is still cleaned up.
    bucket_key: job.bucketKey,
  };
  if (source.kind === 'file') await recordTask(ctx, record);
  ctx.jobs.set(localId, job);
  job.submitted = submitJob(ctx, job, record);
  job.submitted.catch(() => {}); // observed by whoever follows the job; never an unhandled rejection
  // A cancel written to the record (by any replica) stops the upload within a second.
  const stopWatching = watchCancel(ctx, localId, () => job.controller.abort());
  job.submitted.then(stopWatching, stopWatching);
  return job;
}

async function submitJob(ctx: ServiceContext, job: Job, record: TaskRecord): Promise<string> {
  const signal = job.controller.signal;
  try {
    let fileUrl: string;
    if (job.source.kind === 'file') {
      const file = job.source;
      file.handle.retain(); // the upload may outlive the call that opened the file: it holds it too
      job.listener?.({ stage: 'uploading', fraction: 0, detail: `0 of ${mb(file.size)}` });
      const onProgress = ({ sent, total }: { sent: number; total: number }) => {
        job.uploadSent = sent;
        job.listener?.({ stage: 'uploading', fraction: sent / total, detail: `${mb(sent)} of ${mb(total)}` });
      };
      try {
        // The user's own bucket, when configured, in every region; else DashScope's temporary storage.
        if (ctx.bucket && job.bucketKey) {
          void ctx.bucket.sweepOnce(); // first use: old uploads go, in the background
          const { path, name, size, format, handle } = file;
          const chunks = (bytes: number, signal?: AbortSignal) => handle.reusedChunks(bytes, signal);
          await ctx.bucket.upload({ path, name, size, mime: format.mime, chunks }, job.bucketKey, {
            signal,
            onProgress,
          });
          fileUrl = ctx.bucket.presignGet(job.bucketKey);
        } else {
          fileUrl = await ctx.uploader.upload(file, job.model.id, { signal, onProgress });
        }
      } finally {
        await file.handle.release();
      }
    } else {
      fileUrl = job.source.url;
    }
    job.stage = 'submitting';
    job.listener?.({ stage: 'submitting' });
    const { parsed, raw } = await ctx.api.submit(asyncBody(job.model, fileUrl, job.params), {
      ossResolve: fileUrl.startsWith('oss://'),
      signal,
    });
    job.taskId = parsed.taskId;
    job.submitRaw = raw;
    job.stage = 'submitted';
    ctx.jobs.set(parsed.taskId, job);
    const now = new Date().toISOString();
    const taskRecord: TaskRecord = {
      ...record,
      id: parsed.taskId,
      task_id: parsed.taskId,
      status: parsed.status,
      submitted_at: now,
      updated_at: now,
      owner_pid: undefined,
      owner_started_at: undefined,
    };
    await recordTask(ctx, taskRecord);
    if (job.source.kind === 'file') await recordTask(ctx, { ...taskRecord, id: job.localId });
    return parsed.taskId;
  } catch (err) {
    job.stage = 'failed';
    job.error = err;
    if (job.source.kind === 'file') {
      await updateTask(ctx, job.localId, {
        status: signal.aborted ? 'CANCELED' : 'FAILED',
        error: { message: errorMessage(err) },
      });
    }
    throw err;
  }
}

/**
 * Waits on a job until it finishes, the budget runs out, or the caller cancels. Progress goes to the
 * caller's sink only while the caller is waiting: notifications after a response would be invalid.
 */
export async function follow(
  ctx: ServiceContext,
  job: Job,
  opts: { deadline: number; wait: boolean; call: CallContext },
): Promise<TranscriptionResult> {
  const { call } = opts;
  job.listener = call.onProgress;
  if (job.stage === 'uploading')
    call.onProgress?.({ stage: 'uploading', fraction: job.uploadSent / (job.uploadTotal || 1) });
  const onAbort = () => job.controller.abort();
  call.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const waited = await raceDeadline(job.submitted, opts.deadline, call.signal);
    if (waited === 'timeout') return pendingResult(job, 'PENDING');
    const taskId = waited;
    if (!opts.wait) return pendingResult(job, 'PENDING', job.submitRaw);
    call.signal?.removeEventListener('abort', onAbort); // from here a cancel must not kill the upload controller
    return await pollWatched(ctx, taskId, job, opts.deadline, call);
  } catch (err) {
    if (call.signal?.aborted || err instanceof CancelledError) {
      const outcome = await cancelRemote(ctx, job);
      throw new CancelledError(outcome);
    }
    throw err;
  } finally {
    call.signal?.removeEventListener('abort', onAbort);
    job.listener = undefined;
  }
}

/** A task still PENDING is cancelled remotely; a RUNNING one cannot be and is left to finish. */
async function cancelRemote(ctx: ServiceContext, job: Job): Promise<string> {
  if (!job.taskId)
    return 'Cancelled before the task was submitted; the upload was stopped and nothing was billed.';
  let outcome: string;
  try {
    const { parsed } = await ctx.api.queryTask(job.taskId);
    if (parsed.status === 'PENDING') {
      await ctx.api.cancelTask(job.taskId);
      await updateTask(ctx, job.taskId, { status: 'CANCELED' });
      outcome = `Cancelled: task ${job.taskId} was still queued and has been cancelled on DashScope.`;
    } else {
      outcome = `Stopped waiting. Task ${job.taskId} is ${parsed.status}: DashScope cannot cancel a started task, so it will finish; asr_task_status can fetch its transcript.`;
    }
  } catch (err) {
    outcome = `Stopped waiting; task ${job.taskId} could not be cancelled (${errorMessage(err)}).`;
  }
  ctx.logger.info(outcome);
  return outcome;
}
