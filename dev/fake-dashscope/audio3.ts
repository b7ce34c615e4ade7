/**
 * Qwen-Audio 3.x and Fun-ASR-Flash, as the spec page's November 2026 sections C-E describe them: the
 * sync models on the native multimodal-generation endpoint (`input_audio` messages, `parameters.format`
 * and a string `sample_rate`, no `choices` in the answer), and the checks a 3.x filetrans submission
 * must pass (one URL in `file_urls`, `parameters` present, context in `input.context`).
 */
import { nativeError, rid, sendJson } from './reply.js';
import { inspectSyncAudio } from './sync.js';
import type { RequestContext } from './types.js';
import { timedWords } from './words.js';

export const AUDIO3_SYNC_MODEL =
  /^(?:qwen-audio-3\.[01]-asr-flash(?:-\d{4}-\d{2}-\d{2})?|fun-asr-flash-2026-06-15)$/;
export const AUDIO3_ASYNC_MODEL = /^qwen-audio-3\.[01]-asr-flash-filetrans(?:-\d{4}-\d{2}-\d{2})?$/;

const SYNC_PARAM_KEYS = new Set(['format', 'sample_rate', 'language_hints', 'vocabulary_id']);
export const AUDIO3_ASYNC_PARAM_KEYS = new Set([
  'channel_id',
  'language_hints',
  'vocabulary_id',
  'diarization_enabled',
  'speaker_count',
  'special_word_filter',
]);
const MAX_CONTEXT_MESSAGES = 5;

type Message = { role?: unknown; content?: unknown };

/** Context messages: user `input_text` / assistant `text`, at most 5 of each; an error, or undefined. */
function checkContext(messages: Message[]): string | undefined {
  let users = 0;
  let assistants = 0;
  for (const m of messages) {
    const parts = Array.isArray(m.content) ? (m.content as Record<string, unknown>[]) : [];
    const kind = m.role === 'user' ? 'input_text' : m.role === 'assistant' ? 'text' : undefined;
    if (!kind) return `context messages are user or assistant messages, not ${String(m.role)}`;
    if (parts.length === 0 || parts.some((p) => p.type !== kind || typeof p.text !== 'string'))
      return `a ${String(m.role)} context message carries {type: "${kind}", text} parts`;
    if (m.role === 'user') users++;
    else assistants++;
  }
  if (users > MAX_CONTEXT_MESSAGES || assistants > MAX_CONTEXT_MESSAGES)
    return `at most ${MAX_CONTEXT_MESSAGES} user and ${MAX_CONTEXT_MESSAGES} assistant context messages`;
  return undefined;
}

function checkHints(params: Record<string, unknown>): string | undefined {
  const hints = params.language_hints;
  if (hints !== undefined && (!Array.isArray(hints) || hints.some((h) => typeof h !== 'string')))
    return 'language_hints must be an array of language codes';
  return undefined;
}

export function audio3Sync(ctx: RequestContext, model: string): void {
  const { req, res, state } = ctx;
  const sse = req.headers['x-dashscope-sse'];
  if (sse !== undefined && sse !== 'disable' && sse !== 'enable')
    return nativeError(res, 400, 'InvalidParameter', 'X-DashScope-SSE must be enable or disable');
  if (sse === 'enable')
    return nativeError(res, 400, 'InvalidParameter', 'The fake does not stream these models; send disable.');
  const b = ctx.json as Record<string, unknown> | undefined;
  const messages = ((b?.input as Record<string, unknown> | undefined)?.messages ?? []) as Message[];
  const last = messages[messages.length - 1];
  const part = (Array.isArray(last?.content) ? (last.content as Record<string, unknown>[]) : []).find(
    (c) => c.type === 'input_audio',
  );
  const data = (part?.input_audio as { data?: unknown } | undefined)?.data;
  if (last?.role !== 'user' || typeof data !== 'string')
    return nativeError(res, 400, 'InvalidParameter', 'The last message must be a user input_audio message.');
  const contextError = checkContext(messages.slice(0, -1));
  if (contextError) return nativeError(res, 400, 'InvalidParameter', contextError);
  const params = (b?.parameters ?? {}) as Record<string, unknown>;
  const extra = Object.keys(params).filter((k) => !SYNC_PARAM_KEYS.has(k));
  if (extra.length)
    return nativeError(res, 400, 'InvalidParameter', `Unknown parameters: ${extra.join(', ')}`);
  if (typeof params.format !== 'string')
    return nativeError(res, 400, 'InvalidParameter', 'format is required');
  const rate = params.sample_rate;
  if (rate !== undefined && (typeof rate !== 'string' || !/^\d+$/.test(rate)))
    return nativeError(res, 400, 'InvalidParameter', 'sample_rate must be a string of digits');
  const hintError = checkHints(params);
  if (hintError) return nativeError(res, 400, 'InvalidParameter', hintError);
  if (typeof params.vocabulary_id === 'string' && !state.vocabularies.has(params.vocabulary_id))
    return nativeError(res, 400, 'InvalidParameter', `vocabulary ${params.vocabulary_id} does not exist`);
  const audio = inspectSyncAudio(state, data, 300);
  if ('error' in audio) return nativeError(res, 400, 'InvalidParameter', audio.error);
  const endMs = Math.round(audio.durationS * 1000);
  sendJson(res, 200, {
    request_id: rid(),
    output: {
      text: audio.text,
      sentence: { begin_time: 0, end_time: endMs, text: audio.text, words: timedWords(audio.text, 0, endMs) },
    },
    usage: { duration: Math.max(1, Math.round(audio.durationS)) },
    model,
  });
}

/** Checks a 3.x filetrans submission beyond the family's; an error message, or undefined. */
export function checkAudio3Submit(body: Record<string, unknown>): string | undefined {
  if (!body.parameters || typeof body.parameters !== 'object')
    return 'parameters is required for this model (it may be empty)';
  const input = (body.input ?? {}) as Record<string, unknown>;
  if (input.context !== undefined) {
    if (!Array.isArray(input.context)) return 'input.context must be a list of messages';
    const err = checkContext(input.context as Message[]);
    if (err) return err;
  }
  return checkHints(body.parameters as Record<string, unknown>);
}
