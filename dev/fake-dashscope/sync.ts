/**
 * The sync recognisers: OpenAI-compatible chat/completions (qwen3-asr-flash, optionally streamed) and
 * the native multimodal-generation endpoint (qwen3-asr-flash and the legacy qwen-audio-asr). Both take
 * the audio inline as a data URI or by URL, within size and duration limits.
 */
import { randomUUID } from 'node:crypto';
import { AUDIO3_SYNC_MODEL, audio3Sync } from './audio3.js';
import { cutAfter } from './faults.js';
import { headerDurationS, mediaFor } from './media.js';
import { regionHasCompatibleMode, regionHasModel } from './regions.js';
import { authorized, compatError, nativeError, rid, sendJson } from './reply.js';
import { streamCompletion } from './stream.js';
import type { FakeState, HeardAudio, RequestContext } from './types.js';
import { DEFAULT_TEXT } from './words.js';

/** The data URI string itself, not the decoded file, is what the service measures. */
const SYNC_LIMIT_BYTES = 10_485_760;
const COMPAT_KEYS = new Set(['model', 'messages', 'stream', 'stream_options', 'asr_options']);
const ASR_OPTION_KEYS = new Set(['language', 'enable_itn']);
const QWEN3_SYNC_MODEL = /^qwen3-asr-flash(-\d{4}-\d{2}-\d{2})?(-us)?$/;
/** Duration of any audio the fake cannot measure (URLs without registered media, non-WAV data URIs). */
const UNMEASURED_S = 5.7;

export function compatible(ctx: RequestContext): void | Promise<void> {
  const { res } = ctx;
  if (!regionHasCompatibleMode(ctx.state.options.region)) {
    return compatError(res, 404, 'not_found', 'OpenAI-compatible mode is not offered in this region.');
  }
  if (!authorized(ctx)) return compatError(res, 401, 'invalid_api_key', 'Incorrect API key provided. ');
  const b = ctx.json as Record<string, unknown> | undefined;
  if (!b || typeof b !== 'object')
    return compatError(res, 400, 'invalid_request_error', 'Request body is not JSON.');
  const extra = Object.keys(b).filter((k) => !COMPAT_KEYS.has(k));
  if (extra.length)
    return compatError(
      res,
      400,
      'invalid_request_error',
      `Unrecognized request argument: ${extra.join(', ')}`,
    );
  const model = String(b.model ?? '');
  if (/^(?:qwen-audio-|fun-asr-flash)/.test(model)) {
    return compatError(
      res,
      404,
      'model_not_supported',
      `Unsupported model \`${model}\` for OpenAI compatibility mode`,
    );
  }
  if (!QWEN3_SYNC_MODEL.test(model) || !regionHasModel(ctx.state.options.region, model)) {
    return compatError(res, 400, 'invalid_request_error', 'Model not exist.');
  }
  const asr = (b.asr_options ?? {}) as Record<string, unknown>;
  const badAsr = Object.keys(asr).filter((k) => !ASR_OPTION_KEYS.has(k));
  if (badAsr.length)
    return compatError(res, 400, 'invalid_request_error', `Unknown asr_options: ${badAsr.join(', ')}`);
  const messages = Array.isArray(b.messages) ? (b.messages as Record<string, unknown>[]) : [];
  const users = messages.filter((m) => m.role === 'user');
  const systemAt = messages.findIndex((m) => m.role === 'system');
  if (users.length !== 1 || systemAt > 0 || messages.length > 2) {
    return compatError(
      res,
      400,
      'invalid_request_error',
      'Exactly one user message is required; a system message must come first.',
    );
  }
  const part = (users[0]!.content as Record<string, unknown>[] | undefined)?.find(
    (c) => c.type === 'input_audio',
  );
  const data = (part?.input_audio as { data?: unknown } | undefined)?.data;
  if (typeof data !== 'string')
    return compatError(res, 400, 'invalid_request_error', 'input_audio.data is required.');
  const audio = inspectSyncAudio(ctx.state, data, 300);
  if ('error' in audio) return compatError(res, 400, 'invalid_request_error', audio.error);
  const language = (asr.language as string) ?? 'en';
  if (b.stream === true) {
    const includeUsage =
      (b.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
    return streamCompletion(ctx, { model, language, audio, includeUsage, cutAfter: cutAfter(ctx.fault) });
  }
  sendJson(res, 200, {
    choices: [
      {
        finish_reason: 'stop',
        index: 0,
        message: {
          annotations: [{ type: 'audio_info', language, emotion: 'neutral' }],
          content: audio.text,
          role: 'assistant',
        },
      },
    ],
    created: Math.floor(Date.now() / 1000),
    id: `chatcmpl-${randomUUID()}`,
    model,
    object: 'chat.completion',
    usage: {
      completion_tokens: 12,
      completion_tokens_details: { text_tokens: 12 },
      prompt_tokens: Math.ceil(audio.durationS * 25),
      prompt_tokens_details: { audio_tokens: Math.ceil(audio.durationS * 25), text_tokens: 0 },
      seconds: Math.max(1, Math.round(audio.durationS)),
      total_tokens: 12 + Math.ceil(audio.durationS * 25),
    },
  });
}

export function nativeSync(ctx: RequestContext): void {
  const { res } = ctx;
  if (!authorized(ctx)) return nativeError(res, 401, 'InvalidApiKey', 'Invalid API-key provided.');
  const b = ctx.json as Record<string, unknown> | undefined;
  const model = String(b?.model ?? '');
  if (!regionHasModel(ctx.state.options.region, model)) {
    return nativeError(res, 400, 'InvalidParameter', 'Model not exist.');
  }
  if (AUDIO3_SYNC_MODEL.test(model)) return audio3Sync(ctx, model);
  const isAudio = /^qwen-audio-asr/.test(model);
  if (!isAudio && !QWEN3_SYNC_MODEL.test(model)) {
    return nativeError(res, 400, 'InvalidParameter', 'Model not exist.');
  }
  if (isAudio && (b?.parameters as Record<string, unknown> | undefined)?.asr_options) {
    return nativeError(res, 400, 'InvalidParameter', 'qwen-audio-asr does not support asr_options');
  }
  const messages = ((b?.input as Record<string, unknown> | undefined)?.messages ?? []) as Record<
    string,
    unknown
  >[];
  const user = messages.find((m) => m.role === 'user');
  const audioRef = (user?.content as Record<string, unknown>[] | undefined)?.find((c) => 'audio' in c)?.audio;
  if (typeof audioRef !== 'string') return nativeError(res, 400, 'InvalidParameter', 'audio is required');
  const audio = inspectSyncAudio(ctx.state, audioRef, isAudio ? 180 : 300);
  if ('error' in audio) return nativeError(res, 400, 'InvalidParameter', audio.error);
  sendJson(res, 200, {
    output: {
      choices: [
        {
          finish_reason: 'stop',
          message: {
            annotations: [{ type: 'audio_info', language: 'en', emotion: 'neutral' }],
            content: [{ text: audio.text }],
            role: 'assistant',
          },
        },
      ],
    },
    usage: { seconds: Math.max(1, Math.round(audio.durationS)) },
    request_id: rid(),
  });
}

/** What the service would find at a sync audio reference (data URI or URL), or why it refuses it. */
export function inspectSyncAudio(
  state: FakeState,
  ref: string,
  maxSeconds: number,
): HeardAudio | { error: string } {
  if (ref.startsWith('data:')) {
    if (ref.length > SYNC_LIMIT_BYTES) {
      return {
        error: `The audio file size exceeds the limit: the data URI must be at most ${SYNC_LIMIT_BYTES} bytes.`,
      };
    }
    const comma = ref.indexOf(',');
    if (!/^data:[\w./+-]+;base64,/.test(ref.slice(0, comma + 1))) return { error: 'Invalid data URI.' };
    const bytes = Buffer.from(ref.slice(comma + 1), 'base64');
    const durationS = headerDurationS(bytes) ?? UNMEASURED_S;
    if (durationS > maxSeconds)
      return { error: `The audio duration exceeds the limit of ${maxSeconds / 60} minutes.` };
    return { text: DEFAULT_TEXT, durationS };
  }
  // The service downloads URLs itself: local paths and storage URLs mean nothing to it.
  if (ref.startsWith('file://') || ref.startsWith('oss://'))
    return { error: 'url error, please check url！' };
  const media = mediaFor(state, ref);
  if (!media || media.forbidden) return { error: 'url error, please check url！' };
  if (media.durationS > maxSeconds)
    return { error: `The audio duration exceeds the limit of ${maxSeconds / 60} minutes.` };
  return { text: media.text ?? DEFAULT_TEXT, durationS: media.durationS };
}
