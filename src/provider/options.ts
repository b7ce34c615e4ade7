/**
 * Maps the normalized options onto each model's wire fields, exactly as the spec's option table says.
 * What a model does not take is reported in `warnings` and never sent: an unknown key would be
 * refused by the service or, worse, silently ignored.
 */
import type { ModelInfo } from './models.js';
import type { TranscribeRequest } from './types.js';

export const QWEN_LANGUAGES = new Set([
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

export interface SyncOptions {
  language?: string;
  enable_itn: boolean;
  context?: string;
}

export interface FiletransParameters {
  language?: string;
  enable_itn: boolean;
  enable_words?: boolean;
  channel_id?: number[];
}

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
  if (req.vocabulary_id !== undefined) {
    warnings.push(
      `vocabulary_id is not accepted by ${model.id} (hot-word vocabularies belong to paraformer/fun-asr); not sent.` +
        (model.family === 'qwen3-sync' ? ' Use `context` with the names and terms instead.' : ''),
    );
  }
  if (req.disfluency_removal_enabled !== undefined) {
    warnings.push(`disfluency_removal_enabled is not accepted by ${model.id}; not sent.`);
  }
  if (req.sample_rate !== undefined) {
    warnings.push(
      `sample_rate is not a request parameter of any DashScope ASR model (the service reads the rate from the file; raw PCM must be 16 kHz); not sent.`,
    );
  }
}

export function mapSyncOptions(req: TranscribeRequest, model: ModelInfo): MappedOptions<SyncOptions> {
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

/** Body of the OpenAI-compatible chat/completions call; `audioData` is spliced in by the caller. */
export function compatibleBody(
  model: ModelInfo,
  options: SyncOptions,
  audioData: string,
): Record<string, unknown> {
  const messages: unknown[] = [];
  if (options.context) messages.push({ role: 'system', content: [{ type: 'text', text: options.context }] });
  messages.push({ role: 'user', content: [{ type: 'input_audio', input_audio: { data: audioData } }] });
  const asr: Record<string, unknown> = { enable_itn: options.enable_itn };
  if (options.language) asr.language = options.language;
  return { model: model.id, messages, stream: false, asr_options: asr };
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

export function filetransBody(
  model: ModelInfo,
  fileUrl: string,
  params: FiletransParameters,
): Record<string, unknown> {
  return { model: model.id, input: { file_url: fileUrl }, parameters: params };
}
