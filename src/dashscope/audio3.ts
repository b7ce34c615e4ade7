/**
 * Qwen-Audio 3.x and Fun-ASR-Flash (spec, November 2026, sections C-E): the sync models speak the
 * native multimodal-generation endpoint with OpenAI-like `input_audio` messages and `parameters.format`
 * / `sample_rate`; the 3.x filetrans models are async like fun-asr (`file_urls`, `language_hints`,
 * diarization) with context in `input.context`. Option mapping, request bodies and the sync answer.
 */
import { InputError } from '../domain/errors.js';
import type { TranscribeRequest } from '../domain/request.js';
import type { Sentence, Word } from '../domain/result.js';
import { type Json, malformed, num, obj, str } from './json.js';
import type { ModelInfo } from './models.js';
import type { MappedOptions } from './options.js';
import { parseWord } from './parse.js';

/** Codes listed for Qwen-Audio 3.x and fun-asr-flash-2026-06-15 (note `tl`, not qwen3's `fil`; no `yue`). */
const LANGUAGES = new Set(
  'zh en ja ko vi th id ms tl hi ar fr de es pt ru it nl sv da fi no el pl cs hu ro bg hr sk'.split(' '),
);
/** Per turn, user and assistant context together; the service cuts the rest from the end. */
const CONTEXT_MAX_CHARS = 400;
const FORMATS = new Set(
  'aac amr avi flac flv m4a mkv mov mp3 mp4 mpeg ogg opus wav webm wma wmv aiff'.split(' '),
);

interface Audio3SyncParameters {
  format: string;
  sample_rate?: string;
  language_hints?: string[];
  vocabulary_id?: string;
}

export interface Audio3SyncOptions {
  parameters: Audio3SyncParameters;
  context?: string;
}

/** `parameters` of a 3.x filetrans submission (always sent); `context` goes to `input.context`. */
export interface Audio3FiletransParameters {
  channel_id: number[];
  language_hints?: string[];
  vocabulary_id?: string;
  diarization_enabled?: boolean;
  speaker_count?: number;
  special_word_filter?: { system_reserved_filter: boolean };
  /** Not a wire parameter: `audio3AsyncBody` moves it into `input.context`. */
  context?: string;
}

/** What is known of the audio: its sniffed container (local files), or its URL. */
export interface AudioFacts {
  container?: string;
  mime?: string;
  url?: string;
  /** From the file's header, when it says. */
  sampleRate?: number;
}

function hints(req: TranscribeRequest, model: ModelInfo, warnings: string[]): string[] | undefined {
  const list = [...new Set((req.language_hints ?? []).map((h) => h.trim().toLowerCase()).filter(Boolean))];
  if (list.length === 0) return undefined;
  const unknown = list.filter((h) => !LANGUAGES.has(h));
  if (unknown.length > 0) {
    warnings.push(
      `language hint(s) ${unknown.join(', ')} are not among the codes documented for ${model.id}` +
        (unknown.includes('fil') ? ' (Filipino is `tl` here)' : '') +
        '; sent anyway.',
    );
  }
  const max = model.id.startsWith('fun-asr-flash') ? 1 : 4;
  if (list.length > max) {
    warnings.push(
      `${model.id} honours ${max === 1 ? 'only the first language hint' : `at most ${max} language hints`}; sent ${list.slice(0, max).join(', ')}, dropped ${list.slice(max).join(', ')}.`,
    );
  }
  return list.slice(0, max);
}

function context(req: TranscribeRequest, warnings: string[]): string | undefined {
  const text = req.context?.trim();
  if (!text) return undefined;
  if (text.length > CONTEXT_MAX_CHARS) {
    warnings.push(
      `context is ${text.length} characters; these models take at most ${CONTEXT_MAX_CHARS} per turn, so it was cut to the first ${CONTEXT_MAX_CHARS}.`,
    );
    return text.slice(0, CONTEXT_MAX_CHARS);
  }
  return text;
}

function notSent(req: TranscribeRequest, model: ModelInfo, warnings: string[]): void {
  if (req.enable_itn !== undefined) {
    warnings.push(`${model.id} takes no enable_itn option (text normalisation is built in); not sent.`);
  }
  if (req.disfluency_removal_enabled !== undefined) {
    warnings.push(
      `disfluency_removal_enabled is not accepted by ${model.id} (only by paraformer / fun-asr models); not sent.`,
    );
  }
  if (req.timestamp_alignment_enabled !== undefined) {
    warnings.push(
      `timestamp_alignment_enabled is not accepted by ${model.id} (only by paraformer / fun-asr models); not sent.`,
    );
  }
}

function formatOf(audio: AudioFacts, warnings: string[]): string {
  if (audio.container) return audio.mime === 'audio/mp4' ? 'm4a' : audio.container;
  const ext = /\.([a-z0-9]{2,5})(?:$|[?#])/i.exec(audio.url ?? '')?.[1]?.toLowerCase();
  if (ext && FORMATS.has(ext)) return ext;
  warnings.push(
    'The container could not be told from the URL, so parameters.format "wav" was sent (as the official client does).',
  );
  return 'wav';
}

export function mapAudio3SyncOptions(
  req: TranscribeRequest,
  model: ModelInfo,
  audio: AudioFacts,
): MappedOptions<Audio3SyncOptions> {
  const warnings: string[] = [];
  if (req.diarization_enabled === true || req.speaker_count !== undefined) {
    throw new InputError(
      `Speaker labels on the sync model ${model.id} need \`speaker_diarization_enabled\`, which is UNCONFIRMED (only third-party code shows it), so it is never sent. Nothing was sent.`,
      {
        hint: `Use model ${model.id.replace(/(-\d{4}-\d{2}-\d{2})?$/, '')}-filetrans (or leave \`model\` unset) for speaker labels.`,
      },
    );
  }
  notSent(req, model, warnings);
  if (req.channel_id !== undefined) {
    warnings.push(`channel_id is not accepted by ${model.id} (a sync model); not sent.`);
  }
  if (req.mask_sensitive_words !== undefined) {
    warnings.push(
      `mask_sensitive_words is honoured only by the file-transcription models; not sent to ${model.id}.`,
    );
  }
  const parameters: Audio3SyncParameters = { format: formatOf(audio, warnings) };
  const rate = req.sample_rate ?? audio.sampleRate;
  if (rate !== undefined) parameters.sample_rate = String(rate);
  if (
    req.sample_rate !== undefined &&
    audio.sampleRate !== undefined &&
    req.sample_rate !== audio.sampleRate
  ) {
    warnings.push(
      `sample_rate ${req.sample_rate} was sent as given, though the file's header says ${audio.sampleRate}.`,
    );
  }
  const languages = hints(req, model, warnings);
  if (languages) parameters.language_hints = languages;
  const vocabulary = req.vocabulary_id?.trim();
  if (vocabulary) parameters.vocabulary_id = vocabulary;
  return { options: { parameters, context: context(req, warnings) }, warnings };
}

export function mapAudio3FiletransOptions(
  req: TranscribeRequest,
  model: ModelInfo,
): MappedOptions<Audio3FiletransParameters> {
  const warnings: string[] = [];
  notSent(req, model, warnings);
  const params: Audio3FiletransParameters = {
    channel_id: req.channel_id && req.channel_id.length > 0 ? [...req.channel_id] : [0],
  };
  const languages = hints(req, model, warnings);
  if (languages) params.language_hints = languages;
  const vocabulary = req.vocabulary_id?.trim();
  if (vocabulary) params.vocabulary_id = vocabulary;
  if (req.speaker_count !== undefined && req.diarization_enabled === false) {
    warnings.push('speaker_count was not sent because diarization_enabled is false.');
  } else if (req.speaker_count !== undefined) {
    params.diarization_enabled = true;
    params.speaker_count = req.speaker_count;
  } else if (req.diarization_enabled !== undefined) {
    params.diarization_enabled = req.diarization_enabled;
  }
  if (req.mask_sensitive_words === false) params.special_word_filter = { system_reserved_filter: false };
  if (req.sample_rate !== undefined) {
    warnings.push(
      'sample_rate is not a parameter of the filetrans models (the service reads the file); not sent.',
    );
  }
  const text = context(req, warnings);
  if (text) params.context = text;
  return { options: params, warnings };
}

function contextMessages(text: string | undefined): unknown[] {
  return text ? [{ role: 'user', content: [{ type: 'input_text', text }] }] : [];
}

/** Native multimodal-generation body; `audioData` (URL or data URI) goes in the last user message. */
export function audio3SyncBody(
  model: ModelInfo,
  options: Audio3SyncOptions,
  audioData: string,
): Record<string, unknown> {
  const messages = [
    ...contextMessages(options.context),
    { role: 'user', content: [{ type: 'input_audio', input_audio: { data: audioData } }] },
  ];
  return { model: model.id, input: { messages }, parameters: options.parameters };
}

/** Submission body of a 3.x filetrans task: one URL in `file_urls`, `parameters` always present. */
export function audio3AsyncBody(
  model: ModelInfo,
  fileUrl: string,
  params: Audio3FiletransParameters,
): Record<string, unknown> {
  const { context: text, ...parameters } = params;
  const input: Record<string, unknown> = { file_urls: [fileUrl] };
  if (text) input.context = contextMessages(text);
  return { model: model.id, input, parameters };
}

export interface Audio3Parsed {
  text: string;
  usage?: unknown;
  seconds?: number;
  sentences?: Sentence[];
}

function sentence(s: Json): Sentence {
  const out: Sentence = {
    begin_ms: num(s.begin_time) ?? 0,
    end_ms: num(s.end_time) ?? 0,
    text: (str(s.text) ?? '').trim(),
  };
  const speaker = num(s.speaker_id);
  if (speaker !== undefined) out.speaker_id = speaker;
  if (Array.isArray(s.words)) out.words = s.words.map(parseWord).filter((w): w is Word => !!w);
  return out;
}

/** `output.text` first, then `output.sentence.text`, then `output.output.sentence.text` (spec D). */
export function parseAudio3SyncResponse(data: unknown): Audio3Parsed {
  const root = obj(data);
  const requestId = str(root?.request_id);
  const output = obj(root?.output);
  if (!output) throw malformed('no `output` in the answer', requestId);
  const inner = obj(output.output);
  const single = obj(output.sentence) ?? obj(inner?.sentence);
  const list = Array.isArray(output.sentences)
    ? output.sentences
    : Array.isArray(output.sentence)
      ? output.sentence
      : single
        ? [single]
        : [];
  const sentences = list
    .map(obj)
    .filter((s): s is Json => s !== undefined)
    .map(sentence);
  const text =
    str(output.text) ??
    str(single?.text) ??
    (sentences.length > 0 ? sentences.map((s) => s.text).join(' ') : undefined);
  if (text === undefined) throw malformed('no `output.text` or `output.sentence.text`', requestId);
  const usage = root?.usage;
  const u = obj(usage);
  return {
    text: text.trim(),
    usage,
    seconds: num(u?.duration) ?? num(u?.seconds),
    sentences: sentences.length > 0 && sentences.some((s) => s.end_ms > 0) ? sentences : undefined,
  };
}
