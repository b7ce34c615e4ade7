/**
 * Cancels that arrive through the task record (asr_cancel_task in this process or in a replica sharing
 * the output directory): whoever uploads or polls checks the record every second and stops.
 */
import type { CallContext } from '../domain/progress.js';
import type { TranscriptionResult } from '../domain/result.js';
import { type ServiceContext, throwIfCancelled } from './context.js';
import type { JobView } from './pending.js';
import { pollToEnd } from './polling.js';

const CANCEL_CHECK_MS = 1000;

/** Calls `onCancel` once, within a second of the record of `id` being marked cancelled; returns a stop. */
export function watchCancel(ctx: ServiceContext, id: string, onCancel: () => void): () => void {
  let stopped = false;
  let checking = false;
  const timer = setInterval(() => {
    if (checking) return;
    checking = true;
    void ctx.tasks
      .get(id)
      .then((record) => {
        if (record?.cancelled_at && !stopped) {
          stop();
          onCancel();
        }
      })
      .catch(() => {})
      .finally(() => {
        checking = false;
      });
  }, CANCEL_CHECK_MS);
  timer.unref?.();
  const stop = () => {
    stopped = true;
    clearInterval(timer);
  };
  return stop;
}

/** `pollToEnd`, stopped within a second when the task is cancelled through its record. */
export async function pollWatched(
  ctx: ServiceContext,
  taskId: string,
  job: JobView,
  deadline: number,
  call: CallContext,
): Promise<TranscriptionResult> {
  const cancelled = new AbortController();
  const stop = watchCancel(ctx, taskId, () => cancelled.abort());
  const signal = call.signal ? AbortSignal.any([call.signal, cancelled.signal]) : cancelled.signal;
  try {
    return await pollToEnd(ctx, taskId, job, deadline, { ...call, signal });
  } catch (err) {
    if (cancelled.signal.aborted && !call.signal?.aborted) await throwIfCancelled(ctx, taskId);
    throw err;
  } finally {
    stop();
  }
}
