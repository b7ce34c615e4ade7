/**
 * The model table: which endpoint each model speaks, which containers it takes, and its limits.
 * Snapshots (`-2026-02-10`) and regional variants (`-us`) resolve to their family's row.
 */
import type { Container } from '../audio/sniff.js';
import { InputError } from '../domain/errors.js';

/**
 * `file-transcription` is the paraformer / fun-asr family: async like filetrans, but with a list of
 * file URLs, language hints, hot-word vocabularies, disfluency removal and speaker diarization.
 */
type ModelFamily =
  | 'qwen3-sync'
  | 'qwen-audio'
  | 'qwen3-filetrans'
  | 'file-transcription'
  /** Qwen-Audio 3.x and Fun-ASR-Flash: sync, native `input_audio` messages, timestamps always on. */
  | 'audio3-sync'
  /** Qwen-Audio 3.x filetrans: async, `file_urls`, diarization, context in `input.context`. */
  | 'audio3-filetrans';

export interface ModelInfo {
  /** The name sent on the wire (exactly what the user asked for, or the default). */
  id: string;
  family: ModelFamily;
  mode: 'sync' | 'async';
  formats: ReadonlySet<Container>;
  /** Longest audio the model takes, in seconds. */
  maxDurationS: number;
  /** Largest data URI (sync) in bytes. */
  maxDataUriBytes?: number;
  description: string;
  /** Not in the model table, but named like a known family: passed through with a warning. */
  passthrough?: boolean;
}

const DEFAULT_MODEL = 'qwen3-asr-flash';
export const FILETRANS_MODEL = 'qwen3-asr-flash-filetrans';
const MAX_DATA_URI_BYTES = 10_485_760;

const SYNC_FORMATS: Container[] = [
  'aac',
  'amr',
  'avi',
  'aiff',
  'flac',
  'flv',
  'mkv',
  'mp3',
  'mpeg',
  'ogg',
  'opus',
  'wav',
  'webm',
  'wma',
  'wmv',
];
// The sync guide leaves out the MP4 family (and AIFF is sync-only); filetrans takes the rest.
const FILETRANS_FORMATS: Container[] = [...SYNC_FORMATS.filter((f) => f !== 'aiff'), 'm4a', 'mp4', 'mov'];

interface FamilyRow {
  family: ModelFamily;
  pattern: RegExp;
  mode: 'sync' | 'async';
  formats: Container[];
  maxDurationS: number;
  maxDataUriBytes?: number;
  description: string;
}

const DATE = '(?:-\\d{4}-\\d{2}-\\d{2})';

const FAMILIES: FamilyRow[] = [
  {
    family: 'audio3-filetrans',
    pattern: new RegExp(`^qwen-audio-3\\.[01]-asr-flash-filetrans${DATE}?$`),
    mode: 'async',
    formats: FILETRANS_FORMATS,
    maxDurationS: 12 * 3600,
    description:
      'async file transcription, up to 12 h / 2 GB, sentence and word timestamps, speaker labels, context',
  },
  {
    family: 'audio3-sync',
    pattern: new RegExp(`^(?:qwen-audio-3\\.[01]-asr-flash${DATE}?|fun-asr-flash-2026-06-15)$`),
    mode: 'sync',
    formats: SYNC_FORMATS,
    maxDurationS: 5 * 60,
    maxDataUriBytes: MAX_DATA_URI_BYTES,
    description: 'sync, up to 5 min / 10 MB, sentence and word timestamps, context',
  },
  {
    family: 'qwen3-filetrans',
    pattern: new RegExp(`^qwen3-asr-flash-filetrans${DATE}?$`),
    mode: 'async',
    formats: FILETRANS_FORMATS,
    maxDurationS: 12 * 3600,
    description: 'async file transcription, up to 12 h / 2 GB, sentence and word timestamps',
  },
  {
    family: 'file-transcription',
    pattern: new RegExp(`^(?:paraformer-v2|paraformer-8k-v2|fun-asr|fun-asr-mtl)${DATE}?$`),
    mode: 'async',
    formats: FILETRANS_FORMATS,
    maxDurationS: 12 * 3600,
    description:
      'async file transcription with hot-word vocabularies, disfluency removal and speaker diarization',
  },
  {
    family: 'qwen3-sync',
    pattern: new RegExp(`^qwen3-asr-flash${DATE}?(?:-us)?$`),
    mode: 'sync',
    formats: SYNC_FORMATS,
    maxDurationS: 5 * 60,
    maxDataUriBytes: MAX_DATA_URI_BYTES,
    description: 'sync, up to 5 min / 10 MB, fastest; context biasing',
  },
  {
    family: 'qwen-audio',
    pattern: new RegExp(`^qwen-audio-asr(?:-latest|${DATE})?$`),
    mode: 'sync',
    formats: SYNC_FORMATS,
    maxDurationS: 3 * 60,
    maxDataUriBytes: MAX_DATA_URI_BYTES,
    description: 'legacy sync model, up to 3 min, Chinese and English only (free trial)',
  },
];

const SUPPORTED_MODELS_TEXT =
  'qwen3-asr-flash (default; dated snapshots and -us too), qwen3-asr-flash-filetrans (and snapshots), qwen-audio-asr, ' +
  'qwen-audio-3.1-asr-flash, qwen-audio-3.0-asr-flash, fun-asr-flash-2026-06-15, qwen-audio-3.1-asr-flash-filetrans, ' +
  'qwen-audio-3.0-asr-flash-filetrans, paraformer-v2, paraformer-8k-v2, fun-asr, fun-asr-mtl (and their dated snapshots)';

/** The model a request for speaker labels goes to when none was named. */
export const SPEAKER_LABELS_MODEL = 'qwen-audio-3.0-asr-flash-filetrans';

/** Names of known families not in the table yet (newer snapshots, versions): passed through. */
const PASSTHROUGH =
  /^(qwen3-asr-flash|qwen-audio-\d+\.\d+-asr-flash|fun-asr|fun-asr-flash|paraformer)[-a-z0-9.]*$/;
const NOT_FILE_MODELS = /-(?:message|streaming|realtime)(?:-|$)/;

function passthroughRow(id: string): FamilyRow | undefined {
  const m = PASSTHROUGH.exec(id);
  if (!m || NOT_FILE_MODELS.test(id)) return undefined;
  const async = id.includes('filetrans');
  const prefix = m[1]!;
  const family: ModelFamily = prefix.startsWith('qwen3')
    ? async
      ? 'qwen3-filetrans'
      : 'qwen3-sync'
    : prefix.startsWith('qwen-audio') || (prefix === 'fun-asr' && id.startsWith('fun-asr-flash'))
      ? async
        ? 'audio3-filetrans'
        : 'audio3-sync'
      : 'file-transcription';
  const row = FAMILIES.find((f) => f.family === family)!;
  return { ...row, pattern: PASSTHROUGH };
}

/** Base name without a dated snapshot suffix: `fun-asr-2025-11-07` -> `fun-asr`. */
export function baseModelName(id: string): string {
  return id.replace(/-\d{4}-\d{2}-\d{2}$/, '');
}

export function resolveModel(name: string | undefined): ModelInfo {
  const id = (name ?? DEFAULT_MODEL).trim() || DEFAULT_MODEL;
  const known = FAMILIES.find((f) => f.pattern.test(id));
  const row = known ?? passthroughRow(id);
  if (!row) {
    const why = NOT_FILE_MODELS.test(id)
      ? ' -message, -streaming and -realtime models are WebSocket-only, not for file transcription.'
      : '';
    throw new InputError(
      `Unknown model "${id}". Nothing was sent.${why} Supported models: ${SUPPORTED_MODELS_TEXT}.`,
    );
  }
  return {
    id,
    family: row.family,
    mode: row.mode,
    formats: new Set(row.formats),
    maxDurationS: row.maxDurationS,
    maxDataUriBytes: row.maxDataUriBytes,
    description: row.description,
    ...(known ? {} : { passthrough: true }),
  };
}

/** The async model that does what a sync one does, for long audio or `async: true`. */
export function asyncCounterpart(model: ModelInfo): string {
  if (model.family === 'audio3-sync' && model.id.startsWith('qwen-audio-')) {
    return `${baseModelName(model.id)}-filetrans`;
  }
  return FILETRANS_MODEL;
}
