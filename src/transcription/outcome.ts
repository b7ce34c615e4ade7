/**
 * How a task ended, in the caller's terms: a failure becomes a typed error with the service's code and
 * a fix; a success is fetched from its transcription_url, normalized and saved.
 */
import { sourceStem } from '../audio/source.js';
import type { DashScopeApi } from '../dashscope/api.js';
import { taskFailureHint } from '../dashscope/errors.js';
import type { TaskParsed } from '../dashscope/parse.js';
import { estimateCost } from '../dashscope/prices.js';
import { ApiError, NotFoundError, TaskFailedError } from '../domain/errors.js';
import type { CallContext } from '../domain/progress.js';
import type { TranscriptionResult } from '../domain/result.js';
import { round3 } from '../util/format.js';
import { type ServiceContext, throwIfCancelled, updateTask } from './context.js';
import type { JobView } from './pending.js';
import { saveResult } from './save.js';

export async function finishTask(
  ctx: ServiceContext,
  taskId: string,
  last: { parsed: TaskParsed; raw: unknown },
  job: JobView,
  call: CallContext,
): Promise<TranscriptionResult> {
  const { parsed } = last;
  const subtaskFailed = parsed.status === 'SUCCEEDED' && parsed.subtaskStatus === 'FAILED';
  if (parsed.status === 'FAILED' || parsed.status === 'CANCELED' || subtaskFailed) {
    const reason =
      parsed.message && parsed.message !== parsed.code
        ? `${parsed.code ?? 'error'}: ${parsed.message}`
        : (parsed.code ?? parsed.message ?? 'no reason given');
    const message =
      parsed.status === 'CANCELED'
        ? `Task ${taskId} was cancelled before it ran; nothing was transcribed.`
        : subtaskFailed
          ? `Task ${taskId} finished, but its file failed: ${reason}.`
          : `Task ${taskId} failed: ${reason}.`;
    await updateTask(ctx, taskId, {
      status: subtaskFailed ? 'FAILED' : parsed.status,
      error: { code: parsed.code, message },
    });
    throw new TaskFailedError(message, {
      code: parsed.code,
      requestId: parsed.requestId,
      hint: parsed.code
        ? taskFailureHint(parsed.code, parsed.message)
        : parsed.status === 'CANCELED'
          ? 'Submit it again.'
          : undefined,
    });
  }
  if (parsed.status === 'UNKNOWN') {
    await updateTask(ctx, taskId, { status: 'UNKNOWN' });
    throw new NotFoundError(
      `Task ${taskId} is UNKNOWN to DashScope: it does not exist in this region and account, or it finished more than 24 h ago and its result has expired.`,
      { requestId: parsed.requestId, hint: 'Check the task id and region, or transcribe the audio again.' },
    );
  }
  await throwIfCancelled(ctx, taskId);
  call.onProgress?.({ stage: 'fetching', taskId });
  let transcription: Awaited<ReturnType<DashScopeApi['fetchTranscription']>>;
  try {
    transcription = await ctx.api.fetchTranscription(parsed.transcriptionUrl!, call.signal, call.deadline);
  } catch (err) {
    if (err instanceof ApiError && (err.status === 403 || err.status === 404)) {
      throw new TaskFailedError(
        `Task ${taskId} succeeded, but its transcription_url answered HTTP ${err.status}: the link has expired (results are kept 24 h) or is unreachable.`,
        { status: err.status, hint: 'Transcribe the audio again.' },
      );
    }
    throw err;
  }
  const t = transcription.parsed;
  // qwen3 reports `usage.seconds`, the paraformer family `usage.duration`.
  const usage = parsed.usage as { seconds?: unknown; duration?: unknown } | undefined;
  const usageSeconds = usage?.seconds ?? usage?.duration;
  const result: TranscriptionResult = {
    text: t.text,
    task_id: taskId,
    status: 'SUCCEEDED',
    model: job.model.id,
    language: t.language,
    emotion: t.emotion,
    duration_s:
      job.durationS !== undefined
        ? round3(job.durationS)
        : t.durationMs !== undefined
          ? t.durationMs / 1000
          : typeof usageSeconds === 'number'
            ? usageSeconds
            : t.endMs !== undefined
              ? t.endMs / 1000
              : undefined,
    audio_info: t.audioInfo,
    speakers: t.speakers,
    usage: parsed.usage,
    ...costOf(job.model.id, ctx.config.region, parsed.usage),
    sentences: t.sentences,
    warnings: [...job.warnings],
    source: job.sourceLabel ?? (job.source.kind === 'file' ? job.source.path : job.source.url),
    raw: { submit: job.submitRaw ?? null, task: last.raw, transcription: transcription.raw },
  };
  if (!result.text) result.warnings.push('The task succeeded but recognized no speech.');
  call.onProgress?.({ stage: 'saving', taskId });
  const saved = await saveResult(ctx, result, sourceStem({ name: job.source.name }));
  await updateTask(ctx, taskId, {
    status: 'SUCCEEDED',
    transcript_id: saved.transcript_id,
    files: saved.files,
  });
  return saved;
}

function costOf(model: string, region: string, usage: unknown): Pick<TranscriptionResult, 'cost_estimate'> {
  const cost = estimateCost(model, region, usage);
  return cost ? { cost_estimate: cost } : {};
}
