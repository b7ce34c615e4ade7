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
type ModelFamily = 'qwen3-sync' | 'qwen-audio' | 'qwen3-filetrans' | 'file-transcription';

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
  'paraformer-v2, paraformer-8k-v2, fun-asr, fun-asr-mtl (and their dated snapshots)';

/** The model a request that needs diarization or disfluency removal goes to when none was named. */
export const FILE_TRANSCRIPTION_MODEL = 'fun-asr';

/** Base name without a dated snapshot suffix: `fun-asr-2025-11-07` -> `fun-asr`. */
export function baseModelName(id: string): string {
  return id.replace(/-\d{4}-\d{2}-\d{2}$/, '');
}

export function resolveModel(name: string | undefined): ModelInfo {
  const id = (name ?? DEFAULT_MODEL).trim() || DEFAULT_MODEL;
  const row = FAMILIES.find((f) => f.pattern.test(id));
  if (!row) {
    throw new InputError(
      `Unknown model "${id}". Nothing was sent. Supported models: ${SUPPORTED_MODELS_TEXT}.`,
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
  };
}

export function isUsRegionModel(model: ModelInfo): boolean {
  return model.id.endsWith('-us');
}
