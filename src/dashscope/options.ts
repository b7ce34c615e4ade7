/**
 * Maps the normalized options onto each model's wire fields, exactly as the spec's option table says.
 * What a model does not take is reported in `warnings` and never sent: an unknown key would be
 * refused by the service or, worse, silently ignored.
 *
 * A little over 300 lines: one mapping per model family, side by side so the option table reads
 * straight off it.
 */

import type { TranscribeRequest } from '../domain/request.js';
import {
  type Audio3FiletransParameters,
  type Audio3SyncOptions,
  type AudioFacts,
  audio3AsyncBody,
  mapAudio3FiletransOptions,
  mapAudio3SyncOptions,
} from './audio3.js';
import { baseModelName, type ModelInfo } from './models.js';

const QWEN_LANGUAGES = new Set([
  'zh',
  'yue',
  'en',
  'ja',
  'de',
  'ko',
  'ru',
  'fr',
  'pt',
  'ar',
  'it',
  'es',
  'hi',
  'id',
  'th',
  'tr',
  'uk',
  'vi',
  'cs',
  'da',
  'fil',
  'fi',
  'is',
  'ms',
  'no',
  'pl',
  'sv',
]);

/** Language hints documented for paraformer-v2; the other family members do not list theirs. */
const PARAFORMER_V2_LANGUAGES = new Set(['zh', 'en', 'ja', 'yue', 'ko', 'de', 'fr', 'ru']);

export interface SyncOptions {
  language?: string;
  enable_itn: boolean;
  context?: string;
  /** Qwen-Audio 3.x / Fun-ASR-Flash: their own body (audio3.ts). */
  audio3?: Audio3SyncOptions;
}

export interface FiletransParameters {
  language?: string;
  enable_itn: boolean;
  enable_words?: boolean;
  channel_id?: number[];
}

/** `parameters` of a paraformer / fun-asr submission, field names as on the wire. */
export interface FileTranscriptionParameters {
  language_hints?: string[];
  vocabulary_id?: string;
  disfluency_removal_enabled?: boolean;
  timestamp_alignment_enabled?: boolean;
  diarization_enabled?: boolean;
  speaker_count?: number;
  channel_id?: number[];
  special_word_filter?: { system_reserved_filter: boolean };
}

export type AsyncParameters = FiletransParameters | FileTranscriptionParameters | Audio3FiletransParameters;

export interface MappedOptions<T> {
  options: T;
  warnings: string[];
}

function languageFrom(req: TranscribeRequest, model: ModelInfo, warnings: string[]): string | undefined {
  const hints = (req.language_hints ?? []).map((h) => h.trim()).filter(Boolean);
  if (hints.length === 0) return undefined;
  if (hints.length > 1) {
    warnings.push(
      `language_hints has ${hints.length} codes (${hints.join(', ')}); ${model.id} takes one language, so none was sent and the model detects the language itself. Pass a single code to pin it.`,
    );
    return undefined;
  }
  const code = hints[0]!.toLowerCase();
  if (model.family === 'qwen-audio') {
    warnings.push(
      `${model.id} takes no language option (it detects zh/en itself); language_hints was not sent.`,
    );
    return undefined;
  }
  if (!QWEN_LANGUAGES.has(code)) {
    warnings.push(
      `language "${code}" is not among the codes documented for ${model.id} (${[...QWEN_LANGUAGES].join(', ')}); sent anyway.`,
    );
  }
  return code;
}

function unsupportedCommon(req: TranscribeRequest, model: ModelInfo, warnings: string[]): void {
  if (req.mask_sensitive_words !== undefined) {
    warnings.push(
      `mask_sensitive_words is honoured only by qwen-audio-3.x filetrans, fun-asr and paraformer; not sent to ${model.id}.`,
    );
  }
  if (req.vocabulary_id !== undefined) {
    warnings.push(
      `vocabulary_id is not accepted by ${model.id} (hot-word vocabularies belong to paraformer-v2, paraformer-8k-v2, fun-asr and fun-asr-mtl); not sent.` +
        (model.family === 'qwen3-sync' ? ' Use `context` with the names and terms instead.' : ''),
    );
  }
  if (req.disfluency_removal_enabled !== undefined) {
    warnings.push(
      `disfluency_removal_enabled is not accepted by ${model.id} (only by paraformer / fun-asr models); not sent.`,
    );
  }
  if (req.diarization_enabled !== undefined || req.speaker_count !== undefined) {
    warnings.push(
      `${model.id} does not label speakers; diarization_enabled/speaker_count were not sent. Use model fun-asr or paraformer-v2 for speaker labels.`,
    );
  }
  if (req.timestamp_alignment_enabled !== undefined) {
    warnings.push(
      `timestamp_alignment_enabled is not accepted by ${model.id} (only by paraformer / fun-asr models); not sent.`,
    );
  }
  if (req.sample_rate !== undefined) {
    warnings.push(
      `sample_rate is not a request parameter of any DashScope ASR model (the service reads the rate from the file; raw PCM must be 16 kHz); not sent.`,
    );
  }
}

export function mapSyncOptions(
  req: TranscribeRequest,
  model: ModelInfo,
  audio: AudioFacts = {},
): MappedOptions<SyncOptions> {
  if (model.family === 'audio3-sync') {
    const mapped = mapAudio3SyncOptions(req, model, audio);
    return { options: { enable_itn: false, audio3: mapped.options }, warnings: mapped.warnings };
  }
  const warnings: string[] = [];
  unsupportedCommon(req, model, warnings);
  const language = languageFrom(req, model, warnings);
  if (req.channel_id !== undefined) {
    warnings.push(`channel_id is not accepted by ${model.id} (sync models average all channels); not sent.`);
  }
  let context = req.context?.trim() || undefined;
  if (context && model.family === 'qwen-audio') {
    warnings.push(`${model.id} takes no context; not sent.`);
    context = undefined;
  }
  if (model.family === 'qwen-audio' && req.enable_itn) {
    warnings.push(`${model.id} takes no enable_itn option; not sent.`);
  }
  return { options: { language, enable_itn: req.enable_itn ?? false, context }, warnings };
}

export function mapFiletransOptions(
  req: TranscribeRequest,
  model: ModelInfo,
): MappedOptions<FiletransParameters> {
  const warnings: string[] = [];
  unsupportedCommon(req, model, warnings);
  const params: FiletransParameters = { enable_itn: req.enable_itn ?? false };
  const language = languageFrom(req, model, warnings);
  if (language) params.language = language;
  if (req.timestamp_granularities?.includes('word')) params.enable_words = true;
  if (req.channel_id && req.channel_id.length > 0) params.channel_id = [...req.channel_id];
  if (req.context?.trim()) {
    warnings.push(`${model.id} does not take context (it is documented for the sync model only); not sent.`);
  }
  return { options: params, warnings };
}

/**
 * paraformer / fun-asr: every normalized option has a wire field here, except `sample_rate`, which
 * instead chooses between the 8 kHz and 16 kHz paraformer models.
 */
export function mapFileTranscriptionOptions(
  req: TranscribeRequest,
  model: ModelInfo,
): MappedOptions<FileTranscriptionParameters> {
  const warnings: string[] = [];
  const params: FileTranscriptionParameters = {};
  const base = baseModelName(model.id);
  const hints = [...new Set((req.language_hints ?? []).map((h) => h.trim().toLowerCase()).filter(Boolean))];
  if (hints.length > 0) {
    if (base === 'paraformer-v2') {
      const unknown = hints.filter((h) => !PARAFORMER_V2_LANGUAGES.has(h));
      if (unknown.length > 0)
        warnings.push(
          `language hint(s) ${unknown.join(', ')} are not among those documented for paraformer-v2 (${[...PARAFORMER_V2_LANGUAGES].join(', ')}); sent anyway.`,
        );
    }
    if (base === 'paraformer-8k-v2' && hints.some((h) => h !== 'zh')) {
      warnings.push(
        'paraformer-8k-v2 is documented for Chinese telephone audio; language_hints sent as given.',
      );
    }
    params.language_hints = hints;
  }
  const vocabulary = req.vocabulary_id?.trim();
  if (vocabulary) params.vocabulary_id = vocabulary;
  if (req.disfluency_removal_enabled !== undefined)
    params.disfluency_removal_enabled = req.disfluency_removal_enabled;
  if (req.timestamp_alignment_enabled !== undefined)
    params.timestamp_alignment_enabled = req.timestamp_alignment_enabled;
  if (req.speaker_count !== undefined && req.diarization_enabled === false) {
    warnings.push('speaker_count was not sent because diarization_enabled is false.');
  } else if (req.speaker_count !== undefined) {
    if (req.diarization_enabled === undefined)
      warnings.push('speaker_count implies speaker diarization, so diarization_enabled: true was sent.');
    params.diarization_enabled = true;
    params.speaker_count = req.speaker_count;
  } else if (req.diarization_enabled !== undefined) {
    params.diarization_enabled = req.diarization_enabled;
  }
  if (req.channel_id && req.channel_id.length > 0) params.channel_id = [...req.channel_id];
  if (req.mask_sensitive_words === false) params.special_word_filter = { system_reserved_filter: false };
  if (req.sample_rate !== undefined) {
    if (req.sample_rate <= 8000 && base === 'paraformer-v2') {
      warnings.push(
        `sample_rate ${req.sample_rate} is telephone audio: paraformer-8k-v2 is the model trained for it (paraformer-v2 expects 16 kHz or more). sample_rate itself is not a request parameter; not sent.`,
      );
    } else if (req.sample_rate > 8000 && base === 'paraformer-8k-v2') {
      warnings.push(
        `sample_rate ${req.sample_rate} is wideband audio: paraformer-v2 suits it better than paraformer-8k-v2. sample_rate itself is not a request parameter; not sent.`,
      );
    } else {
      warnings.push(
        'sample_rate is not a request parameter (the service reads the rate from the file); not sent.',
      );
    }
  }
  if (req.enable_itn !== undefined) {
    warnings.push(`${model.id} takes no enable_itn option (it formats numbers itself); not sent.`);
  }
  if (req.context?.trim()) {
    warnings.push(
      `${model.id} does not take context; not sent. Create a hot-word vocabulary and pass its vocabulary_id instead.`,
    );
  }
  return { options: params, warnings };
}

/** Options for whichever async model runs the request. */
export function mapAsyncOptions(req: TranscribeRequest, model: ModelInfo): MappedOptions<AsyncParameters> {
  if (model.family === 'audio3-filetrans') return mapAudio3FiletransOptions(req, model);
  return model.family === 'file-transcription'
    ? mapFileTranscriptionOptions(req, model)
    : mapFiletransOptions(req, model);
}

/** Body of the OpenAI-compatible chat/completions call; `audioData` is spliced in by the caller. */
export function compatibleBody(
  model: ModelInfo,
  options: SyncOptions,
  audioData: string,
  stream = false,
): Record<string, unknown> {
  const messages: unknown[] = [];
  if (options.context) messages.push({ role: 'system', content: [{ type: 'text', text: options.context }] });
  messages.push({ role: 'user', content: [{ type: 'input_audio', input_audio: { data: audioData } }] });
  const asr: Record<string, unknown> = { enable_itn: options.enable_itn };
  if (options.language) asr.language = options.language;
  const body: Record<string, unknown> = { model: model.id, messages, stream, asr_options: asr };
  // Usage arrives in a last chunk of its own, only when asked for.
  if (stream) body.stream_options = { include_usage: true };
  return body;
}

/** Body of the native multimodal-generation call (the only way to reach qwen-audio-asr). */
export function nativeSyncBody(
  model: ModelInfo,
  options: SyncOptions,
  audioData: string,
): Record<string, unknown> {
  const messages: unknown[] = [];
  if (options.context) messages.push({ role: 'system', content: [{ text: options.context }] });
  messages.push({ role: 'user', content: [{ audio: audioData }] });
  const body: Record<string, unknown> = { model: model.id, input: { messages } };
  if (model.family !== 'qwen-audio') {
    const asr: Record<string, unknown> = { enable_itn: options.enable_itn };
    if (options.language) asr.language = options.language;
    body.parameters = { asr_options: asr };
  }
  return body;
}

/** Submission body: qwen3 filetrans takes one `file_url`, the others a `file_urls` list of one. */
export function asyncBody(
  model: ModelInfo,
  fileUrl: string,
  params: AsyncParameters,
): Record<string, unknown> {
  if (model.family === 'audio3-filetrans') {
    return audio3AsyncBody(model, fileUrl, params as Audio3FiletransParameters);
  }
  const input = model.family === 'file-transcription' ? { file_urls: [fileUrl] } : { file_url: fileUrl };
  return { model: model.id, input, parameters: params };
}
