/**
 * Batches: one job per file, at most ASR_BATCH_CONCURRENCY at once (inside the process-wide upload and
 * query limits), each through the same `transcribe` as a single call, so short files may run on the
 * sync model. A file that cannot be transcribed is a failed row, never a failed batch. The index is
 * saved after every change (store/batches.ts); a batch run again reuses every file whose audio and
 * options already have a saved transcript, unless `force` is set.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { resolveAudio } from '../audio/source.js';
import { describeError, InputError } from '../domain/errors.js';
import type { CallContext } from '../domain/progress.js';
import type { BatchRequest, TranscribeOptions, TranscribeRequest } from '../domain/request.js';
import type { TranscriptionResult } from '../domain/result.js';
import { raceDeadline, sleep } from '../domain/waiting.js';
import type { BatchItem, BatchRecord, ItemStatus } from '../store/batches.js';
import { fsProblem } from '../util/fs-errors.js';
import { globToRegExp } from '../util/glob.js';
import { resolveUserPath } from '../util/paths.js';
import { redactUrl } from '../util/redact-url.js';
import { type CancelOutcome, cancelTask } from './cancel.js';
import { budgetMs, type ServiceContext } from './context.js';
import { taskStatus } from './status.js';

const MAX_BATCH_ITEMS = 100;
const DEFAULT_PATTERN =
  '*.{aac,aif,aiff,amr,avi,flac,flv,m4a,mkv,mov,mp3,mp4,mpeg,mpg,oga,ogg,opus,wav,webm,wma,wmv}';
/** A batch item may take as long as a task can run. */
const ITEM_WAIT_S = 43_200;

type Transcribe = (req: TranscribeRequest, call: CallContext) => Promise<TranscriptionResult>;

/** A batch running in this process. */
export interface BatchRun {
  record: BatchRecord;
  controller: AbortController;
  done: Promise<void>;
  /** Told of every change of a row (the waiting call's progress). */
  onChange?: () => void;
}

export interface BatchView {
  batch_id: string;
  status: ItemStatus;
  source: string;
  items: BatchItem[];
}

const view = (r: BatchRecord): BatchView => ({
  batch_id: r.id,
  status: r.status,
  source: r.source,
  items: r.items.map((i) => ({ ...i })),
});

/** A batch whose owner has not written for this long is taken over by the replica asked about it. */
const LEASE_MS = 30_000;
const LEASE_RENEW_MS = 10_000;

const ownerOf = (ctx: ServiceContext) => `${process.pid}@${ctx.startedAt}`;

/** Run by another process that is still alive (its lease is fresh). */
function ownedElsewhere(ctx: ServiceContext, record: BatchRecord): boolean {
  if (!record.owner || record.owner === ownerOf(ctx)) return false;
  const beat = Date.parse(record.heartbeat_at ?? record.updated_at);
  if (Date.now() - beat >= LEASE_MS) return false;
  // On this host an owner that has exited needs no waiting for.
  const pid = Number(record.owner.split('@')[0]);
  if (pid === process.pid || !Number.isInteger(pid) || pid <= 0) return pid !== process.pid;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const finished = (s: ItemStatus) => s === 'SUCCEEDED' || s === 'FAILED' || s === 'CANCELED';

function overallStatus(items: BatchItem[], cancelled: boolean): ItemStatus {
  if (items.some((i) => !finished(i.status)))
    return items.some((i) => i.status !== 'PENDING') || cancelled ? 'RUNNING' : 'PENDING';
  if (cancelled) return 'CANCELED';
  return items.some((i) => i.status === 'SUCCEEDED') ? 'SUCCEEDED' : 'FAILED';
}

export async function transcribeBatch(
  ctx: ServiceContext,
  transcribe: Transcribe,
  req: BatchRequest,
  call: CallContext,
): Promise<BatchView> {
  const { inputs, source } = await expandInputs(ctx, req);
  const options = cleanOptions(req.options ?? {});
  const now = new Date().toISOString();
  const record: BatchRecord = {
    id: `batch-${randomUUID()}`,
    status: 'PENDING',
    created_at: now,
    updated_at: now,
    source,
    options,
    items: inputs.map((audio, index) => ({
      index,
      audio: redactUrl(audio),
      status: 'PENDING',
      task_id: null,
      transcript_id: null,
      reused: false,
    })),
  };
  const run: BatchRun = { record, controller: new AbortController(), done: Promise.resolve() };
  record.owner = ownerOf(ctx);
  let saving: Promise<void> = Promise.resolve();
  const save = () => {
    record.updated_at = new Date().toISOString();
    record.heartbeat_at = record.updated_at;
    record.status = overallStatus(record.items, record.cancelled_at !== undefined);
    const snapshot = structuredClone(record);
    saving = saving
      .then(() => ctx.batches.put(snapshot))
      .catch((e) => ctx.logger.warn(`could not write the batch index: ${fsProblem(e)}`));
    run.onChange?.();
    return saving;
  };
  await save();
  ctx.batchRuns.set(record.id, run);
  let next = 0;
  const worker = async () => {
    while (next < inputs.length) {
      const index = next++;
      const item = record.items[index]!;
      if (run.controller.signal.aborted) {
        item.status = 'CANCELED';
        continue;
      }
      await runItem(ctx, transcribe, run, item, inputs[index]!, options, req.force === true, save);
    }
  };
  const workers = Math.min(ctx.config.batchConcurrency, inputs.length);
  // Every second: a cancel asked through a replica? Every LEASE_RENEW_MS: renew the lease.
  let lastBeat = Date.now();
  const timer = setInterval(() => {
    void ctx.batches.cancelledAt(record.id).then((at) => {
      if (at && !run.controller.signal.aborted) {
        record.cancelled_at = at;
        run.controller.abort();
      }
    });
    if (Date.now() - lastBeat >= LEASE_RENEW_MS) {
      lastBeat = Date.now();
      void save();
    }
  }, 1000);
  timer.unref?.();
  run.done = Promise.all(Array.from({ length: workers }, worker))
    .then(() => save())
    .finally(() => {
      clearInterval(timer);
      ctx.batchRuns.delete(record.id);
    });
  const deadline = req.wait === false ? Date.now() : Date.now() + budgetMs(ctx.config, req.wait_seconds);
  return followBatch(ctx, run, deadline, call);
}

async function runItem(
  ctx: ServiceContext,
  transcribe: Transcribe,
  run: BatchRun,
  item: BatchItem,
  input: string,
  options: TranscribeOptions,
  force: boolean,
  save: () => Promise<void>,
): Promise<void> {
  item.status = 'RUNNING';
  await save();
  try {
    const key = await fingerprint(ctx, input, options);
    const known = force ? undefined : await ctx.batches.transcriptFor(key);
    const saved = known ? await ctx.transcripts.load(known) : undefined;
    if (saved?.transcript_id) {
      Object.assign(item, {
        status: 'SUCCEEDED',
        reused: true,
        task_id: saved.task_id,
        transcript_id: saved.transcript_id,
        model: saved.model,
        duration_s: saved.duration_s,
        files: saved.files,
      });
      return;
    }
    const result = await transcribe(
      { ...options, audio: input, wait: true, wait_seconds: ITEM_WAIT_S },
      {
        signal: run.controller.signal,
        onProgress: (e) => {
          if (e.taskId && item.task_id !== e.taskId) {
            item.task_id = e.taskId;
            void save();
          }
        },
      },
    );
    item.task_id = result.task_id;
    item.model = result.model;
    item.duration_s = result.duration_s;
    if (result.status !== 'SUCCEEDED') {
      item.status = 'FAILED';
      item.error = `Still ${result.status} after ${ITEM_WAIT_S} s.`;
      return;
    }
    item.status = 'SUCCEEDED';
    item.transcript_id = result.transcript_id ?? null;
    item.files = result.files;
    if (result.transcript_id) {
      await ctx.batches
        .remember(key, result.transcript_id, input)
        .catch((e) => ctx.logger.warn(`could not write a fingerprint: ${fsProblem(e)}`));
    }
  } catch (err) {
    item.status = run.controller.signal.aborted ? 'CANCELED' : 'FAILED';
    item.error = describeError(err).split('\n')[0];
  } finally {
    await save();
  }
}

/** Waits within the budget; a cancelled call cancels the batch. */
async function followBatch(
  ctx: ServiceContext,
  run: BatchRun,
  deadline: number,
  call: CallContext,
): Promise<BatchView> {
  const total = run.record.items.length;
  run.onChange = () => {
    const done = run.record.items.filter((i) => finished(i.status)).length;
    call.onProgress?.({
      stage: 'batch',
      fraction: done / total,
      detail: `${done} of ${total} files done`,
      taskId: run.record.id,
    });
  };
  run.onChange();
  try {
    await raceDeadline(run.done, deadline, call.signal);
  } catch (err) {
    if (call.signal?.aborted) await cancelBatch(ctx, run.record.id);
    else throw err;
  } finally {
    run.onChange = undefined;
  }
  return view(run.record);
}

/** `asr_task_status` on a batch id: the live batch (waited on within the budget) or its saved index. */
export async function batchStatus(
  ctx: ServiceContext,
  id: string,
  opts: { wait?: boolean; wait_seconds?: number },
  call: CallContext,
): Promise<BatchView> {
  const live = ctx.batchRuns.get(id);
  if (live) {
    const deadline = opts.wait ? Date.now() + budgetMs(ctx.config, opts.wait_seconds) : Date.now();
    return followBatch(ctx, live, deadline, call);
  }
  let record = await ctx.batches.get(id);
  if (!record) throw new InputError(`No batch is known under ${id}.`);
  if (record.items.every((i) => finished(i.status))) return view(record);
  if (ownedElsewhere(ctx, record)) {
    // A replica runs it: report its index, re-read within the budget while waiting.
    const deadline = opts.wait ? Date.now() + budgetMs(ctx.config, opts.wait_seconds) : 0;
    while (!finished(record.status) && Date.now() + 250 < deadline) {
      await sleep(250, call.signal);
      record = (await ctx.batches.get(id)) ?? record;
    }
    return view(record);
  }
  // Left unfinished by a process that has gone quiet: take it over, asking about each task once.
  record.owner = ownerOf(ctx);
  for (const item of record.items) {
    if (finished(item.status)) continue;
    if (!item.task_id) {
      item.status = 'FAILED';
      item.error =
        'Interrupted before its task was submitted; run the batch again (finished files are reused).';
      continue;
    }
    try {
      const result = await taskStatus(ctx, { task_id: item.task_id }, call);
      if (result.status === 'SUCCEEDED') {
        item.status = 'SUCCEEDED';
        item.transcript_id = result.transcript_id ?? null;
        item.files = result.files;
      }
    } catch (err) {
      item.status = 'FAILED';
      item.error = describeError(err).split('\n')[0];
    }
  }
  record.status = overallStatus(record.items, record.cancelled_at !== undefined);
  record.updated_at = new Date().toISOString();
  record.heartbeat_at = record.updated_at;
  await ctx.batches
    .put(record)
    .catch((e) => ctx.logger.warn(`could not write the batch index: ${fsProblem(e)}`));
  return view(record);
}

export async function cancelBatch(ctx: ServiceContext, id: string): Promise<CancelOutcome> {
  const live = ctx.batchRuns.get(id);
  const record = live?.record ?? (await ctx.batches.get(id));
  if (!record) throw new InputError(`No batch is known under ${id}.`);
  if (finished(record.status)) {
    return {
      id,
      status: record.status,
      cancelled: false,
      message: `Batch ${id} is already ${record.status}.`,
    };
  }
  record.cancelled_at = new Date().toISOString();
  const elsewhere = !live && ownedElsewhere(ctx, record);
  if (!live) await ctx.batches.markCancelled(id).catch(() => {});
  let billed = 0;
  for (const item of record.items) {
    if (finished(item.status)) continue;
    if (item.task_id) {
      const outcome = await cancelTask(ctx, item.task_id).catch(() => undefined);
      if (outcome?.billed) billed++;
    }
    if (!live) item.status = 'CANCELED';
  }
  if (elsewhere) {
    // The replica running it stops within a second and writes the index itself.
    return {
      id,
      status: 'CANCELED',
      cancelled: true,
      billed: billed > 0,
      message: `Batch ${id} cancelled; the server running it stops within a second.`,
    };
  }
  if (live) {
    live.controller.abort();
    await live.done.catch(() => {});
  } else {
    record.status = 'CANCELED';
    record.updated_at = new Date().toISOString();
    await ctx.batches.put(record).catch(() => {});
  }
  const stopped = record.items.filter((i) => i.status === 'CANCELED').length;
  return {
    id,
    status: 'CANCELED',
    cancelled: true,
    billed: billed > 0,
    message:
      `Batch ${id} cancelled: ${stopped} file(s) stopped.` +
      (billed > 0
        ? ` ${billed} task(s) had already started: DashScope will finish and bill them, but no transcript is saved.`
        : ''),
  };
}

/** The transcript of one item of a batch. */
export async function batchItemTranscript(ctx: ServiceContext, id: string, index: number): Promise<string> {
  const record = ctx.batchRuns.get(id)?.record ?? (await ctx.batches.get(id));
  if (!record) throw new InputError(`No batch is known under ${id}.`);
  const item = record.items[index];
  if (!item)
    throw new InputError(`Batch ${id} has items 0 to ${record.items.length - 1}; there is no item ${index}.`);
  if (!item.transcript_id)
    throw new InputError(`Item ${index} of batch ${id} has no transcript (it is ${item.status}).`);
  return item.transcript_id;
}

async function expandInputs(
  ctx: ServiceContext,
  req: BatchRequest,
): Promise<{ inputs: string[]; source: string }> {
  if (req.audio && req.folder) throw new InputError('Pass either audio (a list) or folder, not both.');
  if (req.audio) {
    if (req.audio.length === 0 || req.audio.length > MAX_BATCH_ITEMS)
      throw new InputError(`A batch takes 1 to ${MAX_BATCH_ITEMS} files (got ${req.audio.length}).`);
    return { inputs: req.audio, source: `${req.audio.length} file(s)` };
  }
  if (!req.folder) throw new InputError('Pass audio (a list of paths or URLs) or folder.');
  const { home, cwd } = ctx.config;
  const given = resolveUserPath(req.folder, home, cwd);
  const dir = ctx.access ? await ctx.access.authorize(given, req.folder) : given;
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw new InputError(`${req.folder} is not a folder.`);
  let match: RegExp;
  try {
    match = req.pattern ? globToRegExp(req.pattern) : new RegExp(globToRegExp(DEFAULT_PATTERN).source, 'i');
  } catch (err) {
    throw new InputError(`pattern: ${(err as Error).message}`);
  }
  const found: string[] = [];
  const walk = async (at: string) => {
    const entries = await readdir(at, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (e.name.startsWith('.')) continue; // hidden files and folders are never read
      const path = join(at, e.name);
      if (e.isDirectory()) {
        if (req.recursive) await walk(path);
      } else if (e.isFile() && match.test(relative(dir, path).split(sep).join('/'))) found.push(path);
      if (found.length > MAX_BATCH_ITEMS) return;
    }
  };
  await walk(dir);
  if (found.length === 0)
    throw new InputError(
      `No file in ${req.folder} matches ${req.pattern ?? 'the audio and video extensions'}.`,
      {
        hint: req.recursive ? undefined : 'Add recursive: true to look into sub-folders.',
      },
    );
  if (found.length > MAX_BATCH_ITEMS)
    throw new InputError(`More than ${MAX_BATCH_ITEMS} files in ${req.folder} match; narrow the pattern.`);
  return { inputs: found.sort(), source: `${req.folder}${req.pattern ? ` (${req.pattern})` : ''}` };
}

function cleanOptions(options: TranscribeOptions): TranscribeOptions {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(options).sort()) {
    const value = (options as Record<string, unknown>)[key];
    if (value !== undefined) out[key] = value;
  }
  return out as TranscribeOptions;
}

/** Same audio (a local file's size, mtime and SHA-256, or the URL string) with the same options. */
async function fingerprint(ctx: ServiceContext, input: string, options: TranscribeOptions): Promise<string> {
  const hash = createHash('sha256');
  if (/^(https?|oss):\/\//i.test(input.trim())) {
    hash.update(JSON.stringify({ url: input.trim(), options }));
    return hash.digest('hex');
  }
  const source = await resolveAudio(input, {
    home: ctx.config.home,
    cwd: ctx.config.cwd,
    access: ctx.access,
  });
  if (source.kind !== 'file') {
    hash.update(JSON.stringify({ url: source.url, options }));
    return hash.digest('hex');
  }
  // Read through the descriptor the file was checked on (as every byte sent is), then let it go.
  try {
    const info = await stat(source.path);
    const content = createHash('sha256');
    for await (const chunk of source.handle.reusedChunks(1024 * 1024)) content.update(chunk);
    hash.update(
      JSON.stringify({ size: info.size, mtime: info.mtimeMs, sha256: content.digest('hex'), options }),
    );
    return hash.digest('hex');
  } finally {
    await source.handle.release();
  }
}
