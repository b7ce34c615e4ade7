/** The answer for work not finished within the budget: where it is, its id, and when to ask again. */
import type { TranscriptionResult } from '../domain/result.js';
import { mb, round3 } from '../util/format.js';
import type { Job } from './jobs.js';

export type JobView = Pick<Job, 'model' | 'warnings' | 'durationS' | 'submitRaw' | 'source'> &
  Partial<Pick<Job, 'localId' | 'taskId' | 'stage' | 'uploadSent' | 'uploadTotal' | 'sourceLabel'>>;

export function pendingResult(
  job: JobView,
  status: 'PENDING' | 'RUNNING',
  raw?: unknown,
): TranscriptionResult {
  const uploading = job.stage === 'uploading' || (job.stage === 'submitting' && !job.taskId);
  const id = job.taskId ?? job.localId ?? null;
  const sent = job.uploadSent ?? 0;
  const total = job.uploadTotal || 1;
  const progress = uploading
    ? job.stage === 'uploading'
      ? `uploading ${Math.floor((100 * sent) / total)}% (${mb(sent)} of ${mb(job.uploadTotal ?? 0)})`
      : 'submitting'
    : status === 'RUNNING'
      ? 'running'
      : 'queued';
  const warnings = [...job.warnings];
  if (uploading)
    warnings.push(
      `The upload goes on in the background under the local id ${job.localId}; asr_task_status accepts it.`,
    );
  return {
    text: '',
    task_id: id,
    status,
    model: job.model.id,
    duration_s: job.durationS !== undefined ? round3(job.durationS) : undefined,
    warnings,
    poll_after_s: pollAfter(job.durationS),
    eta_s: estimateEta(job.durationS),
    progress,
    source: job.sourceLabel ?? (job.source.kind === 'file' ? job.source.path : job.source.url),
    raw: raw ?? job.submitRaw ?? null,
  };
}

function pollAfter(durationS: number | undefined): number {
  const eta = estimateEta(durationS);
  return eta === undefined ? 10 : Math.min(60, Math.max(5, Math.round(eta / 2)));
}

/**
 * A rough guess, labelled as such in the README: queueing plus a fraction of real time. Only offered
 * when the audio's duration is known.
 */
export function estimateEta(durationS: number | undefined): number | undefined {
  if (durationS === undefined) return undefined;
  return Math.round(10 + durationS * 0.05);
}
