/**
 * The async file-transcription flow: submit a task, poll it, cancel it, fetch its result file. Tasks
 * move PENDING → RUNNING → SUCCEEDED or FAILED on the clock (queueMs, then runMs), judged lazily each
 * time someone asks, so no timers outlive a test.
 */
import { randomUUID } from 'node:crypto';
import { AUDIO3_ASYNC_MODEL, AUDIO3_ASYNC_PARAM_KEYS, checkAudio3Submit } from './audio3.js';
import { headerDurationS, mediaFor } from './media.js';
import { regionHasModel } from './regions.js';
import { authorized, nativeError, ossError, rid, sendJson, stamp } from './reply.js';
import { s3Download } from './s3.js';
import type { FakeState, RequestContext, Task } from './types.js';
import { DEFAULT_TEXT, maskWords, transcriptionJson } from './words.js';

const FILETRANS_PARAM_KEYS = new Set(['language', 'enable_itn', 'enable_words', 'channel_id']);
const FAMILY_PARAM_KEYS = new Set([
  'vocabulary_id',
  'disfluency_removal_enabled',
  'language_hints',
  'timestamp_alignment_enabled',
  'channel_id',
  'diarization_enabled',
  'speaker_count',
  'special_word_filter',
]);
const FILETRANS_MODEL = /^qwen3-asr-flash-filetrans(-\d{4}-\d{2}-\d{2})?$/;
const FAMILY_MODEL = /^(paraformer-v2|paraformer-8k-v2|fun-asr|fun-asr-mtl)(-\d{4}-\d{2}-\d{2})?$/;
/** Duration of a linked file the fake cannot measure; a temporary upload is timed by its size instead. */
const UNMEASURED_S = 5.7;
/** 16 kHz, 16-bit mono: the byte rate that turns an unmeasurable upload's size into seconds. */
const ASSUMED_BYTES_PER_S = 32000;

export function submit(ctx: RequestContext): void {
  const { req, res, state } = ctx;
  if (!authorized(ctx)) return nativeError(res, 401, 'InvalidApiKey', 'Invalid API-key provided.');
  if (req.headers['x-dashscope-async'] !== 'enable') {
    return nativeError(res, 403, 'AccessDenied', 'current user api does not support synchronous calls');
  }
  const b = ctx.json as Record<string, unknown> | undefined;
  const model = String(b?.model ?? '');
  const audio3 = AUDIO3_ASYNC_MODEL.test(model);
  const family = audio3 || FAMILY_MODEL.test(model);
  if ((!family && !FILETRANS_MODEL.test(model)) || !regionHasModel(state.options.region, model)) {
    return nativeError(res, 400, 'InvalidParameter', 'Model not exist.');
  }
  if (audio3) {
    const error = checkAudio3Submit(b!);
    if (error) return nativeError(res, 400, 'InvalidParameter', error);
  }
  const input = (b?.input ?? {}) as Record<string, unknown>;
  let fileUrl: unknown;
  if (family) {
    const urls = input.file_urls;
    if (!Array.isArray(urls) || urls.length !== 1 || 'file_url' in input)
      return nativeError(res, 400, 'InvalidParameter', 'input.file_urls must be a list of file URLs');
    fileUrl = urls[0];
  } else {
    if ('file_urls' in input)
      return nativeError(res, 400, 'InvalidParameter', `${model} takes input.file_url, not file_urls`);
    fileUrl = input.file_url;
  }
  if (typeof fileUrl !== 'string')
    return nativeError(res, 400, 'InvalidParameter', 'input.file_url is required');
  const params = (b?.parameters ?? {}) as Record<string, unknown>;
  const allowed = audio3 ? AUDIO3_ASYNC_PARAM_KEYS : family ? FAMILY_PARAM_KEYS : FILETRANS_PARAM_KEYS;
  const extra = Object.keys(params).filter((k) => !allowed.has(k));
  if (extra.length)
    return nativeError(res, 400, 'InvalidParameter', `Unknown parameters: ${extra.join(', ')}`);
  if (family && params.language_hints !== undefined && !Array.isArray(params.language_hints))
    return nativeError(res, 400, 'InvalidParameter', 'language_hints must be an array');
  const filter = params.special_word_filter as Record<string, unknown> | undefined;
  if (
    filter !== undefined &&
    (typeof filter !== 'object' || Object.keys(filter).some((k) => k !== 'system_reserved_filter'))
  )
    return nativeError(res, 400, 'InvalidParameter', 'special_word_filter takes system_reserved_filter');
  const speakers = params.speaker_count;
  if (speakers !== undefined && (typeof speakers !== 'number' || speakers < 2 || speakers > 100))
    return nativeError(res, 400, 'InvalidParameter', 'speaker_count must be between 2 and 100');
  if (typeof params.vocabulary_id === 'string' && !state.vocabularies.has(params.vocabulary_id))
    return nativeError(res, 400, 'InvalidParameter', `vocabulary ${params.vocabulary_id} does not exist`);
  if (fileUrl.startsWith('oss://') && req.headers['x-dashscope-ossresourceresolve'] !== 'enable') {
    return nativeError(
      res,
      400,
      'InvalidParameter',
      'The provided URL does not appear to be valid. Ensure it is correctly formatted.',
    );
  }
  const task: Task = {
    id: randomUUID(),
    model,
    submittedAt: Date.now(),
    fileUrl,
    params,
    status: 'PENDING',
    durationS: UNMEASURED_S,
    text: state.options.uploadText,
    held: state.holdAll,
    family,
    context: input.context,
  };
  // The service accepts any reachable-looking URL and only finds out while running the task.
  if (fileUrl.startsWith('oss://')) {
    const upload = state.uploads.get(fileUrl.slice('oss://'.length));
    if (!upload) task.failure = { code: 'FILE_404_NOT_FOUND', message: 'FILE_404_NOT_FOUND' };
    else task.durationS = headerDurationS(upload.head) ?? Math.max(1, upload.size / ASSUMED_BYTES_PER_S);
  } else if (s3Download(state, fileUrl)) {
    // A presigned link to the fake bucket: the "download" works when the link is valid and the object exists.
    const found = s3Download(state, fileUrl)!;
    if ('failure' in found) task.failure = { code: found.failure, message: found.failure };
    else
      task.durationS =
        headerDurationS(found.object.head) ?? Math.max(1, found.object.size / ASSUMED_BYTES_PER_S);
  } else if (/^https?:\/\//.test(fileUrl)) {
    const media = mediaFor(state, fileUrl);
    if (!media) task.failure = { code: 'FILE_DOWNLOAD_FAILED', message: 'FILE_DOWNLOAD_FAILED' };
    else if (media.forbidden) task.failure = { code: 'FILE_403_FORBIDDEN', message: 'FILE_403_FORBIDDEN' };
    else {
      task.durationS = media.durationS;
      task.text = media.text ?? DEFAULT_TEXT;
    }
  } else {
    return nativeError(res, 400, 'InvalidParameter', 'url error, please check url！');
  }
  // The file-transcription models mask sensitive words unless told not to.
  if (family && filter?.system_reserved_filter !== false)
    task.text = maskWords(task.text, state.options.sensitiveWords);
  state.tasks.set(task.id, task);
  sendJson(res, 200, { request_id: rid(), output: { task_id: task.id, task_status: 'PENDING' } });
}

/** Moves a task along the clock. Held tasks stay RUNNING until released. */
function advance(state: FakeState, task: Task): void {
  if (task.status === 'CANCELED' || task.status === 'SUCCEEDED' || task.status === 'FAILED') return;
  const { queueMs, runMs } = state.options;
  const age = Date.now() - task.submittedAt;
  if (age < queueMs) return;
  task.status = 'RUNNING';
  if (task.held || age < queueMs + runMs) return;
  task.status = task.failure ? 'FAILED' : 'SUCCEEDED';
  task.finishedAt = Date.now();
}

export function query(ctx: RequestContext): void {
  const { res, state } = ctx;
  if (!authorized(ctx)) return nativeError(res, 401, 'InvalidApiKey', 'Invalid API-key provided.');
  const id = decodeURIComponent(ctx.params.id ?? '');
  const task = state.tasks.get(id);
  if (!task)
    return sendJson(res, 200, { request_id: rid(), output: { task_id: id, task_status: 'UNKNOWN' } });
  advance(state, task);
  const output: Record<string, unknown> = {
    task_id: task.id,
    task_status: task.status,
    submit_time: stamp(task.submittedAt),
    scheduled_time: stamp(task.submittedAt + state.options.queueMs),
  };
  const body: Record<string, unknown> = { request_id: rid(), output };
  if (task.status === 'RUNNING' || task.status === 'PENDING')
    output.task_metrics = { TOTAL: 1, SUCCEEDED: 0, FAILED: 0 };
  // A fresh signature on every answer, as the service re-signs the result link each time.
  const transcriptionUrl = () =>
    `${state.url}/results/${task.id}.json?Expires=${Date.now() + state.options.resultTtlMs}&Signature=fake%2Bsig`;
  if (task.family && (task.status === 'SUCCEEDED' || task.status === 'FAILED')) {
    // The family reports each file as a subtask; the task itself SUCCEEDS even when its file failed.
    output.task_status = 'SUCCEEDED';
    output.end_time = stamp(task.finishedAt!);
    output.results = [
      task.failure
        ? {
            file_url: task.fileUrl,
            code: task.failure.code,
            message: task.failure.message,
            subtask_status: 'FAILED',
          }
        : { file_url: task.fileUrl, transcription_url: transcriptionUrl(), subtask_status: 'SUCCEEDED' },
    ];
    output.task_metrics = { TOTAL: 1, SUCCEEDED: task.failure ? 0 : 1, FAILED: task.failure ? 1 : 0 };
    if (!task.failure) body.usage = { duration: Math.max(1, Math.round(task.durationS)) };
    return sendJson(res, 200, body);
  }
  if (task.status === 'SUCCEEDED') {
    output.end_time = stamp(task.finishedAt!);
    output.result = { transcription_url: transcriptionUrl() };
    body.usage = { seconds: Math.max(1, Math.round(task.durationS)) };
  }
  if (task.status === 'FAILED') {
    output.end_time = stamp(task.finishedAt!);
    output.code = task.failure!.code;
    output.message = task.failure!.message;
  }
  sendJson(res, 200, body);
}

export function cancel(ctx: RequestContext): void {
  const { res, state } = ctx;
  if (!authorized(ctx)) return nativeError(res, 401, 'InvalidApiKey', 'Invalid API-key provided.');
  const task = state.tasks.get(decodeURIComponent(ctx.params.id ?? ''));
  if (task) advance(state, task);
  if (task?.status !== 'PENDING') {
    return nativeError(res, 400, 'UnsupportedOperation', 'Only PENDING tasks can be canceled.');
  }
  task.status = 'CANCELED';
  sendJson(res, 200, { request_id: rid() });
}

/** The transcription_url: a signed storage link, no API key, that stops working when it expires. */
export function result(ctx: RequestContext): void {
  const { res, url, state } = ctx;
  const id = (ctx.params.name ?? '').replace(/\.json$/, '');
  const expires = Number(url.searchParams.get('Expires'));
  const task = state.tasks.get(id);
  if (task?.status !== 'SUCCEEDED')
    return ossError(res, 404, 'NoSuchKey', 'The specified key does not exist.');
  if (!url.searchParams.get('Signature') || !(expires > Date.now())) {
    return ossError(res, 403, 'AccessDenied', 'Request has expired.');
  }
  sendJson(res, 200, transcriptionJson(task));
}
