/**
 * The provider: the one module that turns a normalized request into DashScope calls and back into a
 * normalized result. It routes between sync and async models, uploads local files for async models,
 * waits within a budget, reports progress, records tasks durably and saves transcripts.
 */
import { randomUUID } from 'node:crypto';
import type { FileAccess } from '../audio/access.js';
import {
  type AudioSource,
  type ByteStream,
  dataUriLength,
  dataUriStream,
  type FileAudio,
  resolveAudio,
  sourceStem,
} from '../audio/source.js';
import type { Config } from '../config.js';
import { resolveApiKey } from '../config.js';
import {
  ApiError,
  AsrError,
  BadRequestError,
  CancelledError,
  ConnectionError,
  InputError,
  MalformedResponseError,
  NotFoundError,
  RateLimitError,
  ServerError,
  TaskFailedError,
  TimeoutError,
} from '../errors.js';
import type { Logger } from '../log.js';
import type { OutputDirs } from '../output/paths.js';
import type { TaskRecord, TaskStore } from '../output/task-store.js';
import type { TranscriptStore } from '../output/transcripts.js';
import { DashScopeApi } from './api.js';
import { HttpClient, sleep } from './http.js';
import { FILE_TRANSCRIPTION_MODEL, FILETRANS_MODEL, type ModelInfo, resolveModel } from './models.js';
import type { TaskParsed } from './normalize.js';
import { type AsyncParameters, asyncBody, mapAsyncOptions, mapSyncOptions } from './options.js';
import { pollInterval, RateLimiter } from './pacing.js';
import type { CallContext, ProgressEvent, TranscribeRequest, TranscriptionResult } from './types.js';
import { TemporaryUploader } from './upload.js';

export interface ProviderDeps {
  config: Config;
  logger: Logger;
  dirs: OutputDirs;
  tasks: TaskStore;
  transcripts: TranscriptStore;
  http?: HttpClient;
  /** Where local files may be read from; none means unconfined (in-process tests). */
  access?: FileAccess;
}

export interface StatusRequest {
  task_id: string;
  wait?: boolean;
  wait_seconds?: number;
}

/** An async job from submission (or upload) onwards; lives in memory while this process runs. */
interface Job {
  localId: string;
  taskId?: string;
  model: ModelInfo;
  source: AudioSource;
  params: AsyncParameters;
  warnings: string[];
  durationS?: number;
  stage: 'uploading' | 'submitting' | 'submitted' | 'failed';
  uploadSent: number;
  uploadTotal: number;
  /** Resolves with the task id once submitted. */
  submitted: Promise<string>;
  submitRaw?: unknown;
  error?: unknown;
  controller: AbortController;
  /** Progress sink of the call currently waiting on this job, if any. */
  listener?: (e: ProgressEvent) => void;
}

const TRANSIENT = [ServerError, ConnectionError, TimeoutError, RateLimitError, MalformedResponseError];
const MAX_CONSECUTIVE_POLL_ERRORS = 4;
const REFUSED_FOR_LENGTH =
  /(duration|too long|too large|file size|size limit|exceed|larger than|longer than)/i;

const TASK_FAILURE_HINTS: Record<string, string> = {
  FILE_DOWNLOAD_FAILED:
    'The service could not download the file: make sure the URL is public and reachable from the internet.',
  FILE_404_NOT_FOUND: 'The URL answers 404: check it, or pass a local path instead.',
  FILE_403_FORBIDDEN:
    'The URL is not publicly readable (403): make it public or use a signed URL, or pass a local path.',
  FILE_TOO_LARGE: 'The file is over 2 GB: split or compress it.',
  AUDIO_DURATION_TOO_LONG: 'The audio is over 12 hours: split it.',
  DECODE_ERROR:
    'The service could not decode the audio: check the file plays, or convert it to MP3/WAV/FLAC.',
  SUCCESS_WITH_NO_VALID_FRAGMENT: 'No speech was found in the audio.',
  ASR_RESPONSE_HAVE_NO_WORDS: 'No words were recognized in the audio.',
};

export class AsrProvider {
  readonly api: DashScopeApi;
  private readonly uploader: TemporaryUploader;
  private readonly limiter: RateLimiter;
  private readonly jobs = new Map<string, Job>();
  private readonly startedAt = new Date().toISOString();

  constructor(private readonly deps: ProviderDeps) {
    const { config, logger } = deps;
    const http =
      deps.http ??
      new HttpClient({
        timeoutMs: config.httpTimeoutMs,
        maxRetries: config.maxRetries,
        logger,
        region: config.region,
      });
    this.api = new DashScopeApi(config, http);
    this.uploader = new TemporaryUploader({
      http,
      nativeBaseUrl: config.nativeBaseUrl,
      headers: () => this.api.headers(),
      logger,
      attempts: config.uploadAttempts,
      timeoutMs: config.httpTimeoutMs,
    });
    this.limiter = new RateLimiter(config.maxTaskQueriesPerSecond);
  }

  private get config(): Config {
    return this.deps.config;
  }

  /**
   * Stop background work (uploads, polls) and release connections. Jobs get a moment to record how
   * they ended in the task store, so a restart can tell the caller what happened.
   */
  async close(graceMs = 2000): Promise<void> {
    const jobs = [...new Set(this.jobs.values())];
    for (const job of jobs) job.controller.abort();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled(jobs.map((j) => j.submitted)),
      new Promise((resolve) => {
        timer = setTimeout(resolve, graceMs);
      }),
    ]);
    clearTimeout(timer);
    await this.api.http.close();
  }

  /** Background uploads still under way, for a clean shutdown. */
  pendingUploads(): string[] {
    return [...new Set(this.jobs.values())]
      .filter((j) => j.stage === 'uploading' || j.stage === 'submitting')
      .map((j) => j.localId);
  }

  async transcribe(req: TranscribeRequest, ctx: CallContext = {}): Promise<TranscriptionResult> {
    const explicitModel = req.model !== undefined && req.model.trim() !== '';
    let model = resolveModel(req.model);
    resolveApiKey(this.config); // fail before touching files or the network when no key is set
    ctx.onProgress?.({ stage: 'preparing' });
    const source = await resolveAudio(req.audio, {
      home: this.config.home,
      cwd: this.config.cwd,
      access: this.deps.access,
    });
    const warnings: string[] = [];
    const rerouted = this.route(req, model, explicitModel, source, warnings);
    model = rerouted;

    if (model.mode === 'sync') {
      try {
        return await this.transcribeSync(req, model, source, warnings, ctx);
      } catch (err) {
        // The service is the judge of length when we could not read it (URLs, unknown containers).
        const refused = err instanceof BadRequestError && REFUSED_FOR_LENGTH.test(err.message);
        const durationUnknown = source.kind === 'url' || source.duration === undefined;
        if (!refused || explicitModel || !durationUnknown) throw err;
        const target = resolveModel(FILETRANS_MODEL);
        if (source.kind === 'file' && !target.formats.has(source.format.container)) throw err;
        warnings.push(
          `${model.id} refused the audio as too long or too large (${err.message}); retried on ${target.id}, which takes up to 12 h.`,
        );
        return this.transcribeAsync(req, target, source, warnings, ctx);
      }
    }
    return this.transcribeAsync(req, model, source, warnings, ctx);
  }

  /** Picks the model that can actually serve this request, explaining every change in `warnings`. */
  private route(
    req: TranscribeRequest,
    model: ModelInfo,
    explicit: boolean,
    source: AudioSource,
    warnings: string[],
  ): ModelInfo {
    const filetrans = () => resolveModel(FILETRANS_MODEL);
    const wantsFamily = req.diarization_enabled === true || req.speaker_count !== undefined;
    if (!explicit && wantsFamily) {
      warnings.push(
        `Speaker labels are a feature of the paraformer / fun-asr models, so this request ran on ${FILE_TRANSCRIPTION_MODEL}.`,
      );
      return this.route(
        { ...req, diarization_enabled: undefined, speaker_count: undefined },
        resolveModel(FILE_TRANSCRIPTION_MODEL),
        true,
        source,
        warnings,
      );
    }
    if (model.mode === 'sync' && req.async === true) {
      warnings.push(
        `async: true with ${model.id} (a sync model) ran on its file-transcription counterpart ${FILETRANS_MODEL}.`,
      );
      return filetrans();
    }
    if (model.mode === 'sync' && req.timestamp_granularities && req.timestamp_granularities.length > 0) {
      warnings.push(
        `${model.id} returns no timestamps, so the request for ${req.timestamp_granularities.join(' and ')} timestamps ran on ${FILETRANS_MODEL}.`,
      );
      return filetrans();
    }
    if (model.mode === 'async' && req.async === false) {
      warnings.push(`async: false was ignored: ${model.id} only runs as an async task.`);
    }
    if (source.kind === 'url') {
      if (source.url.startsWith('oss://') && model.mode === 'sync') {
        throw new InputError(
          `oss:// URLs are temporary-upload keys that only async models accept; use model ${FILETRANS_MODEL}, or pass the local file instead.`,
        );
      }
      return model;
    }
    const f = source.format;
    if (!model.formats.has(f.container)) {
      const other = model.mode === 'sync' ? resolveModel(FILETRANS_MODEL) : resolveModel('qwen3-asr-flash');
      if (!other.formats.has(f.container)) {
        throw new InputError(
          `${f.label} is not a format any supported model takes. Convert ${source.path} to MP3, WAV or FLAC.`,
        );
      }
      if (model.mode === 'sync' && !explicit) {
        warnings.push(`${f.label} files are taken only by ${other.id}, so this one ran there.`);
        return other;
      }
      throw new InputError(
        `${model.id} does not take ${f.label} files (${source.path}). Use model ${other.id}, which does` +
          (model.mode === 'async'
            ? ', or convert the file to MP3/WAV/FLAC.'
            : ', or leave `model` unset to route automatically.'),
      );
    }
    if (model.mode === 'sync') {
      const uriBytes = dataUriLength(source.size, f.mime);
      const tooBig = uriBytes > (model.maxDataUriBytes ?? Number.POSITIVE_INFINITY);
      const seconds = source.duration?.seconds;
      const tooLong = seconds !== undefined && seconds > model.maxDurationS;
      if (tooBig || tooLong) {
        const why = tooBig
          ? `its data URI would be ${(uriBytes / 1048576).toFixed(1)} MB, over the ${model.id} limit of 10 MB (10,485,760 bytes)`
          : `it lasts ${formatDuration(seconds!)}, over the ${model.id} limit of ${formatDuration(model.maxDurationS)}`;
        const target = filetrans();
        if (explicit) {
          throw new InputError(`${source.path} cannot go to ${model.id}: ${why}.`, {
            hint: `Use model ${target.id} (up to 12 h / 2 GB), or leave \`model\` unset to route automatically.`,
          });
        }
        if (!target.formats.has(f.container)) {
          throw new InputError(
            `${source.path} is too long for ${model.id} (${why}), and ${target.id} does not take ${f.label}.`,
            {
              hint: 'Convert it to MP3, WAV or FLAC and try again.',
            },
          );
        }
        warnings.push(`${source.name} went to ${target.id} because ${why}.`);
        return target;
      }
      if (source.duration === undefined) {
        warnings.push(
          `The duration of ${source.name} could not be read from its header; it was sent to ${model.id} by size, and will go to ${FILETRANS_MODEL} if the service refuses it as too long.`,
        );
      }
    }
    return model;
  }

  private async transcribeSync(
    req: TranscribeRequest,
    model: ModelInfo,
    source: AudioSource,
    warnings: string[],
    ctx: CallContext,
  ): Promise<TranscriptionResult> {
    const mapped = mapSyncOptions(req, model);
    let audio: string | ByteStream;
    if (source.kind === 'file') {
      ctx.onProgress?.({ stage: 'encoding' });
      audio = dataUriStream(source);
    } else {
      audio = source.url;
    }
    ctx.onProgress?.({ stage: 'transcribing' });
    let recognized: Awaited<ReturnType<DashScopeApi['recognizeSync']>>;
    try {
      recognized = await this.api.recognizeSync(model, mapped.options, audio, ctx.signal, ctx.onPartial);
    } catch (err) {
      // A stream cut after some text arrived cannot be resumed; one plain call gives the whole answer.
      if (!(err as { partialStream?: boolean }).partialStream || ctx.signal?.aborted) throw err;
      this.deps.logger.warn(
        `streamed transcription broke off (${(err as Error).message}); asking once more without streaming`,
      );
      recognized = await this.api.recognizeSync(model, mapped.options, audio, ctx.signal);
    }
    const { parsed, raw } = recognized;
    const result: TranscriptionResult = {
      text: parsed.text,
      task_id: null,
      status: 'SUCCEEDED',
      model: model.id,
      language: parsed.language,
      emotion: parsed.emotion,
      duration_s:
        source.kind === 'file' && source.duration ? round3(source.duration.seconds) : parsed.seconds,
      usage: parsed.usage,
      warnings: [...warnings, ...mapped.warnings],
      source: req.audio,
      raw,
    };
    ctx.onProgress?.({ stage: 'saving' });
    return this.save(result, sourceStem(source));
  }

  private async save(result: TranscriptionResult, stem: string): Promise<TranscriptionResult> {
    try {
      const location = this.deps.dirs.get();
      const saved = await this.deps.transcripts.save(result, stem);
      if (location.fallbackReason) saved.warnings = [...saved.warnings, location.fallbackReason];
      return saved;
    } catch (err) {
      // A transcript the user paid for is never thrown away because the disk said no.
      const why = err instanceof Error ? err.message : String(err);
      this.deps.logger.error(`could not save transcript: ${why}`);
      return {
        ...result,
        warnings: [
          ...result.warnings,
          `The transcript could not be saved to disk (${why}); it is only in this result.`,
        ],
      };
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Async: upload, submit, poll within a budget, fetch.

  private budgetMs(waitSeconds: number | undefined): number {
    return Math.max(0, (waitSeconds ?? this.config.waitBudgetS) * 1000);
  }

  private async transcribeAsync(
    req: TranscribeRequest,
    model: ModelInfo,
    source: AudioSource,
    warnings: string[],
    ctx: CallContext,
  ): Promise<TranscriptionResult> {
    const mapped = mapAsyncOptions(req, model);
    const job = await this.startJob(
      model,
      source,
      mapped.options,
      [...warnings, ...mapped.warnings],
      req,
      ctx,
    );
    const deadline = Date.now() + this.budgetMs(req.wait_seconds);
    return this.follow(job, { deadline, wait: req.wait !== false, ctx });
  }

  private async startJob(
    model: ModelInfo,
    source: AudioSource,
    params: AsyncParameters,
    warnings: string[],
    req: TranscribeRequest,
    ctx: CallContext,
  ): Promise<Job> {
    const localId = `local-${randomUUID()}`;
    const job: Job = {
      localId,
      model,
      source,
      params,
      warnings,
      durationS: source.kind === 'file' ? source.duration?.seconds : undefined,
      stage: source.kind === 'file' ? 'uploading' : 'submitting',
      uploadSent: 0,
      uploadTotal: source.kind === 'file' ? source.size : 0,
      submitted: Promise.resolve(''),
      controller: new AbortController(),
      listener: ctx.onProgress,
    };
    const now = new Date().toISOString();
    const record: TaskRecord = {
      id: localId,
      local_id: localId,
      model: model.id,
      source: req.audio,
      options: { ...params },
      status: 'UPLOADING',
      created_at: now,
      updated_at: now,
      duration_s: job.durationS,
      warnings,
      owner_pid: process.pid,
      owner_started_at: this.startedAt,
    };
    if (source.kind === 'file') await this.deps.tasks.put(record).catch((e) => this.storeFailed(e));
    this.jobs.set(localId, job);
    job.submitted = this.submitJob(job, record);
    job.submitted.catch(() => {}); // observed by whoever follows the job; never an unhandled rejection
    return job;
  }

  private async submitJob(job: Job, record: TaskRecord): Promise<string> {
    const signal = job.controller.signal;
    try {
      let fileUrl: string;
      if (job.source.kind === 'file') {
        const file: FileAudio = job.source;
        job.listener?.({ stage: 'uploading', fraction: 0, detail: `0 of ${mb(file.size)}` });
        fileUrl = await this.uploader.upload(file, job.model.id, {
          signal,
          onProgress: ({ sent, total }) => {
            job.uploadSent = sent;
            job.listener?.({
              stage: 'uploading',
              fraction: sent / total,
              detail: `${mb(sent)} of ${mb(total)}`,
            });
          },
        });
      } else {
        fileUrl = job.source.url;
      }
      job.stage = 'submitting';
      job.listener?.({ stage: 'submitting' });
      const { parsed, raw } = await this.api.submit(asyncBody(job.model, fileUrl, job.params), {
        ossResolve: fileUrl.startsWith('oss://'),
        signal,
      });
      job.taskId = parsed.taskId;
      job.submitRaw = raw;
      job.stage = 'submitted';
      this.jobs.set(parsed.taskId, job);
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
      await this.deps.tasks.put(taskRecord).catch((e) => this.storeFailed(e));
      if (job.source.kind === 'file') {
        await this.deps.tasks.put({ ...taskRecord, id: job.localId }).catch((e) => this.storeFailed(e));
      }
      return parsed.taskId;
    } catch (err) {
      job.stage = 'failed';
      job.error = err;
      if (job.source.kind === 'file') {
        const message = err instanceof Error ? err.message : String(err);
        await this.deps.tasks
          .update(job.localId, { status: signal.aborted ? 'CANCELED' : 'FAILED', error: { message } })
          .catch((e) => this.storeFailed(e));
      }
      throw err;
    }
  }

  private storeFailed(err: unknown): void {
    this.deps.logger.warn(
      `could not write the task store: ${err instanceof Error ? err.message : String(err)}`,
    );
  }

  /**
   * Waits on a job until it finishes, the budget runs out, or the caller cancels. Progress goes to the
   * caller's sink only while the caller is waiting: notifications after a response would be invalid.
   */
  private async follow(
    job: Job,
    opts: { deadline: number; wait: boolean; ctx: CallContext },
  ): Promise<TranscriptionResult> {
    const { ctx } = opts;
    job.listener = ctx.onProgress;
    if (job.stage === 'uploading')
      ctx.onProgress?.({ stage: 'uploading', fraction: job.uploadSent / (job.uploadTotal || 1) });
    const onAbort = () => job.controller.abort();
    ctx.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const waited = await raceDeadline(job.submitted, opts.deadline, ctx.signal);
      if (waited === 'timeout') return this.pendingResult(job, 'PENDING');
      const taskId = waited;
      if (!opts.wait) return this.pendingResult(job, 'PENDING', job.submitRaw);
      ctx.signal?.removeEventListener('abort', onAbort); // from here a cancel must not kill the upload controller
      return await this.pollToEnd(taskId, job, opts.deadline, ctx);
    } catch (err) {
      if (ctx.signal?.aborted || err instanceof CancelledError) {
        const outcome = await this.cancelRemote(job);
        throw new CancelledError(outcome);
      }
      throw err;
    } finally {
      ctx.signal?.removeEventListener('abort', onAbort);
      job.listener = undefined;
    }
  }

  /** A task still PENDING is cancelled remotely; a RUNNING one cannot be and is left to finish. */
  private async cancelRemote(job: Job): Promise<string> {
    if (!job.taskId)
      return 'Cancelled before the task was submitted; the upload was stopped and nothing was billed.';
    let outcome: string;
    try {
      const { parsed } = await this.api.queryTask(job.taskId);
      if (parsed.status === 'PENDING') {
        await this.api.cancelTask(job.taskId);
        await this.deps.tasks.update(job.taskId, { status: 'CANCELED' }).catch((e) => this.storeFailed(e));
        outcome = `Cancelled: task ${job.taskId} was still queued and has been cancelled on DashScope.`;
      } else {
        outcome = `Stopped waiting. Task ${job.taskId} is ${parsed.status}: DashScope cannot cancel a started task, so it will finish; asr_task_status can fetch its transcript.`;
      }
    } catch (err) {
      outcome = `Stopped waiting; task ${job.taskId} could not be cancelled (${err instanceof Error ? err.message : String(err)}).`;
    }
    this.deps.logger.info(outcome);
    return outcome;
  }

  private pendingResult(job: Job, status: 'PENDING' | 'RUNNING', raw?: unknown): TranscriptionResult {
    const uploading = job.stage === 'uploading' || (job.stage === 'submitting' && !job.taskId);
    const id = job.taskId ?? job.localId;
    const progress = uploading
      ? job.stage === 'uploading'
        ? `uploading ${Math.floor((100 * job.uploadSent) / (job.uploadTotal || 1))}% (${mb(job.uploadSent)} of ${mb(job.uploadTotal)})`
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
      poll_after_s: this.pollAfter(job.durationS),
      eta_s: estimateEta(job.durationS),
      progress,
      source: job.source.kind === 'file' ? job.source.path : job.source.url,
      raw: raw ?? job.submitRaw ?? null,
    };
  }

  private pollAfter(durationS: number | undefined): number {
    const eta = estimateEta(durationS);
    return eta === undefined ? 10 : Math.min(60, Math.max(5, Math.round(eta / 2)));
  }

  /**
   * Polls on the SDKs' schedule, paced process-wide, until the task ends or the deadline passes;
   * gives up after a few consecutive transient errors rather than spinning forever.
   */
  private async pollToEnd(
    taskId: string,
    job: Pick<Job, 'model' | 'warnings' | 'durationS' | 'submitRaw' | 'source'> & { localId?: string },
    deadline: number,
    ctx: CallContext,
  ): Promise<TranscriptionResult> {
    const started = Date.now();
    let errors = 0;
    let last: { parsed: TaskParsed; raw: unknown } | undefined;
    for (let i = 0; ; i++) {
      await this.limiter.take(ctx.signal);
      try {
        last = await this.api.queryTask(taskId, ctx.signal);
        errors = 0;
      } catch (err) {
        if (err instanceof CancelledError || !TRANSIENT.some((t) => err instanceof t)) throw err;
        errors++;
        if (errors >= MAX_CONSECUTIVE_POLL_ERRORS) {
          const last = err as AsrError;
          throw new AsrError(
            last.kind,
            `Gave up asking about task ${taskId} after ${errors} failed queries in a row. Last error: ${last.message}`,
            {
              code: last.code,
              status: last.status,
              requestId: last.requestId,
              hint: `The task itself may still finish: call asr_task_status with task_id "${taskId}" later.`,
            },
          );
        }
        this.deps.logger.warn(
          `query of task ${taskId} failed (${errors}/${MAX_CONSECUTIVE_POLL_ERRORS}): ${(err as Error).message}`,
        );
      }
      const status = last?.parsed.status;
      if (status && status !== 'PENDING' && status !== 'RUNNING') {
        return this.finish(taskId, last!, job, ctx);
      }
      const elapsed = Date.now() - started;
      const eta = estimateEta(job.durationS);
      ctx.onProgress?.({
        stage: status === 'RUNNING' ? 'running' : 'queued',
        fraction: eta ? Math.min(0.95, elapsed / 1000 / eta) : undefined,
      });
      const wait = pollInterval(i, this.config.pollInitialMs, this.config.pollMaxMs);
      if (Date.now() + wait > deadline) {
        const pending = this.pendingResult(
          {
            ...(job as Job),
            taskId,
            stage: 'submitted',
            localId: job.localId ?? taskId,
            uploadSent: 0,
            uploadTotal: 0,
          },
          status === 'RUNNING' ? 'RUNNING' : 'PENDING',
          last?.raw,
        );
        await this.deps.tasks.update(taskId, { status: pending.status }).catch((e) => this.storeFailed(e));
        return pending;
      }
      await sleep(wait, ctx.signal);
    }
  }

  private async finish(
    taskId: string,
    last: { parsed: TaskParsed; raw: unknown },
    job: Pick<Job, 'model' | 'warnings' | 'durationS' | 'submitRaw' | 'source'>,
    ctx: CallContext,
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
      await this.deps.tasks
        .update(taskId, {
          status: subtaskFailed ? 'FAILED' : parsed.status,
          error: { code: parsed.code, message },
        })
        .catch((e) => this.storeFailed(e));
      throw new TaskFailedError(message, {
        code: parsed.code,
        requestId: parsed.requestId,
        hint: parsed.code
          ? (TASK_FAILURE_HINTS[parsed.code] ??
            (/download|url|403|404/i.test(`${parsed.code} ${parsed.message}`)
              ? TASK_FAILURE_HINTS.FILE_DOWNLOAD_FAILED
              : undefined))
          : parsed.status === 'CANCELED'
            ? 'Submit it again.'
            : undefined,
      });
    }
    if (parsed.status === 'UNKNOWN') {
      await this.deps.tasks.update(taskId, { status: 'UNKNOWN' }).catch((e) => this.storeFailed(e));
      throw new NotFoundError(
        `Task ${taskId} is UNKNOWN to DashScope: it does not exist in this region and account, or it finished more than 24 h ago and its result has expired.`,
        { requestId: parsed.requestId, hint: 'Check the task id and region, or transcribe the audio again.' },
      );
    }
    ctx.onProgress?.({ stage: 'fetching' });
    let transcription: Awaited<ReturnType<DashScopeApi['fetchTranscription']>>;
    try {
      transcription = await this.api.fetchTranscription(parsed.transcriptionUrl!, ctx.signal);
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
      sentences: t.sentences,
      warnings: [...job.warnings],
      source: job.source.kind === 'file' ? job.source.path : job.source.url,
      raw: { submit: job.submitRaw ?? null, task: last.raw, transcription: transcription.raw },
    };
    if (!result.text) result.warnings.push('The task succeeded but recognized no speech.');
    ctx.onProgress?.({ stage: 'saving' });
    const saved = await this.save(result, sourceStem({ name: job.source.name }));
    await this.deps.tasks
      .update(taskId, { status: 'SUCCEEDED', transcript_id: saved.transcript_id, files: saved.files })
      .catch((e) => this.storeFailed(e));
    return saved;
  }

  // ---------------------------------------------------------------------------------------------
  // asr_task_status

  async taskStatus(req: StatusRequest, ctx: CallContext = {}): Promise<TranscriptionResult> {
    const id = req.task_id.trim();
    if (!/^[A-Za-z0-9-]{1,100}$/.test(id)) {
      throw new InputError(
        `task_id "${req.task_id.slice(0, 120)}" is not a task id. Pass the task_id that asr_transcribe returned.`,
      );
    }
    resolveApiKey(this.config);
    const deadline = Date.now() + (req.wait ? this.budgetMs(req.wait_seconds) : 0);
    const live = this.jobs.get(id);
    if (live && !live.taskId) {
      if (live.stage === 'failed') throw live.error;
      // Still uploading: wait on it within the budget (or report where it is).
      return this.follow(live, { deadline, wait: req.wait === true, ctx });
    }
    let record = await this.deps.tasks.get(id);
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
        if (record.status === 'FAILED' || record.status === 'CANCELED' || record.status === 'UPLOADING') {
          const reason =
            record.status === 'UPLOADING'
              ? 'the server was restarted while the file was uploading, so the upload was lost'
              : (record.error?.message ?? 'the upload failed');
          if (record.status === 'UPLOADING') {
            await this.deps.tasks
              .update(id, { status: 'FAILED', error: { message: reason } })
              .catch((e) => this.storeFailed(e));
          }
          throw new TaskFailedError(`The job ${id} never reached DashScope: ${reason}.`, {
            hint: `Call asr_transcribe again with ${record.source}.`,
          });
        }
      }
      taskId = record?.task_id ?? taskId;
      record = (await this.deps.tasks.get(taskId)) ?? record;
    }
    // A transcript we already saved answers at once, even after the API has forgotten the task.
    if (record?.status === 'SUCCEEDED' && record.transcript_id) {
      const saved = await this.deps.transcripts.load(record.transcript_id);
      if (saved) return { ...saved, warnings: [...saved.warnings, 'Returned from the saved transcript.'] };
    }
    const jobView = {
      model: live?.model ?? resolveModelLenient(record?.model),
      warnings: [...(record?.warnings ?? [])],
      durationS: record?.duration_s,
      submitRaw: live?.submitRaw,
      source:
        live?.source ??
        ({
          kind: 'url',
          url: record?.source ?? '',
          name: record?.source?.split(/[\\/]/).pop() ?? taskId,
        } as AudioSource),
      localId: record?.local_id,
    };
    return this.pollToEnd(taskId, jobView, deadline, ctx);
  }
}

function resolveModelLenient(name: string | undefined): ModelInfo {
  try {
    return resolveModel(name ?? FILETRANS_MODEL);
  } catch {
    return resolveModel(FILETRANS_MODEL);
  }
}

async function raceDeadline<T>(
  promise: Promise<T>,
  deadline: number,
  signal?: AbortSignal,
): Promise<T | 'timeout'> {
  const left = deadline - Date.now();
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), Math.max(0, left));
      }),
      new Promise<never>((_, reject) => {
        if (!signal) return;
        onAbort = () => reject(new CancelledError());
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * A rough guess, labelled as such in the README: queueing plus a fraction of real time. Only offered
 * when the audio's duration is known.
 */
export function estimateEta(durationS: number | undefined): number | undefined {
  if (durationS === undefined) return undefined;
  return Math.round(10 + durationS * 0.05);
}

function mb(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MB`;
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  const m = Math.floor(s / 60);
  return m > 0 ? `${m} min ${String(s % 60).padStart(2, '0')} s` : `${s} s`;
}
