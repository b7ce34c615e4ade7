/** Following a submitted task: the SDKs' poll schedule, paced process-wide, until it ends or the budget does. */
import type { TaskParsed } from '../dashscope/parse.js';
import {
  type AsrError,
  CancelledError,
  ConnectionError,
  MalformedResponseError,
  RateLimitError,
  ServerError,
  TimeoutError,
} from '../domain/errors.js';
import type { CallContext } from '../domain/progress.js';
import type { TranscriptionResult } from '../domain/result.js';
import { raceDeadline, sleep } from '../domain/waiting.js';
import type { ServiceContext } from './context.js';
import { updateTask } from './context.js';
import { outOfTime } from './deadline.js';
import { finishTask } from './outcome.js';
import { pollInterval } from './pacing.js';
import { estimateEta, type JobView, pendingResult } from './pending.js';

const TRANSIENT = [ServerError, ConnectionError, TimeoutError, RateLimitError, MalformedResponseError];
const MAX_CONSECUTIVE_POLL_ERRORS = 4;

/**
 * Polls until the task ends or the deadline passes; gives up after a few consecutive transient errors
 * rather than spinning forever (the error keeps its class, with the task id added). `deadline` is when
 * to stop waiting for the task; each request also ends by the call's own deadline (`call.deadline`),
 * and a query or download cut short by it ends the call with the pending answer.
 */
export async function pollToEnd(
  ctx: ServiceContext,
  taskId: string,
  job: JobView,
  deadline: number,
  call: CallContext,
): Promise<TranscriptionResult> {
  const started = Date.now();
  let errors = 0;
  let last: { parsed: TaskParsed; raw: unknown } | undefined;
  const pending = () =>
    pendingResult(
      { ...job, taskId, stage: 'submitted', localId: job.localId ?? taskId },
      last?.parsed.status === 'RUNNING' ? 'RUNNING' : 'PENDING',
      last?.raw,
    );
  for (let i = 0; ; i++) {
    // Many calls polling at once queue for the process-wide pace; the call's deadline still holds.
    const turn = ctx.limiter.take(call.signal);
    if (call.deadline === undefined) await turn;
    else if ((await raceDeadline(turn, call.deadline, call.signal)) === 'timeout') return pending();
    try {
      last = await ctx.api.queryTask(taskId, call.signal, call.deadline);
      errors = 0;
    } catch (err) {
      if (err instanceof CancelledError || !TRANSIENT.some((t) => err instanceof t)) throw err;
      errors++;
      const failed = err as AsrError;
      if (errors >= MAX_CONSECUTIVE_POLL_ERRORS) {
        throw failed.withContext(
          `Gave up asking about task ${taskId} after ${errors} failed queries in a row. Last error: ${failed.message}`,
          `The task itself may still finish: call asr_task_status with task_id "${taskId}" later.`,
        );
      }
      ctx.logger.warn(
        `query of task ${taskId} failed (${errors}/${MAX_CONSECUTIVE_POLL_ERRORS}): ${failed.message}`,
      );
    }
    const status = last?.parsed.status;
    if (status && status !== 'PENDING' && status !== 'RUNNING') {
      try {
        return await finishTask(ctx, taskId, last!, job, call);
      } catch (err) {
        // The transcript did not arrive within the call's budget: the task is done, so the next
        // asr_task_status fetches it; this call answers as if it were still running.
        if (!(err instanceof TimeoutError) || !outOfTime(call)) throw err;
        const unfinished = pendingResult(
          { ...job, taskId, stage: 'submitted', localId: job.localId ?? taskId },
          'RUNNING',
          last?.raw,
        );
        unfinished.warnings.push(
          `Task ${taskId} has finished, but its transcript did not download within this call's budget; call asr_task_status with task_id "${taskId}" to fetch it.`,
        );
        return unfinished;
      }
    }
    const elapsed = Date.now() - started;
    const eta = estimateEta(job.durationS);
    call.onProgress?.({
      stage: status === 'RUNNING' ? 'running' : 'queued',
      fraction: eta ? Math.min(0.95, elapsed / 1000 / eta) : undefined,
      taskId,
    });
    const wait = pollInterval(i, ctx.config.pollInitialMs, ctx.config.pollMaxMs);
    if (Date.now() + wait > deadline || outOfTime(call)) {
      const answer = pending();
      // Recorded only when the service said so: a query that never answered tells nothing.
      if (last) await updateTask(ctx, taskId, { status: answer.status });
      return answer;
    }
    await sleep(wait, call.signal);
  }
}
