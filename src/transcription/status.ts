/**
 * `asr_task_status`: a task by its DashScope id or the local id of an upload, answered from a live job,
 * the saved transcript, or the service, in that order, so it works after a restart and after expiry.
 */
import type { AudioSource } from '../audio/source.js';
import { resolveApiKey } from '../config/config.js';
import { FILETRANS_MODEL, type ModelInfo, resolveModel } from '../dashscope/models.js';
import { InputError, NotFoundError, TaskFailedError } from '../domain/errors.js';
import type { CallContext } from '../domain/progress.js';
import type { StatusRequest } from '../domain/request.js';
import type { TranscriptionResult } from '../domain/result.js';
import type { TaskRecord } from '../store/tasks.js';
import { budgetMs, type ServiceContext, throwIfCancelled, updateTask } from './context.js';
import { follow } from './jobs.js';
import { pollWatched } from './watch.js';

export async function taskStatus(
  ctx: ServiceContext,
  req: StatusRequest,
  call: CallContext = {},
): Promise<TranscriptionResult> {
  const id = req.task_id.trim();
  if (!/^[A-Za-z0-9-]{1,100}$/.test(id)) {
    throw new InputError(
      `task_id "${req.task_id.slice(0, 120)}" is not a task id. Pass the task_id that asr_transcribe returned.`,
    );
  }
  resolveApiKey(ctx.config);
  const deadline = Date.now() + (req.wait ? budgetMs(ctx.config, req.wait_seconds) : 0);
  const live = ctx.jobs.get(id);
  if (live && !live.taskId) {
    if (live.stage === 'failed') throw live.error;
    // Still uploading: wait on it within the budget (or report where it is).
    return follow(ctx, live, { deadline, wait: req.wait === true, call });
  }
  let record = await ctx.tasks.get(id);
  let taskId = live?.taskId ?? record?.task_id ?? id;
  if (id.startsWith('local-')) {
    if (!record && !live) {
      throw new NotFoundError(
        `No upload is known under ${id}. It may belong to another machine or OUTPUT_DIR.`,
        {
          hint: 'Call asr_transcribe again with the file.',
        },
      );
    }
    if (record && !record.task_id) {
      if (record.status === 'UPLOADING' && uploadingElsewhere(record)) {
        return {
          text: '',
          task_id: id,
          status: 'PENDING',
          model: record.model,
          warnings: [
            ...(record.warnings ?? []),
            'Another server process sharing this output directory is uploading the file; ask again shortly.',
          ],
          poll_after_s: 10,
          progress: 'uploading (another server process)',
          source: record.source,
          raw: null,
        };
      }
      if (record.status === 'FAILED' || record.status === 'CANCELED' || record.status === 'UPLOADING') {
        const reason =
          record.status === 'UPLOADING'
            ? 'the server was restarted while the file was uploading, so the upload was lost'
            : (record.error?.message ?? 'the upload failed');
        if (record.status === 'UPLOADING') {
          await updateTask(ctx, id, { status: 'FAILED', error: { message: reason } });
        }
        throw new TaskFailedError(`The job ${id} never reached DashScope: ${reason}.`, {
          hint: `Call asr_transcribe again with ${record.source}.`,
        });
      }
    }
    taskId = record?.task_id ?? taskId;
    record = (await ctx.tasks.get(taskId)) ?? record;
  }
  await throwIfCancelled(ctx, taskId);
  // A transcript we already saved answers at once, even after the API has forgotten the task.
  if (record?.status === 'SUCCEEDED' && record.transcript_id) {
    const saved = await ctx.transcripts.load(record.transcript_id);
    if (saved) return { ...saved, warnings: [...saved.warnings, 'Returned from the saved transcript.'] };
  }
  const source: AudioSource = live?.source ?? {
    kind: 'url',
    url: record?.source ?? '',
    name: record?.source?.split(/[\\/]/).pop() ?? taskId,
  };
  const jobView = {
    model: live?.model ?? resolveModelLenient(record?.model),
    warnings: [...(record?.warnings ?? [])],
    durationS: record?.duration_s,
    submitRaw: live?.submitRaw,
    source,
    sourceLabel: live?.sourceLabel,
    localId: record?.local_id,
  };
  return pollWatched(ctx, taskId, jobView, deadline, call);
}

function resolveModelLenient(name: string | undefined): ModelInfo {
  try {
    return resolveModel(name ?? FILETRANS_MODEL);
  } catch {
    return resolveModel(FILETRANS_MODEL);
  }
}

/** A saved transcript by its transcript id, or by the id of the task (or upload) that made it. */
export async function findSavedTranscript(
  ctx: ServiceContext,
  id: string,
): Promise<TranscriptionResult | undefined> {
  const direct = await ctx.transcripts.load(id);
  if (direct) return direct;
  const transcriptId = await transcriptIdOfTask(ctx, id);
  return transcriptId ? ctx.transcripts.load(transcriptId) : undefined;
}

/**
 * Only the text of a saved transcript (its .txt), without reading the JSON: paging the plain text of a
 * 12-hour transcript then never parses its tens of MB of word timings.
 */
export async function findSavedText(
  ctx: ServiceContext,
  id: string,
): Promise<{ transcriptId: string; text: string } | undefined> {
  const transcriptId =
    (await ctx.transcripts.loadText(id)) !== undefined ? id : await transcriptIdOfTask(ctx, id);
  const file = transcriptId ? await ctx.transcripts.loadText(transcriptId) : undefined;
  return transcriptId && file !== undefined ? { transcriptId, text: file.replace(/\n$/, '') } : undefined;
}

async function transcriptIdOfTask(ctx: ServiceContext, id: string): Promise<string | undefined> {
  const record = await ctx.tasks.get(id);
  const taskRecord = record?.task_id && record.task_id !== id ? await ctx.tasks.get(record.task_id) : record;
  return taskRecord?.transcript_id ?? record?.transcript_id;
}

/** An upload record owned by another live process on this host (a replica): not lost, just elsewhere. */
function uploadingElsewhere(record: TaskRecord): boolean {
  const pid = record.owner_pid;
  if (pid === undefined) return false;
  // This process: a live upload would be in ctx.jobs, so the record is a previous run's.
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
