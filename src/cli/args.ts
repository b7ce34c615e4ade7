/**
 * Command-line arguments of `transcribe` and `status`, parsed strictly: an unknown flag or a bad value
 * is a usage error (exit 2) that names the flag, never a silently ignored option.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import type { BatchRequest, TimestampGranularity, TranscribeRequest } from '../domain/request.js';

type OutputFormat = 'text' | 'json' | 'srt' | 'vtt';

export class UsageError extends Error {}

export interface CommonOptions {
  format: OutputFormat;
  output?: string;
  printResponse: boolean;
  quiet: boolean;
  /** Seconds. */
  maxWait: number;
}

export interface TranscribeCommand extends CommonOptions {
  command: 'transcribe';
  request: TranscribeRequest;
  /** --async without --wait: print the task id once submitted and stop. */
  submitOnly: boolean;
  /** Several --audio, or --folder: every file, one job each (`request` holds the shared options). */
  batch?: Pick<BatchRequest, 'audio' | 'folder' | 'pattern' | 'recursive' | 'force'>;
}

export interface StatusCommand extends CommonOptions {
  command: 'status';
  taskId: string;
  wait: boolean;
}

const DEFAULT_MAX_WAIT_S = 12 * 3600;

const COMMON = {
  format: { type: 'string', short: 'f' },
  output: { type: 'string', short: 'o' },
  'print-response': { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  'max-wait': { type: 'string' },
  wait: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const TRANSCRIBE = {
  ...COMMON,
  audio: { type: 'string', short: 'a', multiple: true },
  folder: { type: 'string' },
  pattern: { type: 'string' },
  recursive: { type: 'boolean' },
  force: { type: 'boolean' },
  model: { type: 'string', short: 'm' },
  'language-hints': { type: 'string', short: 'l' },
  'sample-rate': { type: 'string' },
  'vocabulary-id': { type: 'string' },
  'disfluency-removal-enabled': { type: 'boolean' },
  'timestamp-granularities': { type: 'string' },
  'timestamp-alignment-enabled': { type: 'boolean' },
  'diarization-enabled': { type: 'boolean' },
  'speaker-count': { type: 'string' },
  'channel-id': { type: 'string' },
  context: { type: 'string' },
  'enable-itn': { type: 'boolean' },
  'mask-sensitive-words': { type: 'string' },
  async: { type: 'boolean' },
} as const;

function parse<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    // node's messages name the flag ("Unknown option '--foo'"); keep them, drop its error code prefix.
    throw new UsageError((err as Error).message.split('. To specify')[0]!.replace(/^\w+: /, ''));
  }
}

function list(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return items.length > 0 ? items : undefined;
}

function trueFalse(value: string | undefined, flag: string): boolean | undefined {
  if (value === undefined) return undefined;
  const v = value.trim().toLowerCase();
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new UsageError(`--${flag} takes true or false (got "${value}").`);
}

function integer(value: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`--${flag} must be a whole number from ${min} to ${max} (got "${value}").`);
  }
  return n;
}

/** `90`, `90s`, `15m`, `2h` → seconds. */
function parseDuration(value: string, flag = 'max-wait'): number {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h)?$/i.exec(value.trim());
  if (!m) throw new UsageError(`--${flag} takes seconds or a duration like 90s, 15m, 2h (got "${value}").`);
  const n = Number(m[1]) * ({ s: 1, m: 60, h: 3600 }[(m[2] ?? 's').toLowerCase() as 's' | 'm' | 'h'] ?? 1);
  if (n > DEFAULT_MAX_WAIT_S) throw new UsageError(`--${flag} is at most 12h (tasks cannot run longer).`);
  return n;
}

function common(values: Record<string, unknown>): CommonOptions {
  const format = (values.format as string | undefined) ?? 'text';
  if (!['text', 'json', 'srt', 'vtt'].includes(format)) {
    throw new UsageError(`--format must be text, json, srt or vtt (got "${format}").`);
  }
  return {
    format: format as OutputFormat,
    output: values.output as string | undefined,
    printResponse: values['print-response'] === true,
    quiet: values.quiet === true,
    maxWait:
      values['max-wait'] === undefined ? DEFAULT_MAX_WAIT_S : parseDuration(values['max-wait'] as string),
  };
}

export function parseTranscribe(argv: string[]): TranscribeCommand | 'help' {
  const { values, positionals } = parse(argv, TRANSCRIBE);
  if (values.help) return 'help';
  const audios = [...(values.audio ?? []), ...positionals];
  const folder = values.folder;
  if (folder !== undefined && audios.length > 0)
    throw new UsageError('Give --audio (one or more) or --folder, not both.');
  if (folder === undefined && (values.pattern !== undefined || values.recursive))
    throw new UsageError('--pattern and --recursive go with --folder DIR.');
  if (audios.length > 100) throw new UsageError(`At most 100 recordings at once (got ${audios.length}).`);
  const audio = audios[0] ?? folder;
  if (!audio) throw new UsageError('Which recording? Pass --audio PATH_OR_URL (or --folder DIR).');
  const opts = common(values);
  const granularities = list(values['timestamp-granularities']);
  for (const g of granularities ?? []) {
    if (g !== 'sentence' && g !== 'word')
      throw new UsageError(`--timestamp-granularities takes sentence and/or word (got "${g}").`);
  }
  const channels = list(values['channel-id'])?.map((c) => integer(c, 'channel-id', 0, 31)!);
  const request: TranscribeRequest = {
    audio,
    model: values.model,
    language_hints: list(values['language-hints']),
    sample_rate: integer(values['sample-rate'], 'sample-rate', 8000, 48000),
    vocabulary_id: values['vocabulary-id'],
    disfluency_removal_enabled: values['disfluency-removal-enabled'],
    timestamp_granularities: granularities as TimestampGranularity[] | undefined,
    timestamp_alignment_enabled: values['timestamp-alignment-enabled'],
    diarization_enabled: values['diarization-enabled'],
    speaker_count: integer(values['speaker-count'], 'speaker-count', 2, 100),
    channel_id: channels,
    context: values.context,
    enable_itn: values['enable-itn'],
    mask_sensitive_words: trueFalse(values['mask-sensitive-words'], 'mask-sensitive-words'),
    async: values.async,
  };
  // Subtitles need timed sentences, which only the async models give.
  if ((opts.format === 'srt' || opts.format === 'vtt') && !request.timestamp_granularities) {
    request.timestamp_granularities = ['sentence'];
  }
  for (const key of Object.keys(request) as (keyof TranscribeRequest)[]) {
    if (request[key] === undefined) delete request[key];
  }
  if (audios.length > 1 || folder !== undefined) {
    if (opts.format === 'srt' || opts.format === 'vtt')
      throw new UsageError("Several recordings print as text or json; each one's .srt and .vtt are saved.");
    const batch = folder
      ? { folder, pattern: values.pattern, recursive: values.recursive, force: values.force }
      : { audio: audios, force: values.force };
    return { command: 'transcribe', ...opts, request, submitOnly: false, batch };
  }
  return { command: 'transcribe', ...opts, request, submitOnly: values.async === true && !values.wait };
}

export function parseStatus(argv: string[]): StatusCommand | 'help' {
  const { values, positionals } = parse(argv, COMMON);
  if (values.help) return 'help';
  if (positionals.length !== 1) throw new UsageError('Give exactly one TASK_ID: qwen-asr-mcp status TASK_ID');
  return { command: 'status', ...common(values), taskId: positionals[0]!, wait: values.wait === true };
}
