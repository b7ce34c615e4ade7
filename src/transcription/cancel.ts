/**
 * `asr_cancel_task`: stops an upload, cancels a task DashScope still queues, and marks a started one
 * cancelled here (DashScope cannot stop it: it finishes and is billed, but no transcript is saved).
 * The cancel is written to the task record, so every process sharing the output directory sees it.
 * Idempotent: a finished or already cancelled task is reported as it is.
 */
import { resolveApiKey } from '../config/config.js';
import { InputError, NotFoundError } from '../domain/errors.js';
import type { TaskRecord } from '../store/tasks.js';
import { errorMessage } from '../util/errors.js';
import { recordTask, type ServiceContext, updateTask } from './context.js';

export interface CancelOutcome {
  id: string;
  /** The status after the cancel. */
  status: string;
  /** Whether this call changed anything (false: already over, or cancelled before). */
  cancelled: boolean;
  /** true when DashScope goes on with the task (and bills it) although it is cancelled here. */
  billed?: boolean;
  task_id?: string;
  message: string;
}

const ENDED = new Set(['SUCCEEDED', 'FAILED', 'CANCELED', 'UNKNOWN']);

export async function cancelTask(ctx: ServiceContext, rawId: string): Promise<CancelOutcome> {
  const id = rawId.trim();
  if (!/^[A-Za-z0-9-]{1,120}$/.test(id))
    throw new InputError(`"${rawId.slice(0, 120)}" is not a task or batch id.`);
  const live = ctx.jobs.get(id);
  if (live && !live.taskId && (live.stage === 'uploading' || live.stage === 'submitting')) {
    live.controller.abort();
    await live.submitted.catch(() => {});
    if (!live.taskId) {
      await updateTask(ctx, live.localId, { status: 'CANCELED', cancelled_at: new Date().toISOString() });
      return {
        id,
        status: 'CANCELED',
        cancelled: true,
        message: 'Cancelled before the task was submitted: the upload was stopped and nothing was billed.',
      };
    }
  }
  let record = await ctx.tasks.get(id);
  const taskId = live?.taskId ?? record?.task_id ?? (id.startsWith('local-') ? undefined : id);
  if (!taskId) {
    if (!record) throw new NotFoundError(`No task is known under ${id}.`);
    if (ENDED.has(record.status))
      return { id, status: record.status, cancelled: false, message: `${id} is already ${record.status}.` };
    // An upload owned by another process: the record carries the cancel; the owner stops on reading it.
    await updateTask(ctx, id, { status: 'CANCELED', cancelled_at: new Date().toISOString() });
    return { id, status: 'CANCELED', cancelled: true, message: 'Cancelled before the task was submitted.' };
  }
  resolveApiKey(ctx.config);
  if (taskId !== id) record = (await ctx.tasks.get(taskId)) ?? record;
  if (record && ENDED.has(record.status)) {
    const how = record.cancelled_at ? ' (cancelled here; DashScope may still finish and bill it)' : '';
    return {
      id,
      task_id: taskId,
      status: record.status,
      cancelled: false,
      message: `Task ${taskId} is already ${record.status}${how}.`,
    };
  }
  const { parsed } = await ctx.api.queryTask(taskId);
  const now = new Date().toISOString();
  const mark = async (patch: Partial<TaskRecord>) => {
    if (record) {
      await updateTask(ctx, taskId, patch);
      if (record.local_id && record.local_id !== taskId) await updateTask(ctx, record.local_id, patch);
    } else {
      await recordTask(ctx, {
        id: taskId,
        task_id: taskId,
        model: 'unknown',
        source: '',
        options: {},
        status: 'CANCELED',
        created_at: now,
        updated_at: now,
        ...patch,
      });
    }
  };
  if (parsed.status === 'PENDING') {
    try {
      await ctx.api.cancelTask(taskId);
      await mark({ status: 'CANCELED', cancelled_at: now });
      return {
        id,
        task_id: taskId,
        status: 'CANCELED',
        cancelled: true,
        billed: false,
        message: `Cancelled: task ${taskId} was still queued and has been cancelled on DashScope; nothing is billed.`,
      };
    } catch (err) {
      // It may have started in the meantime: then it is cancelled here only, as below.
      ctx.logger.info(`cancel of ${taskId} on DashScope failed (${errorMessage(err)}); marking it here`);
    }
  } else if (ENDED.has(parsed.status)) {
    return {
      id,
      task_id: taskId,
      status: parsed.status,
      cancelled: false,
      message: `Task ${taskId} is already ${parsed.status}.`,
    };
  }
  await mark({ status: 'CANCELED', cancelled_at: now });
  return {
    id,
    task_id: taskId,
    status: 'CANCELED',
    cancelled: true,
    billed: true,
    message: `Task ${taskId} had already started: DashScope cannot cancel a running task, so it will finish and be billed, but it is cancelled here and its transcript will not be saved.`,
  };
}
