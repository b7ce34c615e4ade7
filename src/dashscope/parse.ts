/**
 * Async answers parsed: task status, the transcription JSON at transcription_url, and the upload
 * policy. Anything not in the documented shape raises MalformedResponseError, never a TypeError.
 */
import type { AudioInfo, Sentence, TaskStatus, Word } from '../domain/result.js';
import { type Json, malformed, num, obj, str } from './json.js';

export interface TaskParsed {
  taskId: string;
  status: TaskStatus;
  transcriptionUrl?: string;
  code?: string;
  message?: string;
  usage?: unknown;
  requestId?: string;
  submitTime?: string;
  /** paraformer / fun-asr: the file's own outcome inside a task that may itself say SUCCEEDED. */
  subtaskStatus?: string;
}

const STATUSES = new Set(['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELED', 'UNKNOWN']);

export function parseTaskResponse(data: unknown): TaskParsed {
  const root = obj(data);
  const requestId = str(root?.request_id);
  const output = obj(root?.output);
  const taskId = str(output?.task_id);
  const rawStatus = str(output?.task_status);
  if (!output || !taskId || !rawStatus)
    throw malformed('`output.task_id` or `output.task_status` is missing', requestId);
  // SUSPENDED appears in SDK enums; to a caller it is simply not finished yet.
  const status = (
    STATUSES.has(rawStatus) ? rawStatus : rawStatus === 'SUSPENDED' ? 'PENDING' : 'UNKNOWN'
  ) as TaskStatus;
  const result = obj(output.result);
  let transcriptionUrl = str(result?.transcription_url);
  let code = str(output.code);
  let message = str(output.message);
  let subtaskStatus: string | undefined;
  if (Array.isArray(output.results)) {
    // We submit one file, so the first entry is ours. A task can SUCCEED while its file FAILED.
    const sub = obj(output.results[0]);
    subtaskStatus = str(sub?.subtask_status);
    transcriptionUrl ??= str(sub?.transcription_url);
    if (subtaskStatus === 'FAILED' || (!transcriptionUrl && (sub?.code || sub?.message))) {
      subtaskStatus = 'FAILED';
      code = str(sub?.code) ?? code;
      message = str(sub?.message) ?? message;
    }
  }
  if (status === 'SUCCEEDED' && !transcriptionUrl && subtaskStatus !== 'FAILED') {
    throw malformed('the task SUCCEEDED but `output.result.transcription_url` is missing', requestId);
  }
  return {
    taskId,
    status,
    transcriptionUrl,
    code,
    message,
    usage: root?.usage,
    requestId,
    submitTime: str(output.submit_time),
    subtaskStatus,
  };
}

export interface TranscriptParsed {
  text: string;
  sentences: Sentence[];
  language?: string;
  emotion?: string;
  /** Milliseconds, from the last sentence's end. */
  endMs?: number;
  /** Duration the service reports for the file (paraformer `properties`), in milliseconds. */
  durationMs?: number;
  audioInfo?: AudioInfo;
  speakers?: number;
}

export function parseTranscriptionJson(data: unknown): TranscriptParsed {
  const root = obj(data);
  const transcripts = root?.transcripts;
  if (!Array.isArray(transcripts)) throw malformed('the transcription JSON has no `transcripts` array');
  const channels = transcripts.map(obj).filter((t): t is Json => t !== undefined);
  const multi = channels.length > 1;
  const texts: string[] = [];
  const sentences: Sentence[] = [];
  for (const channel of channels) {
    const channelId = num(channel.channel_id);
    const text = (str(channel.text) ?? '').trim();
    if (text) texts.push(multi ? `[channel ${channelId ?? texts.length}] ${text}` : text);
    for (const s of Array.isArray(channel.sentences) ? channel.sentences : []) {
      const so = obj(s);
      if (!so) continue;
      const sentence: Sentence = {
        begin_ms: num(so.begin_time) ?? 0,
        end_ms: num(so.end_time) ?? 0,
        text: (str(so.text) ?? '').trim(),
      };
      const language = str(so.language);
      const emotion = str(so.emotion);
      const speaker = num(so.speaker_id);
      if (language) sentence.language = language;
      if (emotion) sentence.emotion = emotion;
      if (speaker !== undefined) sentence.speaker_id = speaker;
      if (multi && channelId !== undefined) sentence.channel_id = channelId;
      if (Array.isArray(so.words)) sentence.words = so.words.map(parseWord).filter((w): w is Word => !!w);
      sentences.push(sentence);
    }
  }
  if (multi) sentences.sort((a, b) => a.begin_ms - b.begin_ms || (a.channel_id ?? 0) - (b.channel_id ?? 0));
  const endMs = sentences.reduce<number | undefined>((max, s) => Math.max(max ?? 0, s.end_ms), undefined);
  const speakerIds = new Set(sentences.flatMap((s) => (s.speaker_id === undefined ? [] : [s.speaker_id])));
  return {
    // With speaker labels the plain text becomes turns, one line per change of speaker.
    text: speakerIds.size > 0 ? speakerTurns(sentences) : texts.join('\n'),
    sentences,
    language: mostCommon(sentences.map((s) => s.language)),
    emotion: mostCommon(sentences.map((s) => s.emotion)),
    endMs,
    durationMs: num(obj(root?.properties)?.original_duration_in_milliseconds),
    audioInfo: parseAudioInfo(root),
    speakers: speakerIds.size > 0 ? speakerIds.size : undefined,
  };
}

/** `[speaker 0] …` lines, as in the subtitles; a channel prefix too when several were transcribed. */
function speakerTurns(sentences: Sentence[]): string {
  const lines: string[] = [];
  let key: string | undefined;
  for (const s of sentences) {
    if (!s.text) continue;
    const parts: string[] = [];
    if (s.channel_id !== undefined) parts.push(`ch${s.channel_id}`);
    if (s.speaker_id !== undefined) parts.push(`speaker ${s.speaker_id}`);
    const label = parts.join(', ');
    const spaced = /\s/.test(s.text) || /^[\x20-\x7e]/.test(s.text);
    if (label === key && lines.length > 0) {
      lines[lines.length - 1] += `${spaced ? ' ' : ''}${s.text}`;
    } else {
      lines.push(label ? `[${label}] ${s.text}` : s.text);
      key = label;
    }
  }
  return lines.join('\n');
}

/** qwen3 says `audio_info` {format, sample_rate}; paraformer says `properties` {audio_format, …}. */
function parseAudioInfo(root: Json | undefined): AudioInfo | undefined {
  const qwen = obj(root?.audio_info);
  const props = obj(root?.properties);
  const info: AudioInfo = {};
  const format = str(qwen?.format) ?? str(props?.audio_format);
  const rate = num(qwen?.sample_rate) ?? num(props?.original_sampling_rate);
  if (format) info.format = format;
  if (rate !== undefined) info.sample_rate = rate;
  if (Array.isArray(props?.channels))
    info.channels = props.channels.filter((c): c is number => num(c) !== undefined);
  return Object.keys(info).length > 0 ? info : undefined;
}

/** One word of a transcript, times in ms (the same shape in every model's answer). */
export function parseWord(w: unknown): Word | undefined {
  const o = obj(w);
  if (!o) return undefined;
  return {
    begin_ms: num(o.begin_time) ?? 0,
    end_ms: num(o.end_time) ?? 0,
    text: str(o.text) ?? '',
    punctuation: str(o.punctuation) ?? '',
  };
}

function mostCommon(values: (string | undefined)[]): string | undefined {
  const counts = new Map<string, number>();
  for (const v of values) if (v) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: string | undefined;
  let bestCount = 0;
  for (const [v, c] of counts) {
    if (c > bestCount) {
      best = v;
      bestCount = c;
    }
  }
  return best;
}

export function parsePolicy(data: unknown): UploadPolicy {
  const root = obj(data);
  const d = obj(root?.data);
  const required = ['policy', 'signature', 'upload_dir', 'upload_host', 'oss_access_key_id'] as const;
  for (const key of required) {
    if (!str(d?.[key])) throw malformed(`the upload policy has no \`data.${key}\``, str(root?.request_id));
  }
  return {
    policy: str(d!.policy)!,
    signature: str(d!.signature)!,
    uploadDir: str(d!.upload_dir)!,
    uploadHost: str(d!.upload_host)!,
    accessKeyId: str(d!.oss_access_key_id)!,
    objectAcl: str(d!.x_oss_object_acl) ?? 'private',
    forbidOverwrite: str(d!.x_oss_forbid_overwrite) ?? 'true',
    expireInSeconds: num(d!.expire_in_seconds) ?? 300,
    maxFileSizeMb: num(d!.max_file_size_mb),
  };
}

export interface UploadPolicy {
  policy: string;
  signature: string;
  uploadDir: string;
  uploadHost: string;
  accessKeyId: string;
  objectAcl: string;
  forbidOverwrite: string;
  expireInSeconds: number;
  maxFileSizeMb?: number;
}
