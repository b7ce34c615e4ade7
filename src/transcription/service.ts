/**
 * The transcription service: the one entry point that turns a normalized request into a normalized
 * result. It resolves the audio, routes (routing.ts), then runs a sync call (sync.ts) or an async job
 * (jobs.ts → polling.ts → outcome.ts); `taskStatus` (status.ts) picks up tasks later.
 */
import type { FileAccess } from '../audio/access.js';
import { isDataUri } from '../audio/inline.js';
import { type AudioSource, resolveAudio } from '../audio/source.js';
import { BucketClient } from '../bucket/client.js';
import type { Config } from '../config/config.js';
import { resolveApiKey } from '../config/config.js';
import { REGIONS, regionOffers, uploadTargetFor } from '../config/regions.js';
import { DashScopeApi, USER_AGENT } from '../dashscope/api.js';
import { REFUSED_FOR_LENGTH } from '../dashscope/errors.js';
import { dashscopeHttp } from '../dashscope/http.js';
import { asyncCounterpart, type ModelInfo, resolveModel } from '../dashscope/models.js';
import { TemporaryUploader } from '../dashscope/upload.js';
import { BadRequestError } from '../domain/errors.js';
import type { CallContext } from '../domain/progress.js';
import type { BatchRequest, StatusRequest, TranscribeRequest } from '../domain/request.js';
import type { TranscriptionResult } from '../domain/result.js';
import type { HttpClient } from '../http/client.js';
import { BatchStore } from '../store/batches.js';
import type { OutputDirs } from '../store/paths.js';
import type { TaskStore } from '../store/tasks.js';
import type { TranscriptStore } from '../store/transcripts.js';
import type { Logger } from '../util/log.js';
import { type BatchView, batchItemTranscript, batchStatus, cancelBatch, transcribeBatch } from './batch.js';
import { type CancelOutcome, cancelTask } from './cancel.js';
import type { ServiceContext } from './context.js';
import { callDeadline } from './deadline.js';
import { transcribeInline } from './inline.js';
import { transcribeAsync } from './jobs.js';
import { type ListedTask, type ListRequest, listTasks } from './listing.js';
import { RateLimiter } from './pacing.js';
import { routeRequest } from './routing.js';
import { findSavedText, findSavedTranscript, taskStatus } from './status.js';
import { transcribeSync } from './sync.js';

export interface ServiceDeps {
  config: Config;
  logger: Logger;
  dirs: OutputDirs;
  tasks: TaskStore;
  transcripts: TranscriptStore;
  http?: HttpClient;
  /** Where local files may be read from; none means unconfined (in-process tests). */
  access?: FileAccess;
}

export class TranscriptionService {
  readonly api: DashScopeApi;
  private readonly ctx: ServiceContext;

  constructor(deps: ServiceDeps) {
    const { config, logger } = deps;
    const http = deps.http ?? dashscopeHttp(config, logger);
    const api = new DashScopeApi(config, http);
    this.api = api;
    this.ctx = {
      ...deps,
      api,
      uploader: new TemporaryUploader({
        http,
        nativeBaseUrl: config.nativeBaseUrl,
        headers: () => api.headers({ workspace: false }),
        region: config.region,
        userAgent: USER_AGENT,
        logger,
        attempts: config.uploadAttempts,
        timeoutMs: config.httpTimeoutMs,
      }),
      bucket: config.bucket
        ? new BucketClient({
            config: config.bucket,
            transport: () => http.transport(),
            logger,
            timeoutMs: config.httpTimeoutMs,
            attempts: config.uploadAttempts,
          })
        : undefined,
      limiter: new RateLimiter(config.maxTaskQueriesPerSecond),
      jobs: new Map(),
      batches: new BatchStore(deps.dirs),
      batchRuns: new Map(),
      startedAt: new Date().toISOString(),
    };
  }

  /**
   * Stop background work (uploads, polls) and release connections. Jobs get a moment to record how
   * they ended in the task store, so a restart can tell the caller what happened.
   */
  async close(graceMs = 2000): Promise<void> {
    for (const run of this.ctx.batchRuns.values()) run.controller.abort();
    const jobs = [...new Set(this.ctx.jobs.values())];
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

  /** Where this service writes (transcripts, tasks, batches). */
  get outputDirs(): OutputDirs {
    return this.ctx.dirs;
  }

  /** Background uploads still under way, for a clean shutdown. */
  pendingUploads(): string[] {
    return [...new Set(this.ctx.jobs.values())]
      .filter((j) => j.stage === 'uploading' || j.stage === 'submitting')
      .map((j) => j.localId);
  }

  async transcribe(req: TranscribeRequest, given: CallContext = {}): Promise<TranscriptionResult> {
    const { config } = this.ctx;
    // The budget starts now: every request made for this call ends by its deadline.
    const call: CallContext = { ...given, deadline: callDeadline(config, req.wait_seconds, given) };
    const explicitModel = req.model !== undefined && req.model.trim() !== '';
    const asked = resolveModel(
      explicitModel ? req.model : (config.defaultModel ?? REGIONS[config.region].defaultModel),
    );
    resolveApiKey(config); // fail before touching files or the network when no key is set
    call.onProgress?.({ stage: 'preparing' });
    if (isDataUri(req.audio)) return transcribeInline(this.ctx, req, asked, explicitModel, call);
    const source = await resolveAudio(req.audio, {
      home: config.home,
      cwd: config.cwd,
      access: this.ctx.access,
    });
    try {
      return await this.run(req, call, source, explicitModel, asked);
    } finally {
      // This call's claim on the open file; a background upload holds its own until it ends.
      if (source.kind === 'file') await source.handle.release();
    }
  }

  private async run(
    req: TranscribeRequest,
    call: CallContext,
    source: AudioSource,
    explicitModel: boolean,
    asked: ModelInfo,
  ): Promise<TranscriptionResult> {
    const { config } = this.ctx;
    const plan = { region: config.region, upload: uploadTargetFor(config) };
    const { model, warnings } = routeRequest(req, asked, explicitModel, source, plan);
    if (model.mode !== 'sync') return transcribeAsync(this.ctx, req, model, source, warnings, call);
    try {
      return await transcribeSync(this.ctx, req, model, source, warnings, call);
    } catch (err) {
      // The service is the judge of length when we could not read it (URLs, unknown containers).
      const refused = err instanceof BadRequestError && REFUSED_FOR_LENGTH.test(err.message);
      const durationUnknown = source.kind === 'url' || source.duration === undefined;
      if (!refused || explicitModel || !durationUnknown) throw err;
      const target = resolveModel(asyncCounterpart(model));
      if (!regionOffers(config.region, target.id)) throw err;
      if (source.kind === 'file' && plan.upload === 'none') throw err;
      if (source.kind === 'file' && !target.formats.has(source.format.container)) throw err;
      warnings.push(
        `${model.id} refused the audio as too long or too large (${err.message}); retried on ${target.id}, which takes up to 12 h.`,
      );
      return transcribeAsync(this.ctx, req, target, source, warnings, call);
    }
  }

  taskStatus(req: StatusRequest, call: CallContext = {}): Promise<TranscriptionResult> {
    // wait_seconds is how long to wait for the task; a single look (wait: false) still gives its
    // requests the configured budget (ASR_WAIT_BUDGET_S).
    const deadline = callDeadline(this.ctx.config, req.wait ? req.wait_seconds : undefined, call);
    return taskStatus(this.ctx, req, { ...call, deadline });
  }

  /** One job per file, a few at once; waits within the budget and reports every file. */
  transcribeBatch(req: BatchRequest, call: CallContext = {}): Promise<BatchView> {
    resolveApiKey(this.ctx.config);
    return transcribeBatch(this.ctx, (r, c) => this.transcribe(r, c), req, call);
  }

  isBatchId(id: string): boolean {
    return this.ctx.batches.isBatchId(id.trim());
  }

  batchStatus(req: StatusRequest, call: CallContext = {}): Promise<BatchView> {
    return batchStatus(this.ctx, req.task_id.trim(), req, call);
  }

  /** The transcript id of one file of a batch. */
  batchItemTranscript(batchId: string, index: number): Promise<string> {
    return batchItemTranscript(this.ctx, batchId.trim(), index);
  }

  /** Stops an upload, a queued task or a batch; a started task is cancelled here only. */
  cancel(id: string): Promise<CancelOutcome> {
    return this.isBatchId(id) ? cancelBatch(this.ctx, id.trim()) : cancelTask(this.ctx, id);
  }

  /** Tasks and batches from the durable records, newest first. */
  listTasks(req: ListRequest): Promise<{ tasks: ListedTask[]; next_cursor?: string }> {
    return listTasks(this.ctx, req);
  }

  /** A saved transcript by transcript id or task id; undefined when there is none. */
  savedTranscript(id: string): Promise<TranscriptionResult | undefined> {
    return findSavedTranscript(this.ctx, id);
  }

  /** Only the text of a saved transcript, by transcript id or task id. */
  savedTranscriptText(id: string): Promise<{ transcriptId: string; text: string } | undefined> {
    return findSavedText(this.ctx, id);
  }

  /** Ids of the saved transcripts, newest first. */
  savedTranscriptIds(): Promise<string[]> {
    return this.ctx.transcripts.list();
  }
}
